"""Helpers the fixtures share: the test app's configuration and sessions joined to a test's
connection (its commits become savepoints that the test's rollback undoes)."""

from dataclasses import replace

from sqlmodel import Session

from coopchain.config import Settings
from coopchain.db import settings_of

#: TESTING makes an unhandled exception fail the test instead of becoming a quiet 500 page.
TEST_CONFIG = {
    "COOPCHAIN_ENV": "test",
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    # A background thread would share the test's one connection: run assessments in the request.
    "FOREST_ASSESS_IN_BACKGROUND": False,
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
