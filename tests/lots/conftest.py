"""Fixtures shared by the lot, quality, shipment, certificate and trace tests."""

from datetime import date
from decimal import Decimal

import pytest

from tests import factories


@pytest.fixture(autouse=True)
def in_app_context(app_context):
    """Lot services read settings and documents render templates: run in the app's context."""
    yield app_context


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
