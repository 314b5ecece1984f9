"""EUDR tests read messages in English and share one local stub of the EU system per run."""

import pytest
from flask_babel import force_locale

from tests.eudr.stub_eu import StubEU


@pytest.fixture(autouse=True)
def english(app_context):
    with force_locale("en"):
        yield


@pytest.fixture(scope="session")
def stub_server():
    stub = StubEU().start()
    yield stub
    stub.stop()


@pytest.fixture
def stub(stub_server):
    stub_server.reset()
    yield stub_server
    assert stub_server.failures == [] or stub_server.allow_failures


@pytest.fixture
def api(api):
    def headers(*args, **kwargs):
        return api(*args, **kwargs) | {"Accept-Language": "en"}

    return headers
