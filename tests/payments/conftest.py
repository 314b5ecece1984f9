"""Fixtures for the payment tests: a producer with a plot and priced deliveries."""

from decimal import Decimal

import pytest

from tests import factories


@pytest.fixture(autouse=True)
def in_app_context(app_context):
    """Payment services number, translate and read settings: run in the app's context."""
    yield app_context


@pytest.fixture
def farm(db_session, org):
    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer)
    factories.agreement(db_session, org, [producer])
    return producer, plot


@pytest.fixture
def priced(db_session, org, farm):
    """A 500 kg delivery of parchment at S/ 14 per kg: worth S/ 7,000.00."""
    producer, plot = farm
    delivery, _lot = factories.delivery(db_session, org, producer, plot)
    return delivery


def set_price(session, delivery, entered: str, unit: str) -> None:
    delivery.price_entered, delivery.price_unit = Decimal(entered), unit
    session.flush()
