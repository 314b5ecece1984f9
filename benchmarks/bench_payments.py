"""Payment-run benchmark (issue: paying producers): a run over 2,000 deliveries.

    .venv/bin/python -m benchmarks.bench_payments                      # SQLite
    .venv/bin/python -m benchmarks.bench_payments --databases sqlite,postgresql

Targets (2-core machine, both databases): the preview of a run over 2,000 deliveries in ≤ 1 s,
its confirmation in ≤ 5 s. Setup, through the services: 200 producers with a plot each (organic
since 2015), 2,000 priced deliveries (lots_bench.delivery_values), an advance on every tenth,
three premium rules (organic, sustainability differential, retention) and a loan due for every
fourth producer. Measured: the preview (median of 5, each in a new session, after a warm-up)
and one confirmation (lock, recompute, 200 payments with their lines and ledger events,
commit), paying by cash. Prints a table; writes no document (the figures go in the report).
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal

from alembic import command

import coopchain.models  # noqa: F401  (every table on the metadata)
from coopchain import create_app
from coopchain.auth import services as auth
from coopchain.cli import alembic_config
from coopchain.clock import today
from coopchain.db import begin_write, database
from coopchain.lots import services
from coopchain.payments import core, debts, premiums, runs

from .common import DEFAULT_POSTGRES_URL, csv_arg, database_urls, machine, refresh_statistics
from .lots_bench import build_farms, delivery_values

DELIVERIES, PRODUCERS = 2_000, 200
PREVIEW_TARGET_S, CONFIRM_TARGET_S = 1.0, 5.0
REPEATS = 5


def build(app) -> tuple[int, dict]:
    with app.app_context():
        session = database().sessionmaker()
        try:
            org = auth.create_organization(session, "PAYB", "Bench payments", "cooperative")
            farmed = build_farms(session, org.id, PRODUCERS, "PB")
            rows = [(delivery_values(i, "PB"), farmed[i % PRODUCERS][1]) for i in range(DELIVERIES)]
            delivered = services.register_checked_deliveries(session, org.id, None, rows)
            for delivery in delivered[::10]:
                core.record_payment(
                    session,
                    org.id,
                    None,
                    producer_id=delivery.producer_id,
                    method="cash",
                    paid_on=delivery.delivered_on,
                    lines=[core.Line("advance", Decimal("300.00"), delivery.id)],
                )
            for kind, amount in (
                ("organic", "0.40"),
                ("sustainability_differential", "0.25"),
                ("retention", "0.05"),
            ):
                premiums.create_rule(
                    session,
                    org.id,
                    None,
                    {
                        "name": kind,
                        "kind": kind,
                        "amount_per_kg": amount,
                        "valid_from": "2020-01-01",
                    },
                )
            producer_ids = sorted({d.producer_id for d in delivered})
            for producer_id in producer_ids[::4]:
                debts.record_debt(
                    session,
                    org.id,
                    None,
                    producer_id,
                    {
                        "kind": "loan",
                        "principal": "120.00",
                        "granted_on": "2025-01-01",
                        "description": "Fertiliser",
                        "schedule": [{"due_on": "2025-06-01", "amount": "120.00"}],
                    },
                )
            session.commit()
            refresh_statistics(session)
            start = min(d.delivered_on for d in delivered)
            selection = {"from": start.isoformat(), "to": today().isoformat()}
            return org.id, selection
        finally:
            session.close()


def measure(app, org_id: int, selection: dict) -> dict:
    paid_on = today() + timedelta(days=0)
    samples = []
    with app.app_context():
        db = database()
        with db.sessionmaker() as session:  # warm-up
            runs.preview(session, org_id, selection, paid_on)
        for _ in range(REPEATS):
            with db.sessionmaker() as session:
                started = time.perf_counter()
                found = runs.preview(session, org_id, selection, paid_on)
                samples.append(time.perf_counter() - started)
        deliveries = sum(len(r.deliveries) for r in found.rows)
        with db.sessionmaker() as session:
            started = time.perf_counter()
            begin_write(session)
            run = runs.confirm(session, org_id, None, selection, paid_on, "PEN", "cash")
            session.commit()
            confirm_s = time.perf_counter() - started
            totals = run.totals
    return {
        "preview_s": statistics.median(samples),
        "preview_max_s": max(samples),
        "confirm_s": confirm_s,
        "deliveries": deliveries,
        "totals": totals,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--databases", type=lambda v: csv_arg(v, ("sqlite", "postgresql")), default=["sqlite"]
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    args = parser.parse_args(argv)
    info, failed = machine(), False
    workdir = tempfile.mkdtemp(prefix="coopchain-bench-pay-")
    urls, skipped = database_urls(args.databases, args.postgres_url, workdir, info)
    print(f"machine: {info.get('cpus')} CPUs, {info.get('ram_gib') or 0:.1f} GiB")
    print("| database | deliveries | producers paid | preview median (max) | confirm |")
    print("|---|---:|---:|---:|---:|")
    for kind, url in urls.items():
        command.upgrade(alembic_config(url), "head")
        config = {"COOPCHAIN_ENV": "test", "DATABASE_URL": url, "RATELIMIT_ENABLED": False}
        setup = create_app(config)
        try:
            org_id, selection = build(setup)
        finally:
            setup.extensions["coopchain.db"].engine.dispose()
        app = create_app(config)
        try:
            got = measure(app, org_id, selection)
        finally:
            app.extensions["coopchain.db"].engine.dispose()
        failed |= got["preview_s"] > PREVIEW_TARGET_S or got["confirm_s"] > CONFIRM_TARGET_S
        print(
            f"| {kind} | {got['deliveries']:,} | {got['totals']['producers']} | "
            f"{got['preview_s']:.3f} s ({got['preview_max_s']:.3f} s) | {got['confirm_s']:.3f} s |"
        )
    for name, why in skipped.items():
        print(f"{name} not measured: {why}")
    print(f"targets: preview ≤ {PREVIEW_TARGET_S} s, confirm ≤ {CONFIRM_TARGET_S} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
