"""The demo is loaded once per database for this package (it takes seconds); each test works in
a savepoint inside that load and rolls back, so tests here cannot see each other's changes."""

import pytest

from coopchain import create_app
from coopchain.demo import load_demo
from tests.helpers import TEST_CONFIG, joined_session


@pytest.fixture(scope="package")
def demo_connection(engine, database_url):
    connection = engine.connect()
    transaction = connection.begin()
    app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url})
    session = joined_session(connection, app.extensions["coopchain.db"].settings)
    with app.app_context():
        assert load_demo(session, "demo")
        session.commit()  # releases the session's savepoint into the outer transaction
    session.close()
    yield connection
    transaction.rollback()
    connection.close()


@pytest.fixture
def connection(demo_connection):
    """This test's changes go into a savepoint inside the demo's transaction."""
    savepoint = demo_connection.begin_nested()
    yield demo_connection
    if savepoint.is_active:
        savepoint.rollback()


@pytest.fixture(autouse=True)
def in_app_context(app_context):
    """Compliance and cupping read settings: run in the app's context."""
    yield app_context
