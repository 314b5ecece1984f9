"""EPCIS 2.0 export benchmark (issue 18 §2): a shipment's EPCISDocument at volume.

    .venv/bin/python -m benchmarks.epcis_bench [--sizes 2000] [--databases sqlite,postgresql]
        [--postgres-url URL] [--no-doc]

For each database and size N: the lots benchmark's world (benchmarks/lots_bench.py: N
deliveries merged in three levels, processed to green and split), the measured green lot bagged
in 69 kg bags, packed on a shipment and shipped. Times, each in a fresh session, median of 5
after one warm-up: `shipment_document` (which ledger events make the shipment, the facts they
name, the events) plus its bytes; one page of 200 events of `/api/v1/epcis/events` as
`query_events` builds it. Also reports the document's size and events, and the time GS1's JSON
Schema takes to validate it (the test suite's validator: not part of the request).
Rewrites the `epcis-bench` section of docs/BENCHMARKS.md unless --no-doc.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

from alembic import command

import coopchain.models  # noqa: F401  (every table on the metadata)
from coopchain import create_app
from coopchain.cli import alembic_config
from coopchain.db import database
from coopchain.ledger import epcis
from coopchain.ledger.epcis_export import query_events, shipment_document
from coopchain.lots import bags
from coopchain.lots.models import Lot
from coopchain.shipments import services as shipments

from .common import (
    DEFAULT_POSTGRES_URL,
    csv_arg,
    database_urls,
    load_average,
    machine,
    machine_markdown,
    timed_in_session,
    write_section,
)
from .lots_bench import build_size

BASE_URL = "https://trace.example.coop"
REPEATS = 5


def ship_lot(app, lot_id: int) -> tuple[int, str]:
    """Bag the lot whole and ship it; returns (organisation id, shipment reference)."""
    with app.app_context():
        session = database().sessionmaker()
        try:
            lot = session.get(Lot, lot_id)
            org_id, reference = lot.organization_id, f"EPCIS-{lot.code}"
            count = int(lot.available_kg // 69)
            bags.create_bags(session, org_id, None, lot.code, count)
            shipments.create_shipment(
                session,
                org_id,
                None,
                {
                    "reference": reference,
                    "crop": "coffee",
                    "buyer_name": "Bench buyer",
                    "buyer_country": "DE",
                    "container_number": "CSQU3054383",
                    "bill_of_lading": "BL-1",
                },
            )
            shipments.allocate(session, org_id, None, reference, lot_codes=[lot.code])
            shipments.advance_status(session, org_id, None, reference)
            shipments.advance_status(session, org_id, None, reference)
            session.commit()
            return org_id, reference
        finally:
            session.close()


def measure(app, org_id: int, reference: str) -> dict:
    def export(session):
        return epcis.to_bytes(shipment_document(session, org_id, reference, BASE_URL))

    def page(session):
        return query_events(session, org_id, BASE_URL, page=1, per_page=200)

    exports = [timed_in_session(app, export) for _ in range(REPEATS + 1)][1:]
    pages = [timed_in_session(app, page) for _ in range(REPEATS + 1)][1:]
    data = exports[0][1]
    figures = {
        "export_ms": statistics.median(s for s, _v in exports) * 1000,
        "page_ms": statistics.median(s for s, _v in pages) * 1000,
        "bytes": len(data),
    }
    try:
        import json

        from tests.helpers.epcis import validator

        document = json.loads(data)
        figures["events"] = len(document["epcisBody"]["eventList"])
        started = time.perf_counter()
        errors = list(validator().iter_errors(document))
        figures["validate_ms"] = (time.perf_counter() - started) * 1000
        figures["valid"] = not errors
    except ImportError:  # jsonschema is a dev dependency
        figures["events"] = data.count(b'"cc:ledgerSeq"')
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=lambda v: csv_arg(v, kind=int), default=[2000])
    parser.add_argument(
        "--databases",
        type=lambda v: csv_arg(v, allowed={"sqlite", "postgresql"}),
        default=["sqlite", "postgresql"],
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("COOPCHAIN_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
    )
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args(argv)
    info = machine()
    workdir = tempfile.mkdtemp(prefix="coopchain-bench-")
    rows = []
    try:
        urls, skipped = database_urls(args.databases, args.postgres_url, workdir, info)
        for kind, url in urls.items():
            command.upgrade(alembic_config(url), "head")
            config = {"COOPCHAIN_ENV": "test", "DATABASE_URL": url, "RATELIMIT_ENABLED": False}
            for n in args.sizes:
                app = create_app(config)
                try:
                    lot_id, _code, _email = build_size(app, n)
                    org_id, reference = ship_lot(app, lot_id)
                    found = measure(app, org_id, reference)
                finally:
                    app.extensions["coopchain.db"].engine.dispose()
                rows.append((kind, n, found))
                print(kind, n, found, flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    info["load_end"] = load_average()
    table = [
        "| database | deliveries | events | document | export (median of 5) | "
        "events page of 200 | GS1 schema validation |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, n, f in rows:
        validation = (
            f"{f['validate_ms']:.0f} ms ({'valid' if f['valid'] else 'INVALID'})"
            if "validate_ms" in f
            else "—"
        )
        table.append(
            f"| {kind} | {n:,} | {f['events']:,} | {f['bytes'] / 1024:.0f} KiB | "
            f"{f['export_ms']:.0f} ms | {f['page_ms']:.0f} ms | {validation} |"
        )
    body = (
        "## EPCIS 2.0 export (issue 18 §2)\n\n"
        "Written by `benchmarks/epcis_bench.py` (`.venv/bin/python -m benchmarks.epcis_bench`): "
        "the lots benchmark's export lot (N deliveries, three levels of merges, processing, a "
        "split) bagged, packed and shipped; the shipment's EPCISDocument built and serialised in "
        "a fresh session, and one page of the events query. No target was set; the figures say "
        "how the export grows.\n\n"
        + "\n".join(table)
        + "\n\n"
        + "".join(f"- {name} not measured: {why}\n" for name, why in skipped.items())
        + machine_markdown(info)
    )
    print("\n" + body)
    if not args.no_doc:
        print(f"written to {write_section('epcis-bench', body)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
