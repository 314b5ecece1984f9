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


def downgraded_merge(db_session, org, farm, reason: str, on: date):
    """An organic and a conventional delivery merged with the organic claim given up (`reason`):
    the merged lot, made through the services."""
    from coopchain.lots import transformations

    producer, organic_plot = farm
    conventional = factories.plot(db_session, org, producer, organic_conversion_start=None)
    _d, organic = factories.delivery(db_session, org, producer, organic_plot)
    _d, other = factories.delivery(db_session, org, producer, conventional)
    merge = transformations.merge(
        db_session,
        org.id,
        None,
        [(organic.code, None), (other.code, None)],
        on,
        downgrade_reason=reason,
    )
    (merged,) = transformations.parts_of(db_session, merge)[1]
    return merged
