"""The demo is loaded once per database for this package (it takes seconds); each test works in
a savepoint inside that load and rolls back, so tests here cannot see each other's changes."""

import pytest

from coopchain.demo import load_demo
from tests.helpers import joined_session, rolled_back, savepoint


@pytest.fixture(scope="package")
def demo_connection(engine, app_factory):
    app = app_factory("context")
    with rolled_back(engine) as connection:
        session = joined_session(connection, app.extensions["coopchain.db"].settings)
        with app.app_context():
            assert load_demo(session, "demo")
            session.commit()  # releases the session's savepoint into the outer transaction
        session.close()
        yield connection


@pytest.fixture
def connection(demo_connection):
    """This test's changes go into a savepoint inside the demo's transaction."""
    with savepoint(demo_connection) as connection:
        yield connection


@pytest.fixture(autouse=True)
def in_app_context(app_context):
    """Compliance and cupping read settings: run in the app's context."""
    yield app_context
