"""A write that cannot get SQLite's write lock in time (a long job holds it) answers 503 with
Retry-After and says nothing was saved, on pages and the API; it is never a 500. Only that
error: other database errors stay server errors.
(tests/helpers/sqlite_file.py: a SQLite file of their own, a short busy timeout)."""

import logging
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from coopchain.db import database_busy
from tests.helpers.sqlite_file import deliveries_in, sqlite_file_site, ticket_form, write_lock_held

BUSY_ES = "La base de datos está ocupada con una tarea larga; no se guardó nada."
BUSY_EN = "The database is busy with a long job; nothing was saved. Try again in a moment."


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = sqlite_file_site(tmp_path_factory.mktemp("busy"))
    yield site
    site.close()


def test_a_delivery_form_posted_while_a_job_holds_the_lock_answers_503(site, caplog):
    app, producer, plot = site.app, site.producer, site.plot
    client = app.test_client()
    login = client.post("/login", data={"email": site.email, "password": "pw-1234"})
    assert login.status_code == 302
    before = deliveries_in(app)
    with write_lock_held(site.path), caplog.at_level(logging.WARNING):
        response = client.post("/deliveries/new", data=ticket_form(producer, plot, "BUSY-1"))
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.mimetype == "text/html"
    assert BUSY_ES in response.get_data(as_text=True)
    assert any("database is busy" in r.getMessage() for r in caplog.records)
    assert deliveries_in(app) == before  # nothing saved, and the session let go of the lock
    # Once the job lets go, the same ticket is recorded: the refused request left nothing.
    again = client.post("/deliveries/new", data=ticket_form(producer, plot, "BUSY-1"))
    assert again.status_code == 302
    assert deliveries_in(app) == before + 1


def test_an_api_write_while_a_job_holds_the_lock_answers_503_busy(site):
    app, producer, plot = site.app, site.producer, site.plot
    client = app.test_client()
    headers = {"Authorization": f"Bearer {site.token}", "Accept-Language": "en"}
    body = {**ticket_form(producer, plot, "BUSY-2"), "producer_id": producer.id, "plot_id": plot.id}
    del body["producer_code"]
    before = deliveries_in(app)
    with write_lock_held(site.path):
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
