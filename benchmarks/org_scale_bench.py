"""Organisation-scale benchmark (issue 19 §2): a cooperative with 100,000 deliveries over ten
seasons, whose dashboard and mass balance must answer in ≤ 500 ms, on both databases.

    .venv/bin/python -m benchmarks.org_scale_bench                     # both databases
    .venv/bin/python -m benchmarks.org_scale_bench --databases sqlite --deliveries 20000 --no-doc

Data: 500 producers, each with a plot and an agreement (benchmarks.lots_bench.build_farms,
through the services), then N deliveries (default 100,000) spread over ten seasons, 60–66 kg
each, with their origin lots. The deliveries and lots are written with bulk inserts of the same
rows register_checked_deliveries writes (no ledger events: this measures reads, and the
services' own intake speed is lots_bench's import figure): N/10 per season, this season's lots
available, the nine earlier seasons' lots used up (available 0 kg), as after a season's
shipments.

Figures, each the median and p95 of 10 calls in a fresh session after one warm-up:
`dashboard.page.dashboard` (what GET / computes: registers, intake, stock by organic status
from origins_of_many over every available lot, waiting lots, the season's weekly chart and
cupping) and `lots.mass_balance.mass_balance` for this season and for the oldest; then GET /
and GET /reports/mass-balance through Flask's test client as a logged-in staff member. A figure
over its target is profiled (cProfile, top functions printed and written to the document).
"""

import argparse
import os
import secrets
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from alembic import command
from sqlalchemy import insert, select

import coopchain.models  # noqa: F401  (every table on the metadata)
from coopchain import create_app
from coopchain.auth import services as auth
from coopchain.cli import alembic_config
from coopchain.clock import today
from coopchain.dashboard.page import dashboard
from coopchain.db import database, settings_of
from coopchain.heap import settle_startup_heap
from coopchain.lots import rules
from coopchain.lots.mass_balance import mass_balance
from coopchain.lots.models import Delivery, Lot

from .common import (
    DEFAULT_POSTGRES_URL,
    csv_arg,
    database_urls,
    load_average,
    machine,
    machine_markdown,
    refresh_statistics,
    summary_ms,
    timed_in_session,
    write_section,
)
from .lots_bench import PASSWORD, build_farms, markdown_table, profile

SECTION = "org-scale-bench"
DATABASES = ("sqlite", "postgresql")
DELIVERIES = 100_000
SEASONS = 10
PRODUCERS = 500
TARGET_MS = 500
REPEATS = 10
BATCH = 5_000


def build(app, n: int) -> tuple[int, str, list[str]]:
    """The organisation; returns (org id, staff login, [this season, oldest season])."""
    with app.app_context():
        session = database().sessionmaker()
        try:
            started = time.perf_counter()
            org = auth.create_organization(session, "SCALE", "Bench scale", "cooperative")
            email = "staff-scale@bench.test"
            user = auth.create_user(session, email, "Bench staff", PASSWORD)
            auth.add_member(session, org.id, user, "staff", by_user_id=None)
            farmed = build_farms(session, org.id, PRODUCERS, "SC")
            session.commit()
            print(f"    {PRODUCERS} producers: {time.perf_counter() - started:.0f} s", flush=True)
            started = time.perf_counter()
            now = datetime.now(UTC)
            start_month = settings_of(session).season_start_month
            seasons = []
            for first in range(0, n, BATCH):
                rows = []
                for i in range(first, min(n, first + BATCH)):
                    season = i * SEASONS // n
                    day = today() - timedelta(days=365 * season + i % 180)
                    if not seasons or seasons[-1] != rules.season_of(day, start_month):
                        label = rules.season_of(day, start_month)
                        if label not in seasons:
                            seasons.append(label)
                    plot = farmed[i % len(farmed)][1]
                    gross = Decimal(60 + i % 7) + Decimal("0.5")
                    rows.append(
                        {
                            "organization_id": org.id,
                            "ticket_number": f"SC-{i:06d}",
                            "producer_id": plot.producer_id,
                            "plot_id": plot.id,
                            "crop": "coffee",
                            "product_form": "dry_parchment",
                            "gross_kg": gross,
                            "tare_kg": Decimal("0.5"),
                            "net_kg": gross - Decimal("0.5"),
                            "moisture_pct": Decimal("12.5"),
                            "delivered_on": day,
                            "price_per_kg": Decimal("14.20"),
                            "price_unit": "kg",
                            "price_entered": Decimal("14.20"),
                            "notes": None,
                            "created_at": now,
                            "user_id": user.id,
                            "intake_warnings": [],
                        }
                    )
                session.execute(insert(Delivery), rows)
                ids = dict(
                    session.execute(
                        select(Delivery.ticket_number, Delivery.id).where(
                            Delivery.organization_id == org.id,
                            Delivery.ticket_number.in_([r["ticket_number"] for r in rows]),
                        )
                    ).all()
                )
                session.execute(
                    insert(Lot),
                    [
                        {
                            "organization_id": org.id,
                            "code": f"CAF-SC-{i:06d}",
                            "public_token": secrets.token_hex(16),
                            "crop": "coffee",
                            "product_form": "dry_parchment",
                            "quantity_kg": r["net_kg"],
                            "available_kg": r["net_kg"] if i * SEASONS // n == 0 else Decimal(0),
                            "produced_on": r["delivered_on"],
                            "delivery_id": ids[r["ticket_number"]],
                            "transformation_id": None,
                            "downgraded": False,
                            "created_at": now,
                            "voided_at": None,
                        }
                        for i, r in zip(range(first, first + len(rows)), rows, strict=True)
                    ],
                )
                session.commit()
            refresh_statistics(session)
            print(f"    {n:,} deliveries and lots: {time.perf_counter() - started:.0f} s")
            return org.id, email, [seasons[0], seasons[-1]]
        finally:
            session.close()


def measure(app, org_id: int, email: str, seasons: list[str]) -> list[dict]:
    calls = [
        ("dashboard figures (GET / computes)", lambda s: dashboard(s, org_id, today())),
        (f"mass balance, season {seasons[0]}", lambda s: mass_balance(s, org_id, seasons[0])),
        (f"mass balance, season {seasons[1]}", lambda s: mass_balance(s, org_id, seasons[1])),
    ]
    results = []
    for name, call in calls:
        timed_in_session(app, call)  # warm-up
        samples = [timed_in_session(app, call)[0] for _ in range(REPEATS)]
        results.append({"what": name, **summary_ms(samples), "profile": None})
    client = app.test_client()
    login = client.post("/login", data={"email": email, "password": PASSWORD})
    if login.status_code != 302:
        raise RuntimeError(f"login failed (HTTP {login.status_code})")
    for name, path in (
        ("GET / (the dashboard page)", "/"),
        ("GET /reports/mass-balance (this season)", "/reports/mass-balance"),
    ):

        def get(path=path):
            started = time.perf_counter()
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: HTTP {response.status_code}")
            return time.perf_counter() - started

        get()
        samples = [get() for _ in range(REPEATS)]
        results.append({"what": name, **summary_ms(samples), "profile": None, "call": get})
    for row, (_name, call) in zip(results, calls, strict=False):
        row["call"] = lambda call=call: timed_in_session(app, call)
    for row in results:
        if row["p95"] > TARGET_MS:
            text, parts = profile(row["call"])
            row["profile"] = parts
            print(f"\n    profile of {row['what']}:\n" + text + "\n", flush=True)
    return results


def report(info, by_kind: dict, n: int, skipped: dict) -> str:
    rows = []
    for kind, results in by_kind.items():
        for r in results:
            verdict = "PASS" if r["p95"] <= TARGET_MS else "FAIL"
            rows.append(
                [kind, r["what"], f"{r['median']:,.0f}", f"{r['p95']:,.0f}", f"**{verdict}**"]
            )
    lines = [
        f"## Organisation scale: {n:,} deliveries over {SEASONS} seasons (issue 19 §2)",
        "",
        "Written by `benchmarks/org_scale_bench.py` (`make bench`).",
        "",
        machine_markdown(info),
        "",
        *(f"**{kind} was not measured:** {why}\n" for kind, why in skipped.items()),
        f"Target: the dashboard and the mass balance answer in ≤ {TARGET_MS} ms (p95 of "
        f"{REPEATS}, each in a fresh session, after one warm-up).",
        "",
        markdown_table(["database", "what", "median ms", "p95 ms", "≤ 500 ms"], rows),
        "",
    ]
    for kind, results in by_kind.items():
        for r in results:
            if r["profile"]:
                (_label, total), *parts = r["profile"]
                listed = ", ".join(f"`{name}` {sec * 1000:,.0f} ms" for name, sec in parts)
                lines.append(f"- {kind}, {r['what']} profiled: {total * 1000:,.0f} ms; {listed}.")
    lines += [
        "",
        f"Data: {PRODUCERS} producers (plot and agreement each, through the services) and "
        f"{n:,} deliveries of 60–66 kg with their origin lots, bulk-inserted as "
        "register_checked_deliveries writes them (without ledger events), a tenth per season; "
        "this season's lots available, the earlier seasons' used up.",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=DELIVERIES)
    parser.add_argument(
        "--databases",
        type=lambda v: csv_arg(v, DATABASES),
        default=os.environ.get("COOPCHAIN_BENCH_DATABASES", ",".join(DATABASES)),
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("COOPCHAIN_BENCH_SCALE_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="emptied and rebuilt (env COOPCHAIN_BENCH_SCALE_POSTGRES_URL)",
    )
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args(argv)
    info = machine()
    workdir = tempfile.mkdtemp(prefix="coopchain-scale-bench-")
    failed = False
    try:
        urls, skipped = database_urls(args.databases, args.postgres_url, workdir, info)
        by_kind = {}
        for kind, url in urls.items():
            print(f"{kind}: alembic upgrade head", flush=True)
            command.upgrade(alembic_config(url), "head")
            config = {"COOPCHAIN_ENV": "test", "DATABASE_URL": url, "WTF_CSRF_ENABLED": False}
            config["RATELIMIT_ENABLED"] = False
            app = create_app(config)
            try:
                org_id, email, seasons = build(app, args.deliveries)
                # What the server does once it has loaded the app (coopchain.wsgi).
                settle_startup_heap()
                by_kind[kind] = measure(app, org_id, email, seasons)
            finally:
                app.extensions["coopchain.db"].engine.dispose()
            for r in by_kind[kind]:
                failed = failed or r["p95"] > TARGET_MS
                print(f"  {kind}: {r['what']}: median {r['median']:,.0f} / p95 {r['p95']:,.0f} ms")
        info["load_end"] = load_average()
        body = report(info, by_kind, args.deliveries, skipped)
        print("\n" + body)
        if not args.no_doc and by_kind:
            print(f"\nwritten to {write_section(SECTION, body)}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
