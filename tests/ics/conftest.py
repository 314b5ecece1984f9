"""The ICS tests share the lots tests' fixtures (app context, an organic farm)."""

from tests.lots.conftest import farm, in_app_context  # noqa: F401 (fixtures)
