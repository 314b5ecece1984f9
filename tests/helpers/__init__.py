"""Helpers the fixtures share: the test app's configuration and sessions joined to a test's
connection (its commits become savepoints that the test's rollback undoes)."""

from sqlmodel import Session

#: TESTING makes an unhandled exception fail the test instead of becoming a quiet 500 page.
TEST_CONFIG = {
    "COOPCHAIN_ENV": "test",
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    # A background thread would share the test's one connection: run assessments in the request.
    "FOREST_ASSESS_IN_BACKGROUND": False,
}


def joined_session(connection) -> Session:
    return Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
