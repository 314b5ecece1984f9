"""A write that cannot get SQLite's write lock in time (a long job holds it) answers 503 with
Retry-After and says nothing was saved, on pages and the API; it is never a 500. Only that
error: other database errors stay server errors.

The suite's rolled-back connection cannot show a lock held by another connection: these tests
run on a SQLite file of their own, with a short busy timeout so the wait stays short."""

import logging
import sqlite3
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from coopchain import create_app
from coopchain.auth.services import create_api_token
from coopchain.db import database_busy, session_scope
from coopchain.lots.models import Delivery
from tests import factories
from tests.helpers import TEST_CONFIG
from tests.jobs.real_databases import fresh_database

BUSY_ES = "La base de datos está ocupada con una tarea larga; no se guardó nada."
BUSY_EN = "The database is busy with a long job; nothing was saved. Try again in a moment."


@pytest.fixture(scope="module")
def busy_app(tmp_path_factory):
    """(app, SQLite path, a staff user's e-mail, bearer token, producer, plot) on a file."""
    tmp_path = tmp_path_factory.mktemp("busy")
    url = fresh_database("sqlite", tmp_path, "busy")
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url, "SQLITE_BUSY_TIMEOUT_MS": 100})
    with app.app_context(), session_scope(app) as session:
        org = factories.organization(session, "BUSY")
        user = factories.user(session, org, "staff")
        producer = factories.producer(session, org)
        plot = factories.plot(session, org, producer)
        factories.agreement(session, org, [producer])
        _token, plaintext = create_api_token(session, user, org.id, "test")
    yield app, url.removeprefix("sqlite:///"), user.email, plaintext, producer, plot
    app.extensions["coopchain.db"].engine.dispose()


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


def ticket(producer, plot, number: str) -> dict:
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


def deliveries_in(app) -> int:
    with app.app_context(), session_scope(app) as session:
        return session.scalar(select(func.count()).select_from(Delivery))


def test_a_delivery_form_posted_while_a_job_holds_the_lock_answers_503(busy_app, caplog):
    app, path, email, _token, producer, plot = busy_app
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": "pw-1234"}).status_code == 302
    before = deliveries_in(app)
    with write_lock_held(path), caplog.at_level(logging.WARNING):
        response = client.post("/deliveries/new", data=ticket(producer, plot, "BUSY-1"))
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.mimetype == "text/html"
    assert BUSY_ES in response.get_data(as_text=True)
    assert any("database is busy" in r.getMessage() for r in caplog.records)
    assert deliveries_in(app) == before  # nothing saved, and the session let go of the lock
    # Once the job lets go, the same ticket is recorded: the refused request left nothing.
    again = client.post("/deliveries/new", data=ticket(producer, plot, "BUSY-1"))
    assert again.status_code == 302
    assert deliveries_in(app) == before + 1


def test_an_api_write_while_a_job_holds_the_lock_answers_503_busy(busy_app):
    app, path, _email, token, producer, plot = busy_app
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    body = {**ticket(producer, plot, "BUSY-2"), "producer_id": producer.id, "plot_id": plot.id}
    del body["producer_code"]
    before = deliveries_in(app)
    with write_lock_held(path):
        response = client.post("/api/v1/deliveries", headers=headers, json=body)
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.get_json()["error"] == "busy"
    assert response.get_json()["message"] == BUSY_EN
    assert deliveries_in(app) == before


def test_only_the_lock_error_counts_as_busy(tmp_path):
    path = str(tmp_path / "x.sqlite")
    holder, other = sqlite3.connect(path, isolation_level=None), sqlite3.connect(path, timeout=0)
    try:
        holder.execute("CREATE TABLE t (x)")
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError) as locked:
            other.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(sqlite3.OperationalError) as missing:
            other.execute("SELECT * FROM no_such_table")
    finally:
        holder.close()
        other.close()
    assert database_busy(OperationalError("INSERT", {}, locked.value))
    assert not database_busy(OperationalError("SELECT", {}, missing.value))
