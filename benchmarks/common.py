"""What every benchmark needs: the machine, throw-away databases, timing summaries, and its own
marked section of docs/BENCHMARKS.md (so several benchmarks can share the file)."""

import argparse
import math
import os
import platform
import sqlite3
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from coopchain.config import PROJECT_ROOT
from coopchain.db import database, make_engine

DOC = PROJECT_ROOT / "docs" / "BENCHMARKS.md"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/coopchain_bench"
#: Databases a benchmark must never empty: `test` belongs to the test suite, which others run
#: concurrently; the rest are PostgreSQL's own.
PROTECTED_DATABASES = {"test", "postgres", "template0", "template1"}

DOC_INTRO = """# Benchmarks

Figures for the performance targets the issues set, measured on real data volumes. They are
not tests (nothing here runs in `make test`): each benchmark is a script under `benchmarks/`
that builds its data on throw-away databases (a temporary SQLite file, and the PostgreSQL
database named by `COOPCHAIN_BENCH_POSTGRES_URL`, by default
`postgresql://postgres@127.0.0.1:5432/coopchain_bench`, which is created if missing and
emptied on every run; never the test suite's database), times the paths the targets are about,
and rewrites its own section below, between its `<!-- name:start -->` and `<!-- name:end -->`
markers. Run them all with:

```sh
make bench
```

A new benchmark adds a script under `benchmarks/`, a line to the `bench` target of the
Makefile, and writes its section with `benchmarks.common.write_section`. When PostgreSQL is
unreachable a benchmark says so and measures SQLite only.
"""


class DatabaseUnavailable(Exception):
    """The benchmark database cannot be used; the message says why."""


# --- the machine ------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024  # kB → GiB
    except OSError:
        pass
    return None


def machine() -> dict:
    """The facts a reader needs to compare figures between runs."""
    return {
        # What `nproc` prints: the CPUs this process may run on.
        "cpus": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "ram_gib": _ram_gib(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": None,  # filled in by the benchmark once it has reached the server
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_start": load_average(),
        "load_end": None,  # set by the benchmark when it is done
        "python_speed_ms": python_speed_ms(),
    }


def python_speed_ms(repeats: int = 5) -> float:
    """Milliseconds, best of `repeats`, of one fixed pure-Python workload like the one these
    benchmarks spend their time in (100,000 small tuples built, a dict probed, a sort). Two
    2-core machines of this project differed twofold in single-core speed, which moves every
    absolute figure: this one says how fast the machine was, so figures from different runs
    compare (a figure that doubles with it is the machine, not the code)."""

    def workload() -> None:
        table = {i: (i, str(i)) for i in range(100_000)}
        rows = [(table[i][1], i * 7919 % 100_003) for i in range(100_000)]
        rows.sort(key=lambda row: row[1])

    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        workload()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def load_average() -> float | None:
    """The 1-minute load average: other work on the machine slows every figure."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def machine_markdown(info: dict) -> str:
    ram = f"{info['ram_gib']:.1f} GiB RAM" if info["ram_gib"] else "RAM unknown"
    postgres = info["postgresql"] or "not measured (unreachable)"
    return (
        f"**Machine:** {info['cpus']} CPUs (`nproc`), {ram} (`/proc/meminfo`), {info['cpu']}; "
        f"Python {info['python']}, SQLite {info['sqlite']}, PostgreSQL {postgres}; "
        f"run on {info['date']}." + _load_markdown(info) + _speed_markdown(info)
    )


def _speed_markdown(info: dict) -> str:
    if info.get("python_speed_ms") is None:
        return ""
    return (
        f" Python speed: {info['python_speed_ms']:.0f} ms for `benchmarks.common."
        "python_speed_ms`'s fixed workload (lower is faster; compare runs by it)."
    )


def _load_markdown(info: dict) -> str:
    if info.get("load_start") is None:
        return ""
    end = info.get("load_end")
    during = f" and {end:.2f} at the end" if end is not None else ""
    return (
        f" Load average (1 min) {info['load_start']:.2f} at the start{during} of the run "
        f"(out of {info['cpus']} CPUs; anything above ~0 is other work competing for them)."
    )


# --- databases --------------------------------------------------------------------------------


def prepare_postgres(url: str) -> str:
    """Create the benchmark database if missing and empty its public schema.

    Returns the server version; raises DatabaseUnavailable when the server cannot be reached
    or the URL names a database that must not be emptied."""
    parsed = make_url(url)
    name = parsed.database
    if not name or name in PROTECTED_DATABASES:
        raise DatabaseUnavailable(
            f"refusing to empty database {name!r}: point COOPCHAIN_BENCH_POSTGRES_URL at a "
            "database of its own (the default is coopchain_bench)"
        )
    # libpq's own setting: give up on an unreachable host after 5 s instead of minutes.
    os.environ.setdefault("PGCONNECT_TIMEOUT", "5")
    admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False))
    engine = make_engine(url)
    try:
        with admin.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                quoted = admin.dialect.identifier_preparer.quote(name)
                connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
            version = connection.scalar(text("SHOW server_version"))
            if connection.scalar(text("SHOW autovacuum")) != "on":
                version += " (autovacuum off; the benchmarks ANALYZE after each bulk load)"
            return version
    except Exception as exc:  # any failure means "no usable PostgreSQL": say why, go on
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DatabaseUnavailable(first_line) from exc
    finally:
        admin.dispose()
        engine.dispose()


def refresh_statistics(session) -> None:
    """ANALYZE after a bulk load on PostgreSQL, as autovacuum would soon do in production.

    Without statistics the planner guesses a handful of rows per organisation and may join a
    lot's ancestry to all the organisation's deliveries (measured: 76 ms instead of 0.6 ms for
    a one-lot ancestry among 20,000 deliveries), which would time the planner's ignorance, not
    the code. SQLite is left alone: nothing analyzes it in production either."""
    if session.get_bind().dialect.name == "postgresql":
        session.commit()
        session.execute(text("ANALYZE"))
        session.commit()
        # Write the bulk load's dirty pages out now, as a server would long have done before
        # anyone reads the lot: left to PostgreSQL's own checkpoint, that disk work landed in
        # the middle of the measurements (the 2,000-delivery p95s doubled). Needs a superuser
        # (or pg_checkpoint); without one the figures carry that noise.
        try:
            session.execute(text("CHECKPOINT"))
            session.commit()
        except DBAPIError:
            session.rollback()


# --- timing -----------------------------------------------------------------------------------


def timed_in_session(app, call) -> tuple[float, object]:
    """(seconds, result) of `call(session)` in a fresh session of `app` (nothing cached in an
    identity map), the session's opening not counted."""
    with app.app_context():
        session = database().sessionmaker()
        try:
            started = time.perf_counter()
            result = call(session)
            return time.perf_counter() - started, result
        finally:
            session.close()


def summary_ms(samples: list[float]) -> dict:
    """Median and p95 (nearest rank: of 10 samples, the slowest) in milliseconds."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(0.95 * len(ordered)))
    return {
        "median": statistics.median(ordered) * 1000,
        "p95": ordered[rank - 1] * 1000,
        "n": len(ordered),
    }


# --- the document -----------------------------------------------------------------------------


def write_section(name: str, body: str, doc: Path = DOC) -> Path:
    """Replace the section between `<!-- name:start -->` and `<!-- name:end -->` in
    docs/BENCHMARKS.md (appended at the end the first time), leaving the others alone."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    current = doc.read_text(encoding="utf-8") if doc.exists() else DOC_INTRO
    block = f"{start}\n{body.strip()}\n{end}"
    if start in current and end in current:
        before = current[: current.index(start)]
        after = current[current.index(end) + len(end) :]
        updated = before + block + after
    else:
        updated = current.rstrip("\n") + "\n\n" + block + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(updated, encoding="utf-8")
    return doc


def database_urls(databases, postgres_url: str, workdir: str, info: dict):
    """The URLs to measure: a SQLite file in `workdir`, and PostgreSQL when asked for and
    reachable (emptied first; `info` gets its version). An unreachable PostgreSQL is said loudly
    and returned in `skipped`, so the report can say what was not measured."""
    urls, skipped = {}, {}
    if "sqlite" in databases:
        urls["sqlite"] = f"sqlite:///{workdir}/bench.sqlite"
    if "postgresql" in databases:
        try:
            info["postgresql"] = prepare_postgres(postgres_url)
            urls["postgresql"] = postgres_url
        except DatabaseUnavailable as exc:
            skipped["PostgreSQL"] = f"{postgres_url} is unusable ({exc})."
            print(f"\n*** PostgreSQL NOT MEASURED: {skipped['PostgreSQL']} ***\n", flush=True)
    return urls, skipped


def csv_arg(value: str, allowed=None, kind=str) -> list:
    """An argparse type for comma-separated values ("200,2_000"; underscores ignored),
    each converted by `kind` and, when `allowed` is given, checked against it."""
    items = [kind(item.strip().replace("_", "")) for item in value.split(",") if item.strip()]
    if not items or (allowed is not None and any(item not in allowed for item in items)):
        raise argparse.ArgumentTypeError(f"choose from {', '.join(map(str, allowed or ()))}")
    return items
