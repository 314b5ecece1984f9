"""Price transparency on the public bag page: off by default; an admin turns it on with the
market reference of a day; the page then shows the average paid per kg, weighted by the kg each
delivery contributed to the bag's lot, and how it compares; no one person's price (issue:
paying producers)."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from coopchain.ledger.models import LedgerEvent
from coopchain.lots.bags import create_bags
from tests import factories
from tests.trace import public_fixtures
from tests.trace.public_fixtures import get_page, grower, merged, visible_text

app = public_fixtures.app
SETTINGS = "/settings/public-trace"


@pytest.fixture
def bag(db_session, org):
    """A bag of a lot merged from 600 kg at S/ 14.00 per kg and 400 kg at S/ 920 per quintal
    (S/ 20.00 per kg): S/ 16.40 per kg on average, weighted by kg."""
    lots = []
    for net, price in (
        ("600", {"price_per_kg": Decimal("14.00")}),
        ("400", {"price_per_kg": None, "price_entered": Decimal("920"), "price_unit": "qq"}),
    ):
        producer, plot = grower(db_session, org)
        _delivery, lot = factories.delivery(
            db_session,
            org,
            producer,
            plot,
            product_form="green",
            gross_kg=Decimal(net) + 20,
            tare_kg=Decimal("20"),
            **price,
        )
        lots.append(lot)
    (made,) = create_bags(db_session, org.id, None, merged(db_session, org, lots).code, 1)
    db_session.flush()
    return made


def _page(client, bag) -> str:
    return visible_text(get_page(client, f"/b/{bag.public_token}").data.decode())


def test_off_by_default(client, bag):
    assert "were paid" not in _page(client, bag)


def test_an_admin_turns_it_on_and_the_page_compares_with_the_reference(
    client, login, db_session, org, bag
):
    login("admin")
    response = client.post(
        SETTINGS,
        data={
            "form": "prices",
            "price_transparency": "y",
            "market_reference_per_kg": "12.00",
            "market_reference_on": "2026-06-01",
        },
    )
    assert response.status_code == 302
    client.delete_cookie("session")
    text = _page(client, bag)
    assert (
        "The families who grew this coffee were paid S/ 16.40 per kg of green "
        "(36.7 % above the market reference of the day)" in text
    )
    assert "S/ 12.00 per kg on 01/06/2026" in text
    for one_person in ("14.00", "20.00", "920"):
        assert one_person not in text
    event = db_session.scalar(
        select(LedgerEvent).where(LedgerEvent.kind == "organization.price_transparency_set")
    )
    assert event.payload["data"]["market_reference_per_kg"] == "12.00"


def test_turning_it_on_needs_a_reference_and_its_day(client, login, db_session, org):
    login("admin")
    response = client.post(
        SETTINGS, data={"form": "prices", "price_transparency": "y", "market_reference_per_kg": "0"}
    )
    assert response.status_code == 422
    page = response.data.decode()
    assert 'id="market_reference_per_kg-error"' in page and 'id="market_reference_on-error"' in page
    db_session.refresh(org)
    assert org.price_transparency is False


def test_below_the_reference_says_below(client, login, db_session, org, bag):
    org.price_transparency, org.market_reference_per_kg = True, Decimal("20.00")
    org.market_reference_on = date(2026, 6, 1)
    db_session.flush()
    assert "(18.0 % below the market reference of the day)" in _page(client, bag)
