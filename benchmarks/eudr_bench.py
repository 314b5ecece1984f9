"""EUDR geolocation package benchmark (issue 5): the GeoJSON for 2,000 plots in ≤ 2 s.

    .venv/bin/python -m benchmarks.eudr_bench [--plots 2000] [--producers 400] [--repeats 5]

Pure: no database. Builds synthetic origin plots around lon −77.4, lat −5.7 (Alto Mayo): half
8-vertex polygons (1–9 ha), half points (≤ 4 ha), coordinates with float noise beyond the 6th
decimal so rounding has work to do, spread over the producers. Times ``build_package`` (every
plot through the plot-import validator, features, the split check) plus serialising every part
with ``part_bytes`` (the bytes a download sends): median of the repeats. Peak memory: the
tracemalloc peak of one extra run (traced separately, tracing slows Python down) and the
process's ru_maxrss. Prints a markdown table; docs/BENCHMARKS.md is left alone.
"""

import argparse
import math
import random
import resource
import statistics
import sys
import time
import tracemalloc
from decimal import Decimal

from coopchain import create_app
from coopchain.certs.eudr import EudrPlot, build_package, part_bytes

from .common import load_average, machine, machine_markdown

TARGET_S = 2.0
NET_KG = Decimal("69000.00")  # a 40 ft container: 1,000 bags of 69 kg


def synthetic_plots(n_plots: int, n_producers: int, seed: int = 5) -> list[EudrPlot]:
    rng = random.Random(seed)  # noqa: S311  (synthetic data, not secrets)
    plots = []
    for i in range(n_plots):
        producer = i % n_producers
        # A grid of 0.01° cells (~1.1 km) so no two plots overlap; the noise past 1e-6 is real.
        lon = -77.4 + (i % 50) * 0.01 + rng.uniform(0, 1e-7)
        lat = -5.7 + (i // 50) * 0.01 + rng.uniform(0, 1e-7)
        if i % 2:
            area = Decimal(rng.randint(30, 400)) / 100  # 0.30–4.00 ha: a point is enough
            geometry = {"type": "Point", "coordinates": [lon, lat]}
            declared, computed = area, None
        else:
            radius = rng.uniform(0.0006, 0.0017)  # ~1–9 ha octagons
            ring = [
                [lon + radius * math.cos(k * math.pi / 4), lat + radius * math.sin(k * math.pi / 4)]
                for k in range(8)
            ]
            geometry = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
            # The octagon's area in ha, roughly (the page would store the geodesic one).
            hectares = 2 * math.sqrt(2) * (radius * 111_320) ** 2 * math.cos(math.radians(5.7))
            computed = Decimal(f"{hectares / 10_000:.4f}")
            declared = computed.quantize(Decimal("0.1"))
        plots.append(
            EudrPlot(
                plot_id=i + 1,
                plot_name=f"Parcela {i + 1}",
                producer_code=f"CAF-{producer:04d}",
                producer_name=f"Productora {producer} Huamán Quispe",
                community=rng.choice(
                    ["Nuevo Edén", "Alto Mayo", "San José de Sisa", "Aguas Verdes"]
                ),
                crop="coffee",
                geometry=geometry,
                declared_area_ha=declared,
                area_ha=computed if computed is not None else declared,
                geometry_issues=[],
            )
        )
    return plots


def run_once(plots: list[EudrPlot]) -> tuple[float, float, int, int]:
    """(build seconds, serialise seconds, parts, bytes)."""
    start = time.perf_counter()
    pkg = build_package(plots, net_kg=NET_KG)
    built = time.perf_counter()
    total = sum(len(part_bytes(part)) for part in pkg.parts)
    done = time.perf_counter()
    return built - start, done - built, len(pkg.parts), total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=int, default=2000)
    parser.add_argument("--producers", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    info = machine()
    info["postgresql"] = "not used (no database)"
    app = create_app({"COOPCHAIN_ENV": "test", "DATABASE_URL": "sqlite://"})
    with app.app_context():
        plots = synthetic_plots(args.plots, args.producers)
        runs = [run_once(plots) for _ in range(args.repeats)]
        tracemalloc.start()
        run_once(plots)
        _current, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    info["load_end"] = load_average()

    build_s = statistics.median(r[0] for r in runs)
    serialise_s = statistics.median(r[1] for r in runs)
    total_s = statistics.median(r[0] + r[1] for r in runs)
    _b, _s, parts, size = runs[0]
    maxrss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    verdict = "met" if total_s <= TARGET_S else "**missed**"
    points = sum(1 for p in plots if p.geometry["type"] == "Point")

    print(
        f"EUDR geolocation package: {args.plots:,} plots ({args.plots - points:,} 8-vertex "
        f"polygons, {points:,} points), {args.producers:,} producers; median of "
        f"{args.repeats}.\n"
    )
    print("| Figure | Value |")
    print("|---|---|")
    print(f"| build_package (validate + features + split check) | {build_s * 1000:.0f} ms |")
    print(f"| serialise all parts (part_bytes) | {serialise_s * 1000:.0f} ms |")
    print(f"| **total** (target ≤ {TARGET_S:.0f} s: {verdict}) | **{total_s * 1000:.0f} ms** |")
    print(f"| parts / bytes | {parts} / {size:,} B ({size / 1024 / 1024:.2f} MiB) |")
    print(f"| peak memory, tracemalloc (one traced run) | {traced_peak / 1024 / 1024:.1f} MiB |")
    print(f"| peak memory, ru_maxrss (whole process) | {maxrss_mib:.0f} MiB |")
    print()
    print(machine_markdown(info))
    return 0 if total_s <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
