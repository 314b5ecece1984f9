"""EUDR due diligence statement benchmark: a shipment of 10,000 producers (the most one DDS may
declare, DOMAIN.md §8) built into statements, checked, and serialised as SubmitDdsRequest XML.

    .venv/bin/python -m benchmarks.dds_bench [--producers 10000] [--plots 20000] [--repeats 3]

Pure: no database, no network. Reuses eudr_bench's synthetic plots (half 8-vertex polygons,
half points, coordinates with noise past the 6th decimal) spread over the producers. Times
``build_statements`` (every plot validated, per-producer GeoJSON base64-encoded, the split at
1,000 producers per commodity, the last-guard check of each statement) and the XML of every
statement: median of the repeats. Writes its section of docs/BENCHMARKS.md.
"""

import argparse
import statistics
import sys
import time
from collections import defaultdict
from decimal import Decimal

from coopchain import create_app
from coopchain.eudr import xml as ddsxml
from coopchain.eudr.statement import DdsInput, DdsProducer, build_statements

from .common import load_average, machine, machine_markdown, write_section
from .eudr_bench import synthetic_plots


def dds_input(n_producers: int, n_plots: int) -> DdsInput:
    by_producer = defaultdict(list)
    for plot in synthetic_plots(n_plots, n_producers):
        by_producer[plot.producer_code].append(plot)
    producers = [
        DdsProducer(code, plots[0].producer_name, "PE", plots, Decimal("6.900"))
        for code, plots in by_producer.items()
    ]
    return DdsInput(
        internal_reference="HH-2026-014",
        operator_role="OPERATOR",
        activity_type="IMPORT",
        country_of_activity="DE",
        eori="DE4711000000815",
        description_of_goods="Green coffee, not roasted, not decaffeinated (HS 0901.11)",
        hs_heading="090111",
        net_kg=Decimal("6.900") * len(producers),
        producers=producers,
    )


def run_once(data: DdsInput) -> tuple[float, float, int, int]:
    """(build seconds, XML seconds, statements, XML bytes)."""
    start = time.perf_counter()
    plan = build_statements(data)
    built = time.perf_counter()
    size = sum(len(ddsxml.to_bytes(ddsxml.submit_request(s))) for s in plan.statements)
    return built - start, time.perf_counter() - built, len(plan.statements), size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--producers", type=int, default=10_000)
    parser.add_argument("--plots", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    info = machine()
    info["postgresql"] = "not used (no database)"
    app = create_app({"COOPCHAIN_ENV": "test", "DATABASE_URL": "sqlite://"})
    with app.app_context():
        data = dds_input(args.producers, args.plots)
        runs = [run_once(data) for _ in range(args.repeats)]
    info["load_end"] = load_average()
    build_s = statistics.median(r[0] for r in runs)
    xml_s = statistics.median(r[1] for r in runs)
    _b, _x, statements, size = runs[0]
    body = "\n".join(
        [
            "## EUDR due diligence statements (issue 18 §1)",
            "",
            f"`.venv/bin/python -m benchmarks.dds_bench --producers {args.producers} "
            f"--plots {args.plots} --repeats {args.repeats}`: {args.producers:,} producers, "
            f"{args.plots:,} plots, median of {args.repeats}. No target was set; the figure "
            "says whether building the statements belongs in a request or a job.",
            "",
            "| Figure | Value |",
            "|---|---|",
            f"| build_statements (validate, GeoJSON, base64, split, check) | {build_s:.2f} s |",
            f"| SubmitDdsRequest XML of every statement | {xml_s:.2f} s |",
            f"| statements / XML bytes | {statements} / {size / 1024 / 1024:.1f} MiB |",
            "",
            machine_markdown(info),
        ]
    )
    print(body)
    write_section("dds", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
