"""The demo's season of payments: what a treasurer of the coffee cooperative did this harvest.

Premium rules set before the harvest (organic, women's, the cooperative's retention), input
credit for fertiliser recovered in instalments, advances paid at the scale, a payment run after
each month of deliveries, and the Fairtrade Premium received into the collective fund and
partly spent. The Bremen shipment's settlement (the second payment, by traced kilograms) is left
for the treasurer: it waits for the buyer's final price. All of it
goes through the same services as the treasurer's pages, so the ledger, statements, receipts and
reports show it. Only what falls on or before the load day is paid: a run dated after it would
be a payment from the future.
"""

from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session

from coopchain.db import owned
from coopchain.demo.calendar import DemoCalendar
from coopchain.demo.clean_shipment import bremen_reference
from coopchain.farms.models import Producer
from coopchain.lots.models import Delivery
from coopchain.payments import core, debts, fund, premiums, runs
from coopchain.payments.models import AllocationKind, PaymentMethod
from coopchain.shipments.models import Shipment

#: Soles per kg of dry parchment; the harvest's prices are 14.50 PEN/kg (demo/season.py).
RULES = (
    ("Prima orgánica", "organic", "0.60"),
    ("Prima mujer cafetalera", "womens", "0.20"),
    ("Retención cooperativa (fondo de capitalización)", "retention", "0.10"),
)
#: Every fourth ticket gets an advance of about 40 % of its value, in cash at the scale.
ADVANCE_EVERY = 4
ADVANCE_SHARE = Decimal("0.40")


def load_demo_payments(session: Session, cal: DemoCalendar, org_id: int) -> None:
    """The coffee cooperative's payments of the told harvest (idempotent through load_demo)."""
    _premium_rules(session, cal, org_id)
    _input_credit(session, cal, org_id)
    _advances(session, cal, org_id)
    for month in range(4, 10):
        _monthly_run(session, cal, org_id, month)
    _fairtrade_fund(session, cal, org_id)


def _premium_rules(session: Session, cal: DemoCalendar, org_id: int) -> None:
    for name, kind, amount in RULES:
        premiums.create_rule(
            session,
            org_id,
            None,
            {
                "name": name,
                "kind": kind,
                "amount_per_kg": amount,
                "currency": "PEN",
                "crop": "coffee",
                "product_form": "dry_parchment",
                "valid_from": cal.harvest(4, 1).isoformat(),
            },
        )


def _input_credit(session: Session, cal: DemoCalendar, org_id: int) -> None:
    """Guano de isla on credit for three members, recovered in two instalments."""
    members = session.scalars(owned(Producer, org_id).order_by(Producer.member_code).limit(3))
    for producer in members:
        debts.record_debt(
            session,
            org_id,
            None,
            producer.id,
            {
                "kind": "input_credit",
                "principal": "450.00",
                "currency": "PEN",
                "granted_on": cal.harvest(3, 15).isoformat(),
                "description": "Guano de isla, 15 sacos (campaña de abonamiento)",
                "schedule": [
                    {"due_on": cal.harvest(6, 30).isoformat(), "amount": "225.00"},
                    {"due_on": cal.harvest(8, 31).isoformat(), "amount": "225.00"},
                ],
            },
        )


def _advances(session: Session, cal: DemoCalendar, org_id: int) -> None:
    tickets = session.scalars(
        owned(Delivery, org_id)
        .where(Delivery.delivered_on <= cal.today)
        .order_by(Delivery.delivered_on, Delivery.ticket_number)
    ).all()
    for delivery in tickets[::ADVANCE_EVERY]:
        value = core.delivery_value(delivery)
        if not value:
            continue
        # Rounded down to ten soles: the cashier pays in notes.
        amount = (value * ADVANCE_SHARE // 10 * 10).quantize(Decimal("0.01"))
        if amount <= 0:
            continue
        core.record_payment(
            session,
            org_id,
            None,
            producer_id=delivery.producer_id,
            lines=[
                core.Line(
                    kind=AllocationKind.ADVANCE.value,
                    amount=amount,
                    delivery_id=delivery.id,
                    description=f"Adelanto en balanza, ticket {delivery.ticket_number}",
                )
            ],
            method=PaymentMethod.CASH.value,
            paid_on=delivery.delivered_on,
        )


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def _monthly_run(session: Session, cal: DemoCalendar, org_id: int, month: int) -> None:
    start = cal.harvest(month, 1)
    end = _month_end(start.year, month)
    paid_on = end + timedelta(days=10)
    if paid_on > cal.today:
        return
    selection = {"from": start.isoformat(), "to": end.isoformat()}
    if not runs.preview(session, org_id, selection, paid_on).payable:
        return
    runs.confirm(
        session, org_id, None, selection, paid_on, "PEN", PaymentMethod.BANK_TRANSFER.value
    )


def _fairtrade_fund(session: Session, cal: DemoCalendar, org_id: int) -> None:
    """The Fairtrade Premium (USD 0.20/lb green) is the organisation's, not a member's: income
    to the fund from the Bremen contract, then a use voted in the premium plan."""
    reference = bremen_reference(cal.harvest_year)
    if session.scalar(owned(Shipment, org_id).where(Shipment.reference == reference)) is None:
        return
    received_on = cal.harvest(10, 28)
    if received_on > cal.today:
        return
    fund.record_entry(
        session,
        org_id,
        None,
        {
            "kind": "income",
            "amount": "2400.00",
            "currency": "USD",
            "occurred_on": received_on.isoformat(),
            "description": "Prima Fairtrade, contrato Bremen",
            "shipment": reference,
        },
    )
    fund.record_entry(
        session,
        org_id,
        None,
        {
            "kind": "use",
            "amount": "900.00",
            "currency": "USD",
            "occurred_on": (received_on + timedelta(days=3)).isoformat(),
            "description": "Secadores solares para 6 socios",
            "plan_item": "Calidad: secado",
        },
    )
