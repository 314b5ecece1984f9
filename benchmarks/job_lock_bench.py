"""Job lock benchmark (issue 19 §1): how long a clerk's save waits on SQLite while a long job runs.

    .venv/bin/python -m benchmarks.job_lock_bench                 # make bench runs this
    .venv/bin/python -m benchmarks.job_lock_bench --deliveries 2000 --rows 2000 --repeats 2

SQLite lets one connection write at a time, and a clerk's save waits for it at most
SQLITE_BUSY_TIMEOUT_MS (5 s), then the clerk sees the 503 "busy" page. A job that begins its
write transaction and then computes holds every save for as long as it computes. Measured on
one SQLite file, in one run, each job two ways, interleaved:
- **before**: the write transaction begun first and the work done inside it (as the jobs did
  until this session);
- **now**: the work done in a read transaction, the lock taken only to write
  (certs/registry.issue_in_two_steps; fieldtools/imports.import_planned).

The jobs: a lot certificate whose origins are an export lot of N deliveries from N/10 plots
(benchmarks/lots_bench.py's genealogy; the origin table WeasyPrint lays out), and a plot import
of a KoboToolbox export of R rows (benchmarks/fieldimport_bench.py's file, new uuids each time).
Meanwhile a clerk, a process of its own with its own connection (busy timeout 60 s, so it waits
instead of failing), writes a row every 50 ms and notes how long each write waited for the
lock. Figures per job: the job's time, the clerk's longest wait and its writes during the job.
Target: no wait over the 5 s busy timeout, which is a clerk's 503.
"""

import argparse
import multiprocessing
import sqlite3
import statistics
import sys
import tempfile
import time

from alembic import command
from sqlalchemy import select

import coopchain.models  # noqa: F401  (every table on the metadata)
from coopchain import create_app
from coopchain.certs import registry
from coopchain.cli import alembic_config
from coopchain.db import DEFAULT_SQLITE_BUSY_TIMEOUT_MS, begin_write, database
from coopchain.fieldtools.imports import import_field_plots, import_planned
from coopchain.lots.models import Lot

from . import fieldimport_bench, lots_bench
from .common import load_average, machine, machine_markdown, write_section

SECTION = "job-lock-bench"
#: A clerk's write waiting longer than this is refused: the 503 "busy" page.
TARGET_S = DEFAULT_SQLITE_BUSY_TIMEOUT_MS / 1000
CLERK_EVERY_S = 0.05
OVERRIDE = "Benchmark: forest evidence not loaded."


def clerk(path: str, ready, stop, results) -> None:
    """Write a row every CLERK_EVERY_S until `stop` (`ready` once the first is written); put
    [(started, waited s)] on `results`."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=60)
    connection.execute("PRAGMA busy_timeout=60000")
    connection.execute("CREATE TABLE IF NOT EXISTS bench_clerk (id INTEGER PRIMARY KEY, at REAL)")
    writes = []
    while not stop.is_set():
        started = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes
        connection.execute("BEGIN IMMEDIATE")
        waited = time.perf_counter() - started
        connection.execute("INSERT INTO bench_clerk (at) VALUES (?)", (started,))
        connection.execute("COMMIT")
        writes.append((started, waited))
        ready.set()
        time.sleep(CLERK_EVERY_S)
    connection.close()
    results.put(writes)


def certificate_before(app, org_id: int, code: str) -> None:
    with app.app_context(), database().sessionmaker() as session:
        begin_write(session)
        registry.issue_certificate(
            session, org_id, None, kind="lot", reference=code, language="es",
            override_reason=OVERRIDE, may_override=True,
        )  # fmt: skip
        session.commit()


def certificate_now(app, org_id: int, code: str) -> None:
    with app.app_context(), database().sessionmaker() as session:
        request = registry.Request("lot", code, "es", OVERRIDE, True)
        registry.issue_in_two_steps(session, org_id, None, request)
        session.commit()


def import_before(app, org_id: int, data: bytes) -> None:
    with app.app_context(), database().sessionmaker() as session:
        begin_write(session)
        plan = import_field_plots(
            session, org_id, None, data, "kobo", confirm=True, max_accuracy_m=10.0
        )
        assert plan.written, plan.errors[:3]
        session.commit()


def import_now(app, org_id: int, data: bytes) -> None:
    with app.app_context(), database().sessionmaker() as session:
        checked = import_field_plots(
            session, org_id, None, data, "kobo", confirm=False, max_accuracy_m=10.0
        )
        session.rollback()
        begin_write(session)
        plan = import_planned(
            session, org_id, None, data, "kobo", None, checked, max_accuracy_m=10.0
        )
        assert plan.written, plan.errors[:3]
        session.commit()


def timed_with_clerk(path: str, job) -> dict:
    """Run `job()` while the clerk writes; the job's seconds and the clerk's waits meanwhile."""
    context = multiprocessing.get_context("spawn")
    ready, stop, results = context.Event(), context.Event(), context.Queue()
    process = context.Process(target=clerk, args=(path, ready, stop, results))
    process.start()
    if not ready.wait(60):  # the clerk is writing before the job starts
        raise RuntimeError("the clerk process did not start")
    started = time.perf_counter()
    job()
    ended = time.perf_counter()
    time.sleep(0.2)
    stop.set()
    writes = results.get(timeout=120)
    process.join()
    during = [waited for at, waited in writes if started <= at <= ended]
    return {
        "job_s": ended - started,
        "max_wait_s": max(during, default=0.0),
        "writes": len(during),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=2_000)
    parser.add_argument("--rows", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--no-doc", action="store_true", help="print only")
    args = parser.parse_args(argv)
    info = machine()
    info["postgresql"] = "not used (SQLite's one writer is what is measured)"
    workdir = tempfile.mkdtemp(prefix="coopchain-bench-lock-")
    path = f"{workdir}/bench.sqlite"
    url = f"sqlite:///{path}"
    command.upgrade(alembic_config(url), "head")
    app = create_app({"COOPCHAIN_ENV": "test", "DATABASE_URL": url, "RATELIMIT_ENABLED": False})
    print(f"SQLite file {path}: building", flush=True)
    lot_id, code, _email = lots_bench.build_size(app, args.deliveries)
    with app.app_context(), database().sessionmaker() as session:
        cert_org = session.scalar(select(Lot.organization_id).where(Lot.id == lot_id))
    field_org = fieldimport_bench.build(app)
    files = iter(
        fieldimport_bench.kobo_export(args.rows, first=k * args.rows)
        for k in range(2 * args.repeats)
    )
    jobs = {
        f"lot certificate, {args.deliveries:,} deliveries": (
            lambda: certificate_before(app, cert_org, code),
            lambda: certificate_now(app, cert_org, code),
        ),
        f"plot import, {args.rows:,} Kobo rows": (
            lambda: import_before(app, field_org, next(files)),
            lambda: import_now(app, field_org, next(files)),
        ),
    }
    results: dict[tuple[str, str], list[dict]] = {}
    for name, (before, now) in jobs.items():
        for _ in range(args.repeats):
            for way, job in (("before", before), ("now", now)):
                found = timed_with_clerk(path, job)
                results.setdefault((name, way), []).append(found)
                print(
                    f"  {name}, {way}: job {found['job_s']:.2f} s, clerk waited at most "
                    f"{found['max_wait_s'] * 1000:.0f} ms over {found['writes']} writes",
                    flush=True,
                )
    app.extensions["coopchain.db"].engine.dispose()
    info["load_end"] = load_average()
    lines = [
        "## A clerk's save during long jobs on SQLite (issue 19 §1)",
        "",
        "Written by `benchmarks/job_lock_bench.py` (`make bench`; see its docstring). A clerk "
        f"writes every {CLERK_EVERY_S * 1000:.0f} ms from a process of its own while each job "
        "runs, the job as it was (write transaction first) and as it is now (the lock only to "
        f"write), interleaved, {args.repeats} runs each, medians. Target: no wait over the "
        f"{TARGET_S:.0f} s busy timeout (past it the clerk gets the 503 page).",
        "",
        "| job | way | job time | clerk's longest wait | clerk's writes during the job | target |",
        "|---|---|---:|---:|---:|---|",
    ]
    for (name, way), found in results.items():
        wait = statistics.median(r["max_wait_s"] for r in found)
        met = wait <= TARGET_S
        lines.append(
            f"| {name} | {way} | {statistics.median(r['job_s'] for r in found):.2f} s "
            f"| {wait * 1000:,.0f} ms | {statistics.median(r['writes'] for r in found):.0f} "
            f"| {'PASS' if met else '**over the busy timeout: a 503**'} |"
        )
    lines += ["", machine_markdown(info)]
    body = "\n".join(lines)
    print(body)
    if not args.no_doc:
        print(f"\nwritten to {write_section(SECTION, body)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
