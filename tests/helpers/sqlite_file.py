"""An app on a SQLite file of its own, for tests about SQLite's one write lock: the suite's
rolled-back connection cannot show a lock that another connection holds."""

import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from coopchain import create_app
from coopchain.auth.services import create_api_token
from coopchain.db import session_scope
from coopchain.farms.models import Plot, Producer
from coopchain.lots.models import Delivery
from tests import factories
from tests.helpers import TEST_CONFIG
from tests.jobs.real_databases import fresh_database


@dataclass
class FileSite:
    """The app, its SQLite file, and one organisation's staff user (e-mail, bearer token) and
    active producer with a plot under an agreement."""

    app: Flask
    path: str
    org_id: int
    email: str
    token: str
    producer: Producer
    plot: Plot

    def close(self) -> None:
        self.app.extensions["coopchain.db"].engine.dispose()


def sqlite_file_site(tmp_path: Path, busy_timeout_ms: int = 100) -> FileSite:
    """A short busy timeout keeps each refused write's wait short."""
    url = fresh_database("sqlite", tmp_path, "site")
    app = create_app(
        {**TEST_CONFIG, "DATABASE_URL": url, "SQLITE_BUSY_TIMEOUT_MS": busy_timeout_ms}
    )
    with app.app_context(), session_scope(app) as session:
        org = factories.organization(session, "FILE")
        user = factories.user(session, org, "staff")
        producer = factories.producer(session, org)
        plot = factories.plot(session, org, producer)
        factories.agreement(session, org, [producer])
        _token, plaintext = create_api_token(session, user, org.id, "test")
    path = url.removeprefix("sqlite:///")
    return FileSite(app, path, org.id, user.email, plaintext, producer, plot)


class write_lock_held:
    """Another connection holding SQLite's write lock, as a job in BEGIN IMMEDIATE does."""

    def __init__(self, path: str):
        self.connection = sqlite3.connect(path, isolation_level=None)

    def __enter__(self):
        self.connection.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *_exc):
        self.connection.execute("ROLLBACK")
        self.connection.close()


def ticket_form(producer, plot, number: str) -> dict:
    """The intake form as a clerk posts it."""
    return {
        "ticket_number": number,
        "producer_code": producer.member_code,
        "plot_id": str(plot.id),
        "product_form": "dry_parchment",
        "gross_kg": "520.5",
        "tare_kg": "20.5",
        "moisture_pct": "12.5",
        "delivered_on": date(2026, 6, 10).isoformat(),
    }


def deliveries_in(app: Flask) -> int:
    with app.app_context(), session_scope(app) as session:
        return session.scalar(select(func.count()).select_from(Delivery))
