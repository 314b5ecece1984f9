"""Bag labels benchmark (issue 5): the A4 label sheet for 300 bags in ≤ 10 s, peak memory
reported.

    .venv/bin/python -m benchmarks.labels_bench
    .venv/bin/python -m benchmarks.labels_bench --bags 600 --repeats 5

Data, on a throw-away SQLite file migrated with alembic (like lots_bench): 30 producers, each
with an organic coffee plot and an agreement in force, one green coffee delivery each (700 kg
net), the 30 origin lots merged into one export lot, and 300 bags of 69 kg filled from it —
the usual shape of one container. Everything goes through the services.

Figures: `labels_pdf(session, org, bags, "sheet")` — what GET /lots/<code>/labels.pdf runs:
organic status from the lot's origins, one QR code per bag, WeasyPrint — median of N runs, each
in a fresh session, wall clock and CPU time (the CPU time is what to compare when other work
loads the machine: the load average is printed); the single-label layout (one 100 × 150 mm
page per bag) likewise, for comparison. Peak memory: tracemalloc's peak during one more sheet
run (Python allocations only), and the process's maximum resident set size (ru_maxrss, includes
the libraries and WeasyPrint's native allocations). Prints markdown tables and writes them to
docs/BENCHMARKS.md (its labels-bench section) unless --no-doc.

The floor (issue 19 §3): in the same run, after each layout's render, WeasyPrint alone renders
the very HTML that render handed it (benchmarks/pdf_floor.py, same URL fetcher for the inline
QR images); the labels' median over the floor's median is the ratio, target ≤ 1.3.
"""

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from decimal import Decimal

from alembic import command
from sqlalchemy import select

import coopchain.models  # noqa: F401  (every table on the metadata)
from coopchain import create_app
from coopchain.auth import services as auth
from coopchain.cli import alembic_config
from coopchain.clock import today
from coopchain.db import database
from coopchain.lots import services, transformations
from coopchain.lots.bags import create_bags
from coopchain.lots.models import Bag, Lot
from coopchain.trace.label_sheets import labels_pdf

from . import pdf_floor
from .common import load_average, machine, machine_markdown, write_section
from .lots_bench import build_farms, delivery_values

BAGS = 300
REPEATS = 3
TARGET_S = 10
PRODUCERS = 30
DELIVERY_NET_KG = Decimal("700")


def build(app, bag_count: int) -> tuple[int, int]:
    """The organisation and its export lot with `bag_count` bags; returns (org id, lot id)."""
    with app.app_context():
        session = database().sessionmaker()
        try:
            org = auth.create_organization(
                session, "LBL", "Cooperativa Agraria Cafetalera Alto Mayo", "cooperative"
            )
            farmed = build_farms(session, org.id, PRODUCERS, "LBL")
            needed = Decimal("69") * bag_count
            per_delivery = max(DELIVERY_NET_KG, -(-needed // len(farmed)) + 1)
            codes = []
            for i, (_member, plot) in enumerate(farmed):
                values = {
                    **delivery_values(i, "LBL"),
                    "product_form": "green",
                    "gross_kg": per_delivery + Decimal("0.5"),
                    "producer_id": plot.producer_id,
                    "plot_id": plot.id,
                }
                delivery = services.register_delivery(session, org.id, None, values)
                codes.append(services.lot_of_delivery(session, delivery).code)
            merged = transformations.merge(
                session, org.id, None, [(code, None) for code in codes], today() - timedelta(30)
            )
            lot = session.scalar(select(Lot).where(Lot.transformation_id == merged.id))
            create_bags(session, org.id, None, lot.code, bag_count)
            session.commit()
            return org.id, lot.id
        finally:
            session.close()


def render(app, org_id: int, lot_id: int, layout: str) -> tuple[float, float, int]:
    """One labels_pdf call in a fresh session: (wall seconds, CPU seconds, PDF bytes)."""
    with app.app_context():
        session = database().sessionmaker()
        try:
            bags = list(
                session.scalars(select(Bag).where(Bag.lot_id == lot_id).order_by(Bag.serial))
            )
            started, cpu = time.perf_counter(), time.process_time()
            data = labels_pdf(session, org_id, bags, layout)
            return time.perf_counter() - started, time.process_time() - cpu, len(data)
        finally:
            session.close()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bags", type=int, default=BAGS)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--no-doc", action="store_true", help="do not touch docs/BENCHMARKS.md")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    info = machine()
    workdir = tempfile.mkdtemp(prefix="coopchain-labels-bench-")
    try:
        url = f"sqlite:///{workdir}/bench.sqlite"
        print("sqlite: alembic upgrade head", flush=True)
        command.upgrade(alembic_config(url), "head")
        app = create_app({"COOPCHAIN_ENV": "test", "DATABASE_URL": url})
        started = time.perf_counter()
        org_id, lot_id = build(app, args.bags)
        print(f"  setup ({args.bags} bags): {time.perf_counter() - started:.1f} s", flush=True)
        rows, floors = [], []
        for layout in ("sheet", "single"):
            runs, floor_runs = [], []
            for _ in range(args.repeats):
                with pdf_floor.recording() as calls:
                    runs.append(render(app, org_id, lot_id, layout))
                floor_runs.append(pdf_floor.floor_render(calls[-1]))
            seconds = [wall for wall, _cpu, _size in runs]
            cpu = statistics.median(cpu for _wall, cpu, _size in runs)
            rows.append((layout, statistics.median(seconds), max(seconds), cpu, runs[0][2]))
            floors.append(
                (
                    statistics.median(wall for wall, _cpu, _pdf in floor_runs),
                    statistics.median(cpu for _wall, cpu, _pdf in floor_runs),
                )
            )
            print(f"  {layout}: {', '.join(f'{s:.2f} s' for s in seconds)}", flush=True)
        tracemalloc.start()
        render(app, org_id, lot_id, "sheet")
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        max_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        app.extensions["coopchain.db"].engine.dispose()
        info["load_end"] = load_average()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    sheet_median = rows[0][1]
    verdict = "PASS" if sheet_median <= TARGET_S else "FAIL"
    lines = [
        "## Bag labels against bare WeasyPrint (issues 5, 19 §3)",
        "",
        "Written by `benchmarks/labels_bench.py` (`make bench`): the labels of one container's "
        f"{args.bags} bags, each layout against bare WeasyPrint rendering the same HTML (the "
        "floor), in one run.",
        "",
        machine_markdown(info),
        "",
        f"| Labels PDF, {args.bags} bags | median of {args.repeats} | slowest | "
        "CPU time (median) | PDF size |",
        "|---|---:|---:|---:|---:|",
    ]
    for layout, median, slowest, cpu, size in rows:
        what = "A4 sheet, 8 per page" if layout == "sheet" else "single 100 × 150 mm"
        lines.append(
            f"| {what} | {median:.2f} s | {slowest:.2f} s | {cpu:.2f} s | "
            f"{size / 1024 / 1024:.2f} MB |"
        )
    lines += [
        "",
        "| Issue 19 §3: labels ÷ floor (bare WeasyPrint, same HTML) | floor | ratio | verdict |",
        "|---|---:|---:|---|",
    ]
    for row, (floor, floor_cpu) in zip(rows, floors, strict=True):
        layout, median, _slowest, cpu, _size = row
        ratio = median / floor
        lines.append(
            f"| {layout} | {floor:.2f} s (CPU {floor_cpu:.2f} s) | {ratio:.2f}× "
            f"(CPU {cpu / floor_cpu:.2f}×) | ≤ {pdf_floor.FLOOR_RATIO_TARGET}× "
            f"{pdf_floor.verdict(ratio)} |"
        )
    lines += [
        "",
        "| Peak memory (one sheet run) | |",
        "|---|---:|",
        f"| tracemalloc peak (Python allocations) | {peak / 1024 / 1024:.1f} MiB |",
        f"| ru_maxrss (whole process, whole run) | {max_rss_kib / 1024:.1f} MiB |",
        "",
        f"Target: sheet for {args.bags} bags ≤ {TARGET_S} s — {sheet_median:.2f} s, {verdict}",
    ]
    body = "\n".join(lines)
    print("\n" + body)
    if not args.no_doc:
        print(f"\nwritten to {write_section('labels-bench', body)}")
    return 1 if args.strict and verdict == "FAIL" else 0


if __name__ == "__main__":
    sys.exit(main())
