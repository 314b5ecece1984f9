"""Export documents benchmark (issue: shipments): a 500-plot certificate, a 300-bag label
sheet and a 2,000-plot EUDR GeoJSON, each in its own process so each peak memory is its own.

Runs benchmarks.certificate_bench, benchmarks.labels_bench and benchmarks.eudr_bench, prints
their tables and rewrites the `shipments-bench` section of docs/BENCHMARKS.md.
Exit status 1 when any target is missed.
"""

import argparse
import subprocess
import sys

from benchmarks.common import write_section

BENCHES = (
    ("Certificate PDF, 500 origin plots (target ≤ 5 s)", "benchmarks.certificate_bench"),
    ("Label sheet, 300 bags (target ≤ 10 s)", "benchmarks.labels_bench"),
    ("EUDR GeoJSON, 2,000 plots (target ≤ 2 s)", "benchmarks.eudr_bench"),
)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-doc", action="store_true", help="do not touch docs/BENCHMARKS.md")
    args = parser.parse_args(argv)
    sections, failed = [], []
    for title, module in BENCHES:
        print(f"## {title}", flush=True)
        done = subprocess.run(  # noqa: S603 (our own module, our own interpreter)
            [sys.executable, "-m", module], capture_output=True, text=True, check=False
        )
        output = done.stdout.strip() or done.stderr.strip()
        print(output, flush=True)
        if done.returncode:
            failed.append(module)
        sections.append(f"### {title}\n\n{output}\n")
    if not args.no_doc:
        body = (
            "## Export documents (issue: shipments)\n\n"
            "`make bench-shipments` (`python -m benchmarks.shipments_bench`): each document is "
            "built in its own process; peak memory is tracemalloc's peak for one traced run "
            "and the process's ru_maxrss (which includes the interpreter, Flask and WeasyPrint "
            "themselves).\n\n" + "\n".join(sections)
        )
        print(f"wrote {write_section('shipments-bench', body)}")
    if failed:
        print("missed or failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
