"""A ticket resent by a device at the same moment, many times over (a flaky line, two tabs):
a real threaded server on a SQLite file and on PostgreSQL, with sessions and CSRF as a phone
has them. The same device id is recorded once; every answer says recorded, one as new."""

import http.cookiejar
import json
import os
import re
import threading
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic import command
from sqlalchemy import func, select
from werkzeug.serving import make_server

from coopchain import create_app
from coopchain.auth import services as auth
from coopchain.auth.models import Role
from coopchain.cli import alembic_config
from coopchain.clock import today
from coopchain.db import session_scope
from coopchain.ledger.models import LedgerEvent
from coopchain.ledger.services import verify_chain
from coopchain.lots.models import Delivery
from coopchain.lots.offline_intake import plot_version
from tests import factories
from tests.helpers import scratch_postgres_database

POSTGRES_URL = os.environ.get("COOPCHAIN_TEST_POSTGRES_URL")
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
PASSWORD = "pw-long-enough-1"  # noqa: S105 (a test user's)
RESENDS = 12


@pytest.fixture(scope="module", params=DATABASES)
def database(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('offline') / 'coopchain.sqlite'}"
        command.upgrade(alembic_config(url), "head")
        yield url
        return
    with scratch_postgres_database(POSTGRES_URL, "coopchain_offline") as url:
        command.upgrade(alembic_config(url), "head")
        yield url


@pytest.fixture(scope="module")
def server(database):
    """(base URL, app, the ticket's producer code, plot id and version) of a threaded server
    with CSRF on, as in production."""
    app = create_app(
        {"COOPCHAIN_ENV": "test", "DATABASE_URL": database, "RATELIMIT_ENABLED": False}
    )
    assert app.config["WTF_CSRF_ENABLED"]
    with app.app_context(), session_scope(app) as session:
        org = factories.organization(session, "COOPAM")
        producer = factories.producer(session, org)
        plot = factories.plot(session, org, producer)
        factories.agreement(session, org, [producer])
        user = auth.create_user(session, "clerk@offline.test", "Clerk", PASSWORD, weak_ok=True)
        auth.add_member(session, org.id, user, Role.STAFF, by_user_id=None)
        facts = (producer.member_code, plot.id, plot_version(plot))
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield (f"http://127.0.0.1:{httpd.server_port}", app, *facts)
    httpd.shutdown()
    thread.join(timeout=5)
    httpd.server_close()
    app.extensions["coopchain.db"].engine.dispose()


def logged_in(base: str):
    """An opener with the clerk's session cookie, and the CSRF token the device sends with."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"email": "clerk@offline.test", "password": PASSWORD, "csrf_token": token}
    ).encode()
    opener.open(f"{base}/login", data=form, timeout=30).read()
    data = json.loads(opener.open(f"{base}/deliveries/offline-data", timeout=30).read())
    return opener, data["csrf_token"]


def post(opener, url: str, token: str, body: dict) -> tuple[int, dict | None]:
    request = urllib.request.Request(  # noqa: S310 (a local http:// URL)
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-CSRFToken": token},
    )
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None


def test_a_ticket_resent_many_times_at_once_is_recorded_once(server):
    base, app, producer_code, plot_id, version = server
    opener, token = logged_in(base)
    client_id = str(uuid.uuid4())
    body = {
        "tickets": [
            {
                "client_id": client_id,
                "organization": "COOPAM",
                "ticket_number": "OFF-RACE-1",
                "producer_code": producer_code,
                "plot_id": plot_id,
                "plot_version": version,
                "product_form": "dry_parchment",
                "gross_kg": "46",
                "delivered_on": today().isoformat(),
            }
        ]
    }
    with ThreadPoolExecutor(max_workers=RESENDS) as pool:
        answers = list(
            pool.map(
                lambda _n: post(opener, f"{base}/deliveries/offline-send", token, body),
                range(RESENDS),
            )
        )
    assert [status for status, _body in answers] == [200] * RESENDS
    results = [payload["results"][0] for _status, payload in answers]
    assert {r["status"] for r in results} == {"recorded"}, results
    assert sorted(r["duplicate"] for r in results) == [False] + [True] * (RESENDS - 1)
    assert len({r["delivery_id"] for r in results}) == 1
    with app.app_context(), session_scope(app) as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.client_id == client_id)
            )
            == 1
        )
        assert (
            session.scalar(
                select(func.count())
                .select_from(LedgerEvent)
                .where(LedgerEvent.kind == "delivery.registered")
            )
            == 1
        )
        org_id = session.scalar(select(Delivery.organization_id).limit(1))
        assert verify_chain(session, org_id)[1] is None
