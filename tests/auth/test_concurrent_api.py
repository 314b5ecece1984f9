"""Reads never fail because someone else reads or writes: a real multi-threaded server on a
SQLite file (the default setup) and on PostgreSQL, many calls at once (issue: trust)."""

import json
import os
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import func, select
from werkzeug.serving import make_server

from coopchain import create_app
from coopchain.auth import services as auth
from coopchain.auth.models import ApiToken, Role
from coopchain.cli import alembic_config
from coopchain.clock import utcnow
from coopchain.db import session_scope
from coopchain.ledger.services import verify_chain
from coopchain.lots.bags import create_bags
from coopchain.lots.models import Bag, Lot
from coopchain.trace import public_views
from tests import factories
from tests.helpers import scratch_postgres_database

POSTGRES_URL = os.environ.get("COOPCHAIN_TEST_POSTGRES_URL")
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(scope="module", params=DATABASES)
def database(request, tmp_path_factory):
    """A migrated database of the module's own: a SQLite file, or a scratch PostgreSQL
    database beside the suite's (the server commits for real, so not the suite's own)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('concurrent') / 'coopchain.sqlite'}"
        command.upgrade(alembic_config(url), "head")
        yield url
        return
    with scratch_postgres_database(POSTGRES_URL, "coopchain_concurrent") as url:
        command.upgrade(alembic_config(url), "head")
        yield url


@pytest.fixture(scope="module")
def server(database):
    """(base URL, bearer token, app, lot code, a bag's public token) of a threaded server on
    the module's database: 30 producers, and a 500 kg green lot with one bag."""
    url = database
    app = create_app({"COOPCHAIN_ENV": "test", "DATABASE_URL": url, "RATELIMIT_ENABLED": False})
    with app.app_context(), session_scope(app) as session:
        org = factories.organization(session, "CONC")
        for _ in range(30):
            factories.producer(session, org)
        producer = factories.producer(session, org)
        plot = factories.plot(session, org, producer)
        factories.agreement(session, org, [producer])
        _delivery, lot = factories.delivery(session, org, producer, plot, product_form="green")
        (bag,) = create_bags(session, org.id, None, lot.code, 1)
        lot_code, bag_token = lot.code, bag.public_token
        user = auth.create_user(session, "api@conc.test", "API", "pw-long-enough-1", weak_ok=True)
        auth.add_member(session, org.id, user, Role.STAFF, by_user_id=None)
        _token, plaintext = auth.create_api_token(session, user, org.id, "load")
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", plaintext, app, lot_code, bag_token
    httpd.shutdown()
    thread.join(timeout=5)
    httpd.server_close()
    app.extensions["coopchain.db"].engine.dispose()


def status_of(url: str, token: str | None = None, body: dict | None = None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (local URL)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (a local http:// URL)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_twenty_simultaneous_reads_with_one_token_all_answer(server):
    base, token, *_rest = server
    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(lambda _n: status_of(f"{base}/api/v1/producers", token), range(20)))
    assert codes == [200] * 20


def test_the_tokens_last_use_is_recorded_at_most_once_a_minute(server):
    base, token, app, *_rest = server
    with app.app_context(), session_scope(app) as session:
        row = session.scalars(select(ApiToken)).one()
        row.last_used_at = utcnow() - timedelta(minutes=5)
    assert status_of(f"{base}/api/v1/producers", token) == 200
    with app.app_context(), session_scope(app) as session:
        first = session.scalars(select(ApiToken)).one().last_used_at
    assert utcnow() - first < timedelta(seconds=30)  # recorded: it was five minutes old
    assert status_of(f"{base}/api/v1/producers", token) == 200
    with app.app_context(), session_scope(app) as session:
        assert session.scalars(select(ApiToken)).one().last_used_at == first  # not again yet


def test_bag_writes_api_reads_and_public_pages_at_once_answer_without_a_server_error(server):
    """10 bag POSTs + 20 API reads + 20 public page scans at the same moment: no 5xx, no
    kilogram sold twice, and the ledger still verifies."""
    base, token, app, lot_code, bag_token = server
    calls = (
        [lambda: status_of(f"{base}/api/v1/bags", token, {"lot": lot_code, "count": 1})] * 10
        + [lambda: status_of(f"{base}/api/v1/lots/{lot_code}", token)] * 20
        + [lambda: status_of(f"{base}/b/{bag_token}")] * 20
    )
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        codes = list(pool.map(lambda call: call(), calls))
    assert [c for c in codes if c >= 500] == []
    assert codes[10:] == [200] * 40
    made = codes[:10].count(201)
    with app.app_context(), session_scope(app) as session:
        lot = session.scalar(select(Lot).where(Lot.code == lot_code))
        bags = session.scalar(select(func.count()).select_from(Bag).where(Bag.lot_id == lot.id))
        assert bags == 1 + made and made >= 1
        assert lot.available_kg == lot.quantity_kg - (1 + made) * Decimal("69") >= 0
        assert verify_chain(session, lot.organization_id)[1] is None


def test_simultaneous_first_scans_of_a_page_render_it_once(server, monkeypatch):
    """Twenty phones scan a bag whose page no one has opened in English yet: one render, the
    others wait for it and get the same page."""
    base, _token, _app, _lot, bag_token = server
    renders = []
    build = public_views._build

    def counted_build(key, target):
        renders.append(key)
        time.sleep(0.2)  # a slow render: the other scans arrive while it runs
        return build(key, target)

    monkeypatch.setattr(public_views, "_build", counted_build)
    url = f"{base}/b/{bag_token}?lang=en"
    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(lambda _n: status_of(url), range(20)))
    assert codes == [200] * 20
    assert renders == [("bag", bag_token, "en")]
