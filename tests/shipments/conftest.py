"""Shipment services read lot settings (bag weights), so their tests run in an app context;
the lots tests' fixtures are shared rather than copied."""

import pytest

from coopchain.lots.bags import create_bags
from coopchain.shipments import services as shipments
from tests import factories
from tests.lots.conftest import farm, in_app_context  # noqa: F401 (fixtures)

VALID_CONTAINER = "CSQU3054383"  # ISO 6346, DOMAIN.md §6


def bagged_lot(db_session, org, producer, plot, count: int, **delivery_fields):
    """An origin lot of green coffee (500 kg by default) with `count` export bags of 69 kg."""
    fields = {"product_form": "green", **delivery_fields}
    _delivery, lot = factories.delivery(db_session, org, producer, plot, **fields)
    made = create_bags(db_session, org.id, None, lot.code, count)
    return lot, made


def new_shipment(db_session, org, **fields):
    data = {
        "reference": f"C-2026-{factories.next_number():03d}",
        "crop": "coffee",
        "buyer_name": "Kaffee Import GmbH",
        "buyer_country": "DE",
        **fields,
    }
    return shipments.create_shipment(db_session, org.id, None, data)


@pytest.fixture
def login(login, client):
    """The root `login`, then English pages: the tests read the words a user reads."""

    def do_login(*args, **kwargs):
        user = login(*args, **kwargs)
        client.get("/lang/en")
        return user

    return do_login


@pytest.fixture
def green_lot(db_session, org, farm):  # noqa: F811 (the imported fixture)
    """A green coffee lot with 5 bags (345 kg) on no shipment."""
    producer, plot = farm
    return bagged_lot(db_session, org, producer, plot, 5)


@pytest.fixture
def shipment(db_session, org):
    return new_shipment(db_session, org)


@pytest.fixture(autouse=True)
def english(app_context):
    """These tests read messages in English; services outside a request use the app's default
    language (Spanish), so pin it. The Spanish texts are checked by tests/test_i18n.py."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield


@pytest.fixture
def api(api):
    """Bearer headers that also ask for English messages."""

    def headers(*args, **kwargs):
        return api(*args, **kwargs) | {"Accept-Language": "en"}

    return headers
