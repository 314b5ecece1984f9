"""Field import benchmark (issue 17 §1): plots from a KoboToolbox export of 2,000 rows ≤ 20 s.

    .venv/bin/python -m benchmarks.fieldimport_bench                    # SQLite
    .venv/bin/python -m benchmarks.fieldimport_bench --databases sqlite,postgresql

Setup, through the services: 400 producers (no plots). The file: a Kobo .xlsx export with one
row per submission (member code, plot name, crop, a 12-point geoshape "lat lon alt acc; …"
with 7-decimal coordinates and per-point accuracies, _uuid), plots on a 0.01° grid around the
Alto Mayo. Measured, each in its own session, from the file's bytes: the preview (read, map,
every geometry rule, producer matching: the dry run the page and API show), the import
(the same, then 2,000 plots with their ledger events and submissions, and the commit), and
the same file imported again (every submission known: nothing written). The target is the
import. Writes its section of docs/BENCHMARKS.md unless --no-doc.
"""

import argparse
import io
import math
import os
import sys
import tempfile
import time
from datetime import date

from alembic import command
from openpyxl import Workbook

import coopchain.models  # noqa: F401  (every table on the metadata)
from coopchain import create_app
from coopchain.auth import services as auth
from coopchain.cli import alembic_config
from coopchain.db import begin_write, database
from coopchain.farms import producers
from coopchain.fieldtools.imports import import_field_plots

from .common import (
    DEFAULT_POSTGRES_URL,
    csv_arg,
    database_urls,
    load_average,
    machine,
    machine_markdown,
    refresh_statistics,
    write_section,
)

SECTION = "fieldimport"
TARGET_S = 20.0
PRODUCERS = 400
HEADERS = ["start", "datos/codigo_socio", "datos/nombre_parcela", "datos/cultivo"]
HEADERS += ["datos/linderos", "_id", "_uuid", "_submission_time"]


def geoshape(i: int) -> str:
    """12 points (11 + the first again) around a grid cell centre, latitude first (ODK)."""
    lon, lat = -77.9 + (i % 50) * 0.01, -5.5 - (i // 50) * 0.01
    points = []
    for k in range(11):
        angle = 2 * math.pi * k / 11
        points.append(
            f"{lat + 0.0009 * math.sin(angle):.7f} {lon + 0.0011 * math.cos(angle):.7f} "
            f"{1100 + k}.0 {3.5 + (k % 4) * 0.5}"
        )
    return "; ".join([*points, points[0]])


def kobo_export(rows: int, first: int = 0) -> bytes:
    """`rows` submissions; `first` numbers their uuids, so another file is new to the import."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Linderos de parcelas")
    sheet.append(HEADERS)
    for i in range(rows):
        sheet.append(
            [
                "2026-11-10T08:00:00",
                f"FB-{i % PRODUCERS:05d}",
                f"Parcela {i}",
                "café",
                geoshape(i),
                1000 + i,
                f"5e1f0000-0000-4000-8000-{first + i:012d}",
                "2026-11-10T09:00:00",
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def build(app) -> int:
    with app.app_context():
        session = database().sessionmaker()
        try:
            org = auth.create_organization(session, "FIELDB", "Bench field import", "cooperative")
            for i in range(PRODUCERS):
                producers.create_producer(
                    session,
                    org.id,
                    None,
                    {
                        "member_code": f"FB-{i:05d}",
                        "first_name": "Rosa",
                        "last_name": f"Huamán {i}",
                        "national_id": f"4{i:07d}",
                        "joined_on": date(2016, 3, 1),
                        "status": "active",
                    },
                )
            session.commit()
            refresh_statistics(session)
            return org.id
        finally:
            session.close()


def timed(app, org_id: int, data: bytes, *, confirm: bool):
    with app.app_context(), database().sessionmaker() as session:
        begin_write(session)
        started = time.perf_counter()
        plan = import_field_plots(
            session, org_id, None, data, "kobo", confirm=confirm, max_accuracy_m=10.0
        )
        session.commit()
        return time.perf_counter() - started, plan


def measure(url: str, data: bytes) -> dict:
    command.upgrade(alembic_config(url), "head")
    config = {"COOPCHAIN_ENV": "test", "DATABASE_URL": url, "RATELIMIT_ENABLED": False}
    app = create_app(config)
    try:
        org_id = build(app)
        preview_s, preview = timed(app, org_id, data, confirm=False)
        import_s, imported = timed(app, org_id, data, confirm=True)
        again_s, again = timed(app, org_id, data, confirm=True)
    finally:
        app.extensions["coopchain.db"].engine.dispose()
    assert not preview.errors, preview.errors[:3]
    assert len(imported.created_plot_ids) == len(preview.rows)
    assert again.count("imported_before") == len(preview.rows) and not again.written
    return {
        "rows": len(preview.rows),
        "preview_s": preview_s,
        "import_s": import_s,
        "again_s": again_s,
        "warnings": len(preview.warnings),
    }


def command_line(args, urls) -> str:
    line = f".venv/bin/python -m benchmarks.fieldimport_bench --databases {','.join(urls)}"
    if "postgresql" in urls and args.postgres_url != DEFAULT_POSTGRES_URL:
        line += f" --postgres-url {args.postgres_url}"
    return line


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000)
    parser.add_argument(
        "--databases", type=lambda v: csv_arg(v, ("sqlite", "postgresql")), default=["sqlite"]
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("COOPCHAIN_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="emptied and rebuilt on every run (env COOPCHAIN_BENCH_POSTGRES_URL)",
    )
    parser.add_argument("--no-doc", action="store_true", help="print only")
    args = parser.parse_args(argv)
    info = machine()
    workdir = tempfile.mkdtemp(prefix="coopchain-bench-field-")
    urls, skipped = database_urls(args.databases, args.postgres_url, workdir, info)
    started = time.perf_counter()
    data = kobo_export(args.rows)
    build_s = time.perf_counter() - started
    results = {kind: measure(url, data) for kind, url in urls.items()}
    info["load_end"] = load_average()
    failed = any(r["import_s"] > TARGET_S for r in results.values())
    lines = [
        "## Field import: plots from a KoboToolbox export (issue 17 §1)",
        "",
        f"Target: import {args.rows:,} Kobo rows in ≤ {TARGET_S:.0f} s. A {len(data) / 1e6:.1f} MB"
        f" .xlsx (written in {build_s:.1f} s), each row a 12-point geoshape with accuracies,"
        f" {PRODUCERS} producers. Command: `{command_line(args, urls)}`.",
        "",
        "| database | rows | preview (dry run) | import (all or nothing, committed) "
        "| same file again | target |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for kind, r in results.items():
        verdict = "met" if r["import_s"] <= TARGET_S else "**missed**"
        lines.append(
            f"| {kind} | {r['rows']:,} | {r['preview_s']:.2f} s | {r['import_s']:.2f} s "
            f"| {r['again_s']:.2f} s | {verdict} |"
        )
    lines += [f"\n{name} not measured: {why}" for name, why in skipped.items()]
    lines += ["", machine_markdown(info)]
    body = "\n".join(lines)
    print(body)
    if not args.no_doc:
        print(f"\nwritten to {write_section(SECTION, body)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
