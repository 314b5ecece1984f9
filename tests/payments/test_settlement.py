"""Settling a sold shipment by the kilograms each delivery contributed (issue: paying
producers, point 3): exact cents, the remainder rule, the refusals, confirm, void and pay."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from coopchain.errors import Conflict, DomainError
from coopchain.ledger.models import LedgerEvent
from coopchain.lots import transformations
from coopchain.lots.bags import create_bags
from coopchain.lots.origins import origins_of
from coopchain.payments import settlement as settling
from coopchain.payments.models import PaymentAllocation, Settlement, SettlementLine
from coopchain.payments.settlement_pay import pay_settlement
from coopchain.payments.settlement_rules import largest_remainder, settlement_total
from coopchain.shipments import services as shipments
from tests import factories

D = Decimal
TERMS = {
    "price": "3.25",
    "price_currency": "USD",
    "price_unit": "lb",
    "exchange_rate": "3.75",
    "rate_on": "2026-10-12",
    "costs_per_kg": "0.50",
    "currency": "PEN",
}


@pytest.fixture(autouse=True)
def english():
    with force_locale("en"):
        yield


@pytest.fixture
def sold(db_session, org):
    """Two producers' parchment (500 kg and 300 kg) merged, hulled to 640 kg green (yield
    0.8), 9 bags of 69 kg (621 kg) shipped; a third delivery stays home."""
    lots, deliveries = [], []
    for net in ("500", "300", "200"):
        producer = factories.producer(db_session, org)
        plot = factories.plot(db_session, org, producer)
        delivery, lot = factories.delivery(
            db_session, org, producer, plot, gross_kg=D(net) + 20, tare_kg=D("20")
        )
        deliveries.append(delivery)
        lots.append(lot)
    on = date(2026, 6, 10)
    merged = transformations.merge(
        db_session, org.id, None, [(lots[0].code, D("500")), (lots[1].code, D("300"))], on
    )
    parchment = _output(db_session, merged)
    hulled = transformations.process(
        db_session, org.id, None, parchment.code, None, "green", D("640"), on, confirm_yield=True
    )
    green = _output(db_session, hulled)
    create_bags(db_session, org.id, None, green.code, 9, D("69"))
    shipment = shipments.create_shipment(
        db_session,
        org.id,
        None,
        {
            "reference": "C-2026-SET",
            "crop": "coffee",
            "buyer_name": "Kaffee Import GmbH",
            "buyer_country": "DE",
            "container_number": "CSQU3054383",
        },
    )
    shipments.allocate(db_session, org.id, None, shipment.reference, lot_codes=[green.code])
    shipments.advance_status(db_session, org.id, None, shipment.reference, on)
    shipments.advance_status(db_session, org.id, None, shipment.reference, on)
    return shipment, deliveries, green


def _output(session, transformation):
    from coopchain.lots.models import Lot

    return session.scalar(select(Lot).where(Lot.transformation_id == transformation.id))


def _counts(session):
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Settlement, SettlementLine, LedgerEvent)
    )


def test_total_is_shipped_kg_times_price_per_kg_times_rate_minus_costs_to_the_cent():
    # 621 kg × (3.25 USD/lb ÷ 0.45359237 kg/lb × 3.75 PEN/USD − 0.50 PEN/kg)
    # = 16,375.0485… PEN, worked out by hand at 50 digits: 16,375.05 to the cent.
    assert settlement_total(D("621"), D("3.25"), "lb", D("3.75"), D("0.50")) == D("16375.05")
    assert settlement_total(D("100"), D("7"), "kg", D("1"), D("0")) == D("700.00")


def test_largest_remainder_adds_up_and_breaks_ties_by_delivery_id():
    thirds = largest_remainder(D("10.00"), {7: Fraction(1), 3: Fraction(1), 5: Fraction(1)})
    assert thirds == {3: D("3.34"), 5: D("3.33"), 7: D("3.33")}
    assert sum(thirds.values()) == D("10.00")
    # 1.00 by 1:2 → 0.333… and 0.666…: the larger remainder (.666) gets the last cent.
    assert largest_remainder(D("1.00"), {1: Fraction(1), 2: Fraction(2)}) == {
        1: D("0.33"),
        2: D("0.67"),
    }
    uneven = largest_remainder(D("100.00"), {i: Fraction(i) for i in range(1, 8)})
    assert sum(uneven.values()) == D("100.00")
    assert uneven[7] == D("25.00") and uneven[1] == D("3.57")


def test_preview_distributes_by_delivered_kg_with_the_yield_undone(db_session, org, sold):
    shipment, deliveries, green = sold
    before = _counts(db_session)
    result = settling.preview(db_session, org.id, shipment.reference, TERMS)
    assert _counts(db_session) == before  # a preview writes nothing
    assert result.shipped_kg == D("621.000")
    assert result.total == D("16375.05")
    by_delivery = {share.delivery_id: share for share in result.shares}
    # 621 kg green ÷ 0.8 yield = 776.25 kg parchment, shared 500 : 300.
    assert by_delivery[deliveries[0].id].kg == D("485.156")
    assert by_delivery[deliveries[1].id].kg == D("291.094")
    assert deliveries[2].id not in by_delivery  # stayed home
    # 16,375.05 × 5/8 = 10,234.40625 and × 3/8 = 6,140.64375: rounded down they leave one
    # cent, which goes to the larger remainder (.625 of a cent against .375).
    assert by_delivery[deliveries[0].id].amount == D("10234.41")
    assert by_delivery[deliveries[1].id].amount == D("6140.64")
    assert sum(share.amount for share in result.shares) == result.total
    # The same deliveries and the same proportions as the green lot's origins.
    origins = {o.delivery_id: o.kg for o in origins_of(db_session, green).origins}
    assert set(origins) == set(by_delivery)
    assert origins[deliveries[0].id] / origins[deliveries[1].id] == D(5) / D(3)


def test_confirm_writes_lines_and_a_transaction_event_and_refuses_a_second(db_session, org, sold):
    shipment, deliveries, _green = sold
    made = settling.confirm(db_session, org.id, None, shipment.reference, TERMS)
    lines = settling.lines_of(db_session, made)
    assert made.total == D("16375.05") and sum(line.amount for line in lines) == made.total
    assert [line.producer_id for line in lines] == [d.producer_id for d in deliveries[:2]]
    event = db_session.scalar(select(LedgerEvent).order_by(LedgerEvent.seq.desc()).limit(1))
    assert (event.kind, event.event_type) == ("settlement.confirmed", "TransactionEvent")
    with pytest.raises(Conflict):
        settling.confirm(db_session, org.id, None, shipment.reference, TERMS)
    settling.void(db_session, org.id, None, made.id, "Wrong rate")
    again = settling.confirm(
        db_session, org.id, None, shipment.reference, TERMS | {"exchange_rate": "3.70"}
    )
    assert again.total < made.total


def test_paying_makes_one_payment_per_producer_and_never_twice(db_session, org, sold):
    shipment, deliveries, _green = sold
    made = settling.confirm(db_session, org.id, None, shipment.reference, TERMS)
    payments = pay_settlement(
        db_session, org.id, None, made.id, method="cash", paid_on=date(2026, 10, 20)
    )
    assert sorted(p.amount for p in payments) == [D("6140.64"), D("10234.41")]
    kinds = set(
        db_session.scalars(
            select(PaymentAllocation.kind).where(PaymentAllocation.settlement_id == made.id)
        )
    )
    assert kinds == {"settlement"}
    with pytest.raises(Conflict):
        pay_settlement(db_session, org.id, None, made.id, method="cash", paid_on=date(2026, 10, 20))
    with pytest.raises(Conflict):  # paid: void the payments first
        settling.void(db_session, org.id, None, made.id, "Too late")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"exchange_rate": "0"}, "exchange_rate"),
        ({"price": "-3.25"}, "price"),
        ({"price": "abc"}, "price"),
        ({"currency": "XYZ"}, "currency"),
        ({"price_currency": "ZZZ"}, "price_currency"),
        ({"rate_on": "12/10/2026"}, "rate_on"),
        ({"costs_per_kg": "100"}, "costs_per_kg"),
        ({"price": "1e999999"}, "price"),
        ({"price": "3.25001"}, "price"),
        ({"exchange_rate": "3.7312345"}, "exchange_rate"),
        ({"costs_per_kg": "NaN"}, "costs_per_kg"),
    ],
)
def test_bad_terms_are_refused_naming_the_field(db_session, org, sold, change, field):
    shipment, _deliveries, _green = sold
    before = _counts(db_session)
    with pytest.raises(DomainError) as refused:
        settling.confirm(db_session, org.id, None, shipment.reference, TERMS | change)
    assert field in refused.value.fields
    assert _counts(db_session) == before


def test_a_shipment_not_yet_shipped_is_refused_naming_its_status(db_session, org):
    shipment = shipments.create_shipment(
        db_session,
        org.id,
        None,
        {"reference": "C-2026-PLN", "crop": "coffee", "buyer_name": "B", "buyer_country": "DE"},
    )
    with pytest.raises(Conflict) as refused:
        settling.preview(db_session, org.id, shipment.reference, TERMS)
    assert "planned" in refused.value.message


def test_only_what_each_delivery_gave_counts_when_a_lot_is_partly_used(db_session, org):
    """400 of a 500 kg delivery and all of a 300 kg one, merged, hulled to 560 kg green (0.8),
    8 bags of 69 kg shipped: 552 ÷ 0.8 = 690 kg parchment behind them, shared 400 : 300."""
    made = []
    for net in ("500", "300"):
        producer = factories.producer(db_session, org)
        plot = factories.plot(db_session, org, producer)
        made.append(
            factories.delivery(
                db_session, org, producer, plot, gross_kg=D(net) + 20, tare_kg=D("20")
            )
        )
    on = date(2026, 6, 10)
    merged = transformations.merge(
        db_session, org.id, None, [(made[0][1].code, D("400")), (made[1][1].code, D("300"))], on
    )
    parchment = _output(db_session, merged)
    hulled = transformations.process(
        db_session, org.id, None, parchment.code, None, "green", D("560"), on, confirm_yield=True
    )
    green = _output(db_session, hulled)
    create_bags(db_session, org.id, None, green.code, 8, D("69"))
    shipment = shipments.create_shipment(
        db_session,
        org.id,
        None,
        {
            "reference": "C-2026-PART",
            "crop": "coffee",
            "buyer_name": "B",
            "buyer_country": "DE",
            "container_number": "CSQU3054383",
        },
    )
    shipments.allocate(db_session, org.id, None, shipment.reference, lot_codes=[green.code])
    shipments.advance_status(db_session, org.id, None, shipment.reference, on)
    shipments.advance_status(db_session, org.id, None, shipment.reference, on)
    result = settling.preview(db_session, org.id, shipment.reference, TERMS)
    kg = {share.delivery_id: share.kg for share in result.shares}
    assert kg == {made[0][0].id: D("394.286"), made[1][0].id: D("295.714")}
    assert result.traced_kg == D("690.000")
