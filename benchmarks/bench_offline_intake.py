"""Offline intake benchmark (issue 17 §2): a day's work queued on a device (200 tickets) sent
when the connection returns, as intake_offline.js sends it (batches of 10 to
/deliveries/offline-send), then sent again whole (a lost answer: every ticket a duplicate), and
the producer and plot lists a device keeps (/deliveries/offline-data).

    .venv/bin/python -m benchmarks.bench_offline_intake [--tickets 200] [--producers 300]
        [--databases sqlite,postgresql] [--postgres-url URL] [--no-doc]

Through the real app and its session login (Flask's test client, no network), on a throw-away
SQLite file and, when asked and reachable, the PostgreSQL database of --postgres-url (emptied
first; never the test suite's). No target was set by the issue: the figures say what a
collection centre waits for.
"""

import argparse
import tempfile
import time
import uuid

from alembic import command

from coopchain import create_app
from coopchain.auth import services as auth
from coopchain.auth.models import Role
from coopchain.cli import alembic_config
from coopchain.clock import today
from coopchain.db import session_scope
from coopchain.lots.offline_intake import offline_lists

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
from .lots_bench import build_farms

BATCH = 10  # what intake_offline.js sends per request
PASSWORD = "bench-password-1"  # noqa: S105 (a throw-away database's user)


def build(app, producers: int) -> list[dict]:
    """An organisation with `producers` farms and a clerk; the plots as the device keeps them."""
    with app.app_context(), app.test_request_context(), session_scope(app) as session:
        org = auth.create_organization(session, "BOFF", "Bench offline", "cooperative")
        build_farms(session, org.id, producers, "BO")
        user = auth.create_user(session, "clerk@bench.test", "Clerk", PASSWORD, weak_ok=True)
        auth.add_member(session, org.id, user, Role.STAFF, by_user_id=None)
        return offline_lists(session, org.id)


def tickets_for(kept: list[dict], count: int) -> list[dict]:
    tickets = []
    for i in range(count):
        producer = kept[i % len(kept)]
        plot = producer["plots"][0]
        tickets.append(
            {
                "client_id": str(uuid.uuid4()),
                "organization": "BOFF",
                "ticket_number": f"OFF-{i:05d}",
                "producer_code": producer["code"],
                "plot_id": plot["id"],
                "plot_version": plot["version"],
                "product_form": "dry_parchment",
                "gross_kg": "46,5",
                "tare_kg": "0.5",
                "moisture_pct": "12",
                "delivered_on": today().isoformat(),
                "acknowledged": [],
            }
        )
    return tickets


def send_all(client, tickets: list[dict]) -> tuple[float, list[float], dict]:
    """Total seconds, seconds per request, and how the answers came out."""
    samples, outcomes = [], {}
    started = time.perf_counter()
    for start in range(0, len(tickets), BATCH):
        begun = time.perf_counter()
        response = client.post(
            "/deliveries/offline-send", json={"tickets": tickets[start : start + BATCH]}
        )
        samples.append(time.perf_counter() - begun)
        assert response.status_code == 200, response.data[:300]
        for result in response.get_json()["results"]:
            key = "duplicate" if result.get("duplicate") else result.get("reason") or "recorded"
            outcomes[key] = outcomes.get(key, 0) + 1
    return time.perf_counter() - started, samples, outcomes


def measure(url: str, tickets: int, producers: int) -> dict:
    command.upgrade(alembic_config(url), "head")
    app = create_app(
        {
            "COOPCHAIN_ENV": "test",
            "DATABASE_URL": url,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,  # the token check is a comparison; not what is timed
        }
    )
    kept = build(app, producers)
    client = app.test_client()
    login = {"email": "clerk@bench.test", "password": PASSWORD}
    assert client.post("/login", data=login).status_code == 302
    queued = tickets_for(kept, tickets)
    first, first_samples, first_outcomes = send_all(client, queued)
    again, again_samples, again_outcomes = send_all(client, queued)
    lists = []
    for _ in range(5):
        begun = time.perf_counter()
        response = client.get("/deliveries/offline-data")
        lists.append(time.perf_counter() - begun)
        assert response.status_code == 200
    app.extensions["coopchain.db"].engine.dispose()
    return {
        "first_s": first,
        "first": summary_ms(first_samples),
        "first_outcomes": first_outcomes,
        "again_s": again,
        "again": summary_ms(again_samples),
        "again_outcomes": again_outcomes,
        "lists": summary_ms(lists),
        "lists_kib": len(response.data) / 1024,
    }


def said(outcomes: dict) -> str:
    return ", ".join(f"{count} {what}" for what, count in sorted(outcomes.items()))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--producers", type=int, default=300)
    parser.add_argument(
        "--databases",
        type=lambda v: csv_arg(v, {"sqlite", "postgresql"}),
        default=["sqlite", "postgresql"],
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args(argv)
    info = machine()
    info["load_start"] = load_average()
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        urls, skipped = database_urls(args.databases, args.postgres_url, workdir, info)
        for name, url in urls.items():
            figures = measure(url, args.tickets, args.producers)
            print(name, figures, flush=True)
            label = "SQLite" if name == "sqlite" else "PostgreSQL"
            batches = f"{figures['first']['n']} requests of ≤ {BATCH}"
            rows += [
                f"| {label} | send {args.tickets} queued tickets ({batches}) | "
                f"{figures['first_s']:.2f} s | {figures['first']['median']:.0f} ms / "
                f"{figures['first']['p95']:.0f} ms | {said(figures['first_outcomes'])} |",
                f"| {label} | send the same {args.tickets} again (answer lost) | "
                f"{figures['again_s']:.2f} s | {figures['again']['median']:.0f} ms / "
                f"{figures['again']['p95']:.0f} ms | {said(figures['again_outcomes'])} |",
                f"| {label} | producer and plot lists, {args.producers} producers "
                f"({figures['lists_kib']:.0f} KiB) | — | {figures['lists']['median']:.0f} ms / "
                f"{figures['lists']['p95']:.0f} ms | — |",
            ]
    info["load_end"] = load_average()
    not_measured = "".join(f"\n\n{db} not measured: {why}" for db, why in skipped.items())
    body = (
        "## Offline intake (issue 17 §2)\n\n"
        f"`python -m benchmarks.bench_offline_intake --tickets {args.tickets} "
        f"--producers {args.producers}`: a day's work queued on a device sent when the "
        "connection returns, through the real app (session login, test client, no network), "
        f"in batches of {BATCH} as `intake_offline.js` sends them; then all sent again.\n\n"
        f"{machine_markdown(info)}{not_measured}\n\n"
        "| Database | What | Total | Per request (median / p95) | Answers |\n"
        "|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )
    print(body)
    if not args.no_doc:
        write_section("offline-intake-bench", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
