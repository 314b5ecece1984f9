"""Test fixtures: a pinned clock, real databases, schema and app once per run, a savepoint per test.

The clock: every test runs on the same "today" (tests/pinned_clock.py), so no test depends on
the day it runs.

Databases: every database test runs on SQLite and, when COOPCHAIN_TEST_POSTGRES_URL is set,
again on PostgreSQL (the `database_url` fixture is parametrised). Tests that use no database
fixture are not parametrised, so pure rule tests run once. The schema is built with
`alembic upgrade head` once per database, so every run also exercises the migrations.

The app is built once per database per run (warehouse's conftest): building one costs
~0.13 s, mostly Werkzeug compiling the URL map. Each test works inside a transaction on one
connection that is rolled back afterwards; the app's request sessions join it through
savepoints, so their commits stay invisible to other tests. What an app keeps between
requests (rate-limit counters, the public page cache, the scan buffer) is reset per test.

With pytest-xdist each worker has its own SQLite file and its own PostgreSQL database.
"""

import copy
import os

import pytest
import time_machine
from alembic import command
from sqlalchemy import inspect, make_url, text
from sqlmodel import SQLModel

import coopchain.models  # noqa: F401  (all tables on the metadata)
from coopchain import create_app
from coopchain.cli import alembic_config
from coopchain.db import make_engine
from coopchain.extensions import limiter
from coopchain.trace.public_views import init_app as init_public_pages
from tests import factories
from tests.helpers import TEST_CONFIG, joined_session, rolled_back
from tests.pinned_clock import PINNED_NOW

POSTGRES_URL = os.environ.get("COOPCHAIN_TEST_POSTGRES_URL")
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])

# time-machine rather than freezegun: it patches the C-level clock, so datetime.now(tz),
# date.today() and time.time() agree everywhere (Flask, Babel, the live server thread)
# without walking every imported module, which keeps start-up fast. tick=True lets time run
# on from the pinned moment: rate-limit windows, durations and "newest first" orderings need it.
_traveller = time_machine.travel(PINNED_NOW, tick=True)


def pytest_configure(config):
    _traveller.start()


def pytest_unconfigure(config):
    _traveller.stop()


def _worker() -> str:
    """The xdist worker id (gw0, gw1…), or "main" without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _worker_postgres_url(base_url: str) -> str:
    """Each xdist worker gets a database of its own beside the configured one (test_gw0…)."""
    if _worker() == "main":
        return base_url
    url = make_url(base_url)
    name = f"{url.database}_{_worker()}"
    admin = make_engine(base_url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request, tmp_path_factory) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    else:
        try:
            url = _worker_postgres_url(POSTGRES_URL)
            _reset_postgres(url)
        except Exception as exc:  # noqa: BLE001  (any failure here means "no usable PostgreSQL")
            pytest.exit(f"PostgreSQL at {POSTGRES_URL} is unusable: {exc}", returncode=3)
    command.upgrade(alembic_config(url), "head")
    return url


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine):
    with rolled_back(engine) as connection:
        yield connection


@pytest.fixture
def db_session(connection, app_without_database):
    session = joined_session(connection, app_without_database.extensions["coopchain.db"].settings)
    yield session
    session.close()


@pytest.fixture(scope="session")
def app_factory(database_url):
    """app_factory(purpose, **config): this database's app for that purpose and configuration,
    built on first use and kept for the run. `purpose` keeps apps apart that must not share
    Flask's app context (see app_context)."""
    built = {}

    def get(purpose: str = "client", **overrides):
        key = (purpose, repr(sorted(overrides.items())))
        if key not in built:
            app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, **overrides})
            app.extensions["coopchain.tests.config"] = copy.deepcopy(dict(app.config))
            built[key] = app
        return built[key]

    return get


def _reset_app_state(app) -> None:
    """Forget what the previous test left in the app: settings it changed, rate-limit counters,
    the public page cache and the scan buffer (the database rolls back on its own)."""
    app.config.clear()
    app.config.update(copy.deepcopy(app.extensions["coopchain.tests.config"]))
    # Flask-Limiter's one Limiter object is shared by every app and init_app sets its switch:
    # set it to this app's setting again, and empty the counters (no storage until enabled).
    limiter.enabled = app.config["RATELIMIT_ENABLED"]
    if getattr(limiter, "_storage", None) is not None:
        limiter.reset()
    init_public_pages(app)  # a fresh public page cache and scan buffer


@pytest.fixture
def make_app(app_factory, connection):
    """make_app(**config) gives this database's app with those config overrides (e.g. CSRF on),
    its sessions joined to this test's connection and its in-memory state reset."""

    def build(purpose: str = "client", **overrides):
        app = app_factory(purpose, **overrides)
        database = app.extensions["coopchain.db"]
        database.sessionmaker = lambda: joined_session(connection, database.settings)
        _reset_app_state(app)
        return app

    return build


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture(scope="session")
def app_without_database():
    """An app whose database is never opened: templates, settings and translations for the
    tests that render documents from plain data."""
    return create_app({**TEST_CONFIG, "DATABASE_URL": "sqlite://"})


@pytest.fixture
def app_context(request, app_without_database):
    """Services and documents read settings and templates from the app: their tests run in an
    app context (the domain conftests ask for it for all their tests).

    A database test gets an app of its own: pushing the test client's app would make Flask
    reuse that context (and its `g`: session, user) for every request the client makes. A test
    without a database fixture gets the database-less app, and stays off the database matrix."""
    if "database_url" in request.fixturenames:
        app = request.getfixturevalue("make_app")("context")
    else:
        app = app_without_database
    with app.app_context() as context:
        yield context


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def org(db_session):
    return factories.organization(db_session, "COOPAM")


@pytest.fixture
def other_org(db_session):
    return factories.organization(db_session, "OTRA")


@pytest.fixture
def login(client, db_session, org):
    """login(role) logs the test client in as a fresh user with that role in `org`."""

    def do_login(role: str = "staff", organization=None):
        user = factories.user(db_session, organization or org, role)
        db_session.flush()
        response = client.post("/login", data={"email": user.email, "password": "pw-1234"})
        assert response.status_code == 302, response.data
        return user

    return do_login


@pytest.fixture
def api(client, db_session, org):
    """api(role) returns headers with a bearer token for a fresh user with that role."""
    from coopchain.auth.services import create_api_token

    def headers(role: str = "staff", organization=None):
        organization = organization or org
        user = factories.user(db_session, organization, role)
        _token, plaintext = create_api_token(db_session, user, organization.id, "test")
        db_session.flush()
        return {"Authorization": f"Bearer {plaintext}"}

    return headers


@pytest.fixture
def table_names(engine):
    return set(inspect(engine).get_table_names())


def pytest_collection_modifyitems(config, items):
    """Tests marked one_database run on SQLite only: the other database is covered by the rest
    of the suite (the access table walks hundreds of routes × roles; once is enough)."""
    if len(DATABASES) == 1:
        return
    kept, dropped = [], []
    for item in items:
        param = getattr(item, "callspec", None) and item.callspec.params.get("database_url")
        on_other = param is not None and param != DATABASES[0]
        (dropped if on_other and item.get_closest_marker("one_database") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture
def site(tmp_path):
    """An app on a SQLite file of its own (tests/helpers/sqlite_file.py), for tests about
    SQLite's one write lock; closed after the test."""
    from tests.helpers.sqlite_file import sqlite_file_site

    site = sqlite_file_site(tmp_path)
    yield site
    site.close()


def pytest_report_header(config):
    where = (
        "SQLite and PostgreSQL"
        if POSTGRES_URL
        else "SQLite only (set COOPCHAIN_TEST_POSTGRES_URL for PostgreSQL)"
    )
    return f"databases: {where}"


__all__ = ["SQLModel"]
