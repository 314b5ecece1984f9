"""Helpers the fixtures share: the test app's configuration and sessions joined to a test's
connection (its commits become savepoints that the test's rollback undoes)."""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from sqlalchemy import make_url, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from coopchain.config import Settings
from coopchain.db import make_engine, settings_of

#: TESTING makes an unhandled exception fail the test instead of becoming a quiet 500 page.
TEST_CONFIG = {
    "COOPCHAIN_ENV": "test",
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    # Jobs run in the caller: a worker would not see the test's uncommitted rows.
    "JOBS_IMMEDIATE": True,
    # Printed addresses as production configures them (tests/test_public_url.py covers none).
    "PUBLIC_BASE_URL": "http://localhost:5000",
}


def joined_session(connection, settings: Settings) -> Session:
    """A session on the test's connection carrying `settings`, as the app's sessions do."""
    return Session(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        info={"settings": settings},
    )


def change_settings(session: Session, **changes) -> None:
    """Give the session's services other settings (e.g. season_start_month=10)."""
    session.info["settings"] = replace(settings_of(session), **changes)


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back at the end: nothing stays."""
    connection = engine.connect()
    transaction = connection.begin()
    try:
        yield connection
    finally:
        transaction.rollback()
        connection.close()


@contextmanager
def savepoint(connection: Connection) -> Iterator[Connection]:
    """The same connection inside a savepoint rolled back at the end: one test's changes on
    top of rows a module or package built once."""
    nested = connection.begin_nested()
    try:
        yield connection
    finally:
        if nested.is_active:
            nested.rollback()


@contextmanager
def scratch_postgres_database(base_url: str, prefix: str) -> Iterator[str]:
    """The URL of a new, empty database beside `base_url`'s, dropped afterwards: for tests
    whose server or tool commits for real, so not the suite's own database."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    admin = make_engine(base_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
