"""Field import tests read messages in English (test_i18n.py checks the Spanish ones); database
tests run in the app's context, the pure ones without."""

import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def english(request):
    # Database tests run in the app's context (services translate and read settings); the pure
    # ones and the command-line tests, which build their own app, run without one.
    if "database_url" in request.fixturenames:
        request.getfixturevalue("app_context")
    with force_locale("en"):
        yield
