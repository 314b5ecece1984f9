"""Certificate and EUDR code reads settings and translates messages, so tests run in an app
context: the lots tests' autouse fixture, shared rather than copied (it also serves tests here
that use the database)."""

from tests.lots.conftest import app_context  # noqa: F401 (autouse fixture)
