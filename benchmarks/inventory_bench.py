"""Season inventory benchmark (issue 20 §2): the inventory an inspector opens, at volume.

    .venv/bin/python -m benchmarks.inventory_bench --sizes 2000 --databases sqlite

For each database and size N, the lots benchmark's organisation (benchmarks.lots_bench
.build_size: N deliveries of N/10 producers, merged in three levels, processed to green and
split), then `season_inventory` for the deliveries' season: one cold call on a fresh engine and
the median / p95 of 5 warm calls, each in a new session. The issue sets no time target; the
figures say whether the page needs to become a job (DESIGN.md §7: over ~2 s).
"""

import argparse
import os
import shutil
import tempfile
import time

from alembic import command
from sqlalchemy import select

import coopchain.models  # noqa: F401  (every table on the metadata)
from coopchain import create_app
from coopchain.auth.models import Organization
from coopchain.cli import alembic_config
from coopchain.db import database
from coopchain.lots.inventory import season_inventory
from coopchain.lots.mass_balance import seasons

from .common import (
    DEFAULT_POSTGRES_URL,
    csv_arg,
    database_urls,
    load_average,
    machine,
    machine_markdown,
    summary_ms,
    write_section,
)
from .lots_bench import build_size

SECTION = "inventory-bench"
REPEATS = 5


def measure(config: dict, kind: str, n: int) -> dict:
    setup = create_app(config)
    try:
        build_size(setup, n)
    finally:
        setup.extensions["coopchain.db"].engine.dispose()
    app = create_app(config)
    samples = []
    try:
        with app.app_context():
            for _ in range(REPEATS + 1):
                with database().sessionmaker() as session:
                    org = session.scalars(
                        select(Organization).where(Organization.code == f"B{n}")
                    ).one()
                    season = seasons(session, org.id)[0]
                    started = time.perf_counter()
                    report = season_inventory(session, org.id, season)
                    samples.append(time.perf_counter() - started)
    finally:
        app.extensions["coopchain.db"].engine.dispose()
    warm = summary_ms(samples[1:])
    row = {
        "kind": kind,
        "deliveries": n,
        "lots": len(report.lots),
        "differences": len(report.differences),
        "cold_ms": samples[0] * 1000,
        "median": warm["median"],
        "p95": warm["p95"],
    }
    print(
        f"  {kind} {n:,} deliveries: {row['lots']:,} lots, cold {row['cold_ms']:.0f} ms, "
        f"warm median {warm['median']:.0f} ms, p95 {warm['p95']:.0f} ms, "
        f"{row['differences']} differences",
        flush=True,
    )
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.inventory_bench")
    parser.add_argument("--sizes", type=lambda v: csv_arg(v, kind=int), default=[2_000])
    parser.add_argument(
        "--databases",
        type=lambda v: csv_arg(v, ("sqlite", "postgresql")),
        default=["sqlite", "postgresql"],
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("COOPCHAIN_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
    )
    parser.add_argument("--no-doc", action="store_true", help="print only")
    args = parser.parse_args(argv)
    info = machine()
    workdir = tempfile.mkdtemp(prefix="coopchain-bench-")
    rows = []
    try:
        urls, _skipped = database_urls(args.databases, args.postgres_url, workdir, info)
        for kind, url in urls.items():
            command.upgrade(alembic_config(url), "head")
            config = {"COOPCHAIN_ENV": "test", "DATABASE_URL": url, "RATELIMIT_ENABLED": False}
            rows.extend(measure(config, kind, n) for n in args.sizes)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    info["load_end"] = load_average()
    lines = [
        "## Season inventory (issue 20 §2)",
        "",
        "Written by `benchmarks/inventory_bench.py` "
        "(`.venv/bin/python -m benchmarks.inventory_bench --help`).",
        "",
        machine_markdown(info),
        "",
        "| database | deliveries | lots in the season | cold | warm median | warm p95 | "
        "differences |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {r['kind']} | {r['deliveries']:,} | {r['lots']:,} | {r['cold_ms']:.0f} ms | "
            f"{r['median']:.0f} ms | {r['p95']:.0f} ms | {r['differences']} |"
            for r in rows
        ),
    ]
    if rows and not args.no_doc:
        print(f"written to {write_section(SECTION, chr(10).join(lines))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
