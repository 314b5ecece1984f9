"""The demo's export shipments as GS1 EPCIS 2.0: valid against GS1's schema, and every
TransformationEvent balances (inputs = outputs + loss) to the gram and says what the database
holds (both databases)."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from coopchain.auth.models import Organization
from coopchain.auth.services import create_api_token
from coopchain.clock import today
from coopchain.demo import COFFEE_ORG
from coopchain.demo.calendar import calendar_for
from coopchain.demo.clean_shipment import bremen_reference
from coopchain.demo.shipments import DEMO_GTIN, hamburg_reference
from coopchain.lots.models import Bag, Lot, Transformation, TransformationInput
from coopchain.shipments.models import Shipment
from tests import factories
from tests.helpers.epcis import assert_valid, load, unbalanced

CALENDAR = calendar_for(today())


@pytest.fixture
def coffee(db_session):
    return db_session.scalar(select(Organization).where(Organization.code == COFFEE_ORG[0]))


def _export(client, db_session, coffee, reference):
    # The api fixture would make its own COOPAM: a token for the demo's cooperative instead.
    _token, plaintext = create_api_token(
        db_session, factories.user(db_session, coffee, "auditor"), coffee.id, "epcis"
    )
    response = client.get(
        f"/api/v1/shipments/{reference}/epcis.jsonld",
        headers={"Authorization": f"Bearer {plaintext}"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert_valid(response.get_json())
    return load(response.data)


@pytest.mark.parametrize("which", [bremen_reference, hamburg_reference])
def test_the_demo_shipment_exports_valid_balanced_epcis(client, db_session, coffee, which):
    reference = which(CALENDAR.harvest_year)
    document = _export(client, db_session, coffee, reference)
    events = document["epcisBody"]["eventList"]
    assert not unbalanced(document)
    transformations = [e for e in events if e["type"] == "TransformationEvent"]
    assert transformations and any(e["cc:loss"]["quantity"] > 0 for e in transformations)
    # Each event's figures are the database's, to the gram.
    for event in transformations:
        row = db_session.get(Transformation, int(event["transformationID"].rsplit("/", 1)[1]))
        assert Decimal(event["cc:loss"]["quantity"]) == row.loss_kg
        consumed = db_session.scalars(
            select(TransformationInput.quantity_kg).where(
                TransformationInput.transformation_id == row.id
            )
        ).all()
        assert sorted(q["quantity"] for q in event["inputQuantityList"]) == sorted(consumed)
        made = db_session.scalars(select(Lot.quantity_kg).where(Lot.transformation_id == row.id))
        assert sorted(q["quantity"] for q in event.get("outputQuantityList", [])) == sorted(made)
    # The demo cooperative has a GTIN: lots and bags are GS1 Digital Links.
    deliveries = [e for e in events if e["cc:ledgerKind"] == "delivery.registered"]
    assert deliveries and all(
        e["quantityList"][0]["epcClass"].startswith(f"https://id.gs1.org/01/{DEMO_GTIN}/10/")
        for e in deliveries
    )
    shipment = db_session.scalar(select(Shipment).where(Shipment.reference == reference))
    on_board = db_session.scalar(select(Bag.id).where(Bag.shipment_id == shipment.id).limit(1))
    packed = [e for e in events if e["type"] == "AggregationEvent"]
    assert on_board is not None and packed
    assert all("/21/" in child for e in packed for child in e["childEPCs"])


def test_the_shipped_demo_coffee_carries_its_papers(client, db_session, coffee):
    events = _export(client, db_session, coffee, bremen_reference(CALENDAR.harvest_year))
    (shipped,) = [e for e in events["epcisBody"]["eventList"] if e.get("bizStep") == "shipping"]
    assert shipped["disposition"] == "in_transit" and shipped["epcList"]
    assert shipped["bizTransactionList"][0]["type"] == "po"
