"""Test fixtures: real databases, schema once per run, a savepoint per test.

Every database test runs on SQLite and, when COOPCHAIN_TEST_POSTGRES_URL is set, again on
PostgreSQL (the `database_url` fixture is parametrised). The schema is built with
`alembic upgrade head`, so every run also exercises the migrations. Each test works inside a
transaction on one connection that is rolled back afterwards (warehouse's db_session): the
app's request sessions join it through savepoints, so their commits stay invisible to other
tests.
"""

import os

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlmodel import Session, SQLModel

import coopchain.models  # noqa: F401  (all tables on the metadata)
from coopchain import create_app
from coopchain.cli import alembic_config
from coopchain.db import make_engine
from tests import factories

POSTGRES_URL = os.environ.get("COOPCHAIN_TEST_POSTGRES_URL")
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    except Exception as exc:  # noqa: BLE001  (any failure here means "no usable PostgreSQL")
        pytest.exit(f"PostgreSQL at {url} is unreachable or unusable: {exc}", returncode=3)
    finally:
        engine.dispose()


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request, tmp_path_factory) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    else:
        url = POSTGRES_URL
        _reset_postgres(url)
    command.upgrade(alembic_config(url), "head")
    return url


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine):
    connection = engine.connect()
    transaction = connection.begin()
    yield connection
    transaction.rollback()
    connection.close()


def _joined_session(connection) -> Session:
    return Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def db_session(connection):
    session = _joined_session(connection)
    yield session
    session.close()


#: TESTING makes an unhandled exception fail the test instead of becoming a quiet 500 page.
TEST_CONFIG = {
    "COOPCHAIN_ENV": "test",
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    # A background thread would share the test's one connection: run assessments in the request.
    "FOREST_ASSESS_IN_BACKGROUND": False,
}


@pytest.fixture
def make_app(database_url, connection):
    """Build an app on the test connection; pass config overrides (e.g. CSRF on)."""

    def build(**overrides):
        app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, **overrides})
        app.extensions["coopchain.db"].sessionmaker = lambda: _joined_session(connection)
        return app

    return build


@pytest.fixture
def app(make_app):
    return make_app()


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


def pytest_report_header(config):
    where = (
        "SQLite and PostgreSQL"
        if POSTGRES_URL
        else "SQLite only (set COOPCHAIN_TEST_POSTGRES_URL for PostgreSQL)"
    )
    return f"databases: {where}"


__all__ = ["SQLModel"]
