"""Certificate and EUDR code translates messages: tests read them in English."""

import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def english(app_context):
    """Messages asserted here are English; outside a request the app's default is Spanish."""
    with force_locale("en"):
        yield


@pytest.fixture
def api(api):
    """Bearer headers that also ask for English messages."""

    def headers(*args, **kwargs):
        return api(*args, **kwargs) | {"Accept-Language": "en"}

    return headers
