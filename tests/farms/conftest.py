"""Farm and forest tests read service messages in English; services outside a request use the
app's default language (Spanish), so pin it. The Spanish texts are checked by test_i18n.py."""

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
