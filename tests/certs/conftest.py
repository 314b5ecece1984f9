"""Certificate and EUDR code reads settings and translates messages, so tests run in an app
context: the lots tests' autouse fixture, shared rather than copied (it also serves tests here
that use the database)."""

import pytest
from flask_babel import force_locale

from tests.lots.conftest import app_context  # noqa: F401 (autouse fixture)


@pytest.fixture(autouse=True)
def english(app_context):  # noqa: F811 (the imported fixture)
    """Messages asserted here are English; outside a request the app's default is Spanish."""
    with force_locale("en"):
        yield


@pytest.fixture
def api(api):
    """Bearer headers that also ask for English messages."""

    def headers(*args, **kwargs):
        return api(*args, **kwargs) | {"Accept-Language": "en"}

    return headers
