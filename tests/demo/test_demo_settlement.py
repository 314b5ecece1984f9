"""The demo's Bremen shipment settles across every delivery traced into it (issue: paying
producers, point 3)."""

from decimal import Decimal

from sqlalchemy import select

from coopchain.auth.models import Organization
from coopchain.clock import today
from coopchain.demo.calendar import calendar_for
from coopchain.demo.clean_shipment import bremen_reference
from coopchain.lots.models import Bag, Lot, Transformation, TransformationInput
from coopchain.lots.origins import origins_of
from coopchain.payments import settlement as settling
from coopchain.shipments.models import Shipment

CALENDAR = calendar_for(today())


def test_the_demo_shipment_settles_across_its_deliveries(db_session):
    coffee = db_session.scalar(select(Organization).where(Organization.code == "COOPAM"))
    reference = bremen_reference(CALENDAR.harvest_year)
    shipment = db_session.scalar(select(Shipment).where(Shipment.reference == reference))
    green = db_session.scalar(
        select(Lot).join(Bag, Bag.lot_id == Lot.id).where(Bag.shipment_id == shipment.id).limit(1)
    )
    terms = {
        "price": "3.4125",
        "price_currency": "USD",
        "price_unit": "lb",
        "exchange_rate": "3.7312",
        "rate_on": shipment.shipped_on.isoformat(),
        "costs_per_kg": "1.35",
        "currency": "PEN",
    }
    result = settling.preview(db_session, coffee.id, reference, terms)
    origins = origins_of(db_session, green).origins
    assert {share.delivery_id for share in result.shares} == {o.delivery_id for o in origins}
    assert len(result.shares) > 10
    assert sum(share.amount for share in result.shares) == result.total > 0
    # All the green was shipped, so the parchment behind it is what the hulling consumed.
    hulled_kg = db_session.scalar(
        select(TransformationInput.quantity_kg).where(
            TransformationInput.transformation_id == green.transformation_id
        )
    )
    assert db_session.get(Transformation, green.transformation_id).kind == "process"
    assert abs(result.traced_kg - hulled_kg) <= Decimal("0.001") * len(result.shares)
    made = settling.confirm(db_session, coffee.id, None, reference, terms)
    assert len(settling.lines_of(db_session, made)) == len(result.shares)
