"""Quality services, like lot services, read settings, so their tests run in an app context.

The context belongs to an app of its own: pushing the test client's app would make Flask
reuse that context (and its `g`: session, user) for every request the client makes."""

from datetime import date
from decimal import Decimal

import pytest

from tests import factories


@pytest.fixture(autouse=True)
def app_context(make_app):
    with make_app().app_context():
        yield


@pytest.fixture
def farm(db_session, org):
    """An organic coffee producer with an agreement and one plot."""
    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer)
    factories.agreement(db_session, org, [producer])
    return producer, plot


def delivery_data(producer, plot, **fields) -> dict:
    return {
        "ticket_number": fields.pop("ticket_number", f"T-{factories.next_number()}"),
        "producer_id": producer.id,
        "plot_id": plot.id,
        "product_form": "dry_parchment",
        "gross_kg": Decimal("520.5"),
        "tare_kg": Decimal("20.5"),
        "moisture_pct": Decimal("12.5"),
        "delivered_on": date(2026, 6, 10),
        "price_per_kg": Decimal("14.20"),
        **fields,
    }


@pytest.fixture
def green_lot(db_session, org, farm):
    """A green coffee lot of 500 kg, made by a delivery (so it can be sampled and graded)."""
    producer, plot = farm
    _delivery, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    return lot
