"""Settlement and statement benchmark (issue: paying producers): a shipment traced to 2,000
deliveries settles (preview, and preview + confirm) in ≤ 2 s; a producer statement of 500
lines renders as a signed PDF in ≤ 2 s.

    .venv/bin/python -m benchmarks.bench_settlement [--deliveries 2000] [--lines 500]
        [--repeats 5] [--databases sqlite,postgresql] [--no-doc]

SQLite (a throw-away file) and, with --databases sqlite,postgresql, PostgreSQL (emptied first).
Builds the data through the services (lots_bench's farms and tickets): 2,000 tickets of dry
parchment from 200 producers merged in groups of 20, then 10, then once, hulled to green
(yield 0.78), 69 kg bags, a shipped shipment; and one producer with 250 priced deliveries and
250 advances (500 statement lines). Median of the repeats, after one warm-up.
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal

from alembic import command
from sqlalchemy import select

from coopchain import create_app
from coopchain.auth import services as auth
from coopchain.certs import signing
from coopchain.cli import alembic_config
from coopchain.clock import today, utcnow
from coopchain.db import database
from coopchain.lots import services, transformations
from coopchain.lots.bags import create_bags
from coopchain.lots.models import Lot
from coopchain.payments import settlement as settling
from coopchain.payments.core import Line, record_payment
from coopchain.payments.statement import producer_statement
from coopchain.payments.statement_docs import statement_data, statement_pdf
from coopchain.shipments import services as shipments

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
from .lots_bench import _merge_groups, build_farms, delivery_values

SETTLE_TARGET_S = 2.0
PDF_TARGET_S = 2.0
TERMS = {
    "price": "3.4125",
    "price_currency": "USD",
    "price_unit": "lb",
    "exchange_rate": "3.7312",
    "rate_on": "2026-10-12",
    "costs_per_kg": "1.35",
    "currency": "PEN",
}


def build(session, n: int, lines: int) -> tuple[int, str, int]:
    org = auth.create_organization(session, "BSET", "Bench settlement", "cooperative")
    farmed = build_farms(session, org.id, max(2, n // 10), "BS")
    rows = [(delivery_values(i, "BS"), farmed[i % len(farmed)][1]) for i in range(n)]
    services.register_checked_deliveries(session, org.id, None, rows)
    codes = list(
        session.scalars(
            select(Lot.code)
            .where(Lot.organization_id == org.id, Lot.delivery_id.is_not(None))
            .order_by(Lot.id)
        )
    )
    day = today() - timedelta(days=50)
    level1 = _merge_groups(session, org.id, None, codes, 20, day)
    level2 = _merge_groups(session, org.id, None, level1, 10, day + timedelta(days=7))
    (parchment_code,) = _merge_groups(
        session, org.id, None, level2, len(level2), day + timedelta(days=14)
    )
    parchment = services.get_lot(session, org.id, parchment_code)
    bags = int(parchment.available_kg * Decimal("0.78") // 69)
    hulled = transformations.process(
        session,
        org.id,
        None,
        parchment_code,
        None,
        "green",
        Decimal(bags * 69),
        day + timedelta(days=21),
    )
    green = session.scalar(select(Lot).where(Lot.transformation_id == hulled.id))
    create_bags(session, org.id, None, green.code, bags, Decimal("69"))
    shipment = shipments.create_shipment(
        session,
        org.id,
        None,
        {
            "reference": "BENCH-1",
            "crop": "coffee",
            "buyer_name": "B",
            "buyer_country": "DE",
            "container_number": "CSQU3054383",
        },
    )
    shipments.allocate(session, org.id, None, "BENCH-1", lot_codes=[green.code])
    shipped = day + timedelta(days=28)
    shipments.advance_status(session, org.id, None, "BENCH-1", shipped)
    shipments.advance_status(session, org.id, None, "BENCH-1", shipped)
    # One producer with `lines` statement lines: half deliveries, half advances.
    member, plot = farmed[0]
    own = [(delivery_values(n + i, "BP"), plot) for i in range(lines // 2)]
    made = services.register_checked_deliveries(session, org.id, None, own)
    producer_id = plot.producer_id
    for delivery in made:
        record_payment(
            session,
            org.id,
            None,
            producer_id=producer_id,
            lines=[Line("advance", Decimal("100.00"), delivery.id)],
            method="cash",
            paid_on=delivery.delivered_on,
        )
    session.commit()
    return org.id, shipment.reference, producer_id


def timed(call, repeats: int) -> float:
    call()  # warm-up
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def measure(url: str, args) -> dict:
    """Build the data in a fresh database at `url`, then time each figure there."""
    command.upgrade(alembic_config(url), "head")
    app = create_app({"COOPCHAIN_ENV": "test", "DATABASE_URL": url, "RATELIMIT_ENABLED": False})
    got: dict = {}
    with app.app_context(), app.test_request_context():
        session = database().sessionmaker()
        started = time.perf_counter()
        org_id, reference, producer_id = build(session, args.deliveries, args.lines)
        got["setup_s"] = time.perf_counter() - started
        refresh_statistics(session)
        got["shares"] = len(settling.preview(session, org_id, reference, TERMS).shares)

        def confirm():
            settling.confirm(session, org_id, None, reference, TERMS)
            session.rollback()

        got["preview_s"] = timed(
            lambda: settling.preview(session, org_id, reference, TERMS), args.repeats
        )
        got["confirm_s"] = timed(confirm, args.repeats)
        statement = producer_statement(session, org_id, producer_id, today().year)
        got["lines"] = len(statement.lines)
        data = statement_data(statement, "Bench", private=True)
        # Signed as the views sign it (keys.sign_document), with a generated RSA-3072 key.
        key = signing.generate("Bench", "PE", utcnow())

        def signed_pdf() -> bytes:
            unsigned = statement_pdf(data, "es_PE")
            return signing.sign_pdf(unsigned, key, reason="Statement", name="B", location="PE")

        got["pdf_kib"] = len(signed_pdf()) // 1024
        got["statement_s"] = timed(
            lambda: producer_statement(session, org_id, producer_id, today().year),
            args.repeats,
        )
        got["pdf_s"] = timed(signed_pdf, args.repeats)
        session.close()
    app.extensions["coopchain.db"].engine.dispose()
    return got


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--lines", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--databases", type=lambda v: csv_arg(v, ("sqlite", "postgresql")), default=["sqlite"]
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args(argv)
    info = machine()
    with tempfile.TemporaryDirectory() as workdir:
        urls, skipped = database_urls(args.databases, args.postgres_url, workdir, info)
        results = {kind: measure(url, args) for kind, url in urls.items()}
    info["load_end"] = load_average()

    def verdict(value, target):
        return "met" if value <= target else "**missed**"

    rows = ["| Figure | Database | Median | Target |", "|---|---|---|---|"]
    for kind, got in results.items():
        rows += [
            f"| settlement preview, {got['shares']:,} deliveries traced (yields undone, "
            f"largest remainder) | {kind} | {got['preview_s'] * 1000:.0f} ms | "
            f"≤ 2 s: {verdict(got['preview_s'], SETTLE_TARGET_S)} |",
            f"| settlement preview + confirm (rows + ledger event) | {kind} | "
            f"{got['confirm_s'] * 1000:.0f} ms | "
            f"≤ 2 s: {verdict(got['confirm_s'], SETTLE_TARGET_S)} |",
            f"| statement query, {got['lines']} lines | {kind} | "
            f"{got['statement_s'] * 1000:.0f} ms | — |",
            f"| statement PDF, signed, {got['lines']} lines ({got['pdf_kib']} KiB) | {kind} | "
            f"{got['pdf_s'] * 1000:.0f} ms | ≤ 2 s: {verdict(got['pdf_s'], PDF_TARGET_S)} |",
        ]
    for name, why in skipped.items():
        rows.append(f"\n{name} not measured: {why}")
    setup = ", ".join(f"{kind} {got['setup_s']:.0f} s" for kind, got in results.items())
    body = (
        "## Settlements and statements (issue: paying producers)\n\n"
        "`python -m benchmarks.bench_settlement --databases sqlite,postgresql`: "
        f"{args.deliveries:,} tickets merged 20 → 10 → 1, hulled, bagged and shipped; one "
        f"producer with {args.lines} statement lines. Setup {setup}. Median of "
        f"{args.repeats} after a warm-up.\n\n{machine_markdown(info)}\n\n" + "\n".join(rows) + "\n"
    )
    print(body)
    if not args.no_doc:
        print(f"wrote {write_section('settlement-bench', body)}")
    missed = any(
        got["preview_s"] > SETTLE_TARGET_S
        or got["confirm_s"] > SETTLE_TARGET_S
        or got["pdf_s"] > PDF_TARGET_S
        or got["lines"] < args.lines
        for got in results.values()
    )
    return 1 if missed or skipped else 0


if __name__ == "__main__":
    sys.exit(main())
