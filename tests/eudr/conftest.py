"""EUDR tests read messages in English and share one local stub of the EU system per run."""

from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale

from coopchain.lots import bags, transformations
from coopchain.shipments import services as shipments
from tests import factories
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


REF = "HH-2026-01"
POINT = {"type": "Point", "coordinates": [-77.3901234, -5.6801234]}
ACCOUNT = {
    "operator_role": "OPERATOR",
    "activity_type": "IMPORT",
    "country_of_activity": "DE",
    "eori": "DE123456789012345",
    "environment": "acceptance",
}


def green_lot(db_session, org, plot_fields=None, **producer_fields):
    producer = factories.producer(db_session, org, **producer_fields)
    plot = factories.plot(db_session, org, producer, **(plot_fields or {}))
    _d, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    return lot


@pytest.fixture
def shipment(db_session, org):
    """4 bags (276 kg) from a merge of two producers' lots: a polygon plot and a point."""
    a = green_lot(db_session, org, first_name="Rosa")
    b = green_lot(
        db_session,
        org,
        {"geometry": POINT, "declared_area_ha": Decimal("2.5")},
        first_name="Ñusta",
    )
    merge = transformations.merge(
        db_session, org.id, None, [(a.code, None), (b.code, None)], date(2026, 6, 2)
    )
    merged = transformations.parts_of(db_session, merge)[1][0]
    bags.create_bags(db_session, org.id, None, merged.code, 4)
    created = shipments.create_shipment(
        db_session,
        org.id,
        None,
        {"reference": REF, "crop": "coffee", "buyer_name": "Kaffee GmbH", "buyer_country": "DE"},
    )
    shipments.allocate(db_session, org.id, None, REF, lot_codes=[merged.code])
    return created
