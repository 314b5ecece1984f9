"""Dashboard services read settings and run the compliance engine (translated messages): their
tests run in an app context, in English; the lots tests' fixtures are shared."""

import pytest

from tests.lots.conftest import farm, in_app_context  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def english(app_context):
    from flask_babel import force_locale

    with force_locale("en"):
        yield


@pytest.fixture
def login(login, client):
    """The root `login`, then English pages: the tests read the words a user reads."""

    def do_login(*args, **kwargs):
        user = login(*args, **kwargs)
        client.get("/lang/en")
        return user

    return do_login
