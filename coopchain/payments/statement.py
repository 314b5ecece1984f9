"""A producer's statement for one season: what they delivered and earned, what they were paid
or had deducted, and what the cooperative still owes them (issue: paying producers, point 6).

The season is the harvest year: deliveries made in that calendar year, with everything paid
for them (advance, balance, settlement, premium and deduction lines name their delivery), and
lines that name no delivery (a debt instalment, a premium per producer) when their payment
was made that year. Voided payments and settlements are left out.

The balance owed to the producer = value of the deliveries + settlement shares − what was paid
for them (advance, balance and settlement lines). Premiums are earned and paid in the same
line, and deductions are recovered in the same payment, so both show on the statement but
leave the balance as it is; what was handed over = paid for deliveries + premiums + deductions
(negative). The totals satisfy both identities exactly (tested).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import extract, or_, select
from sqlmodel import Session

from coopchain.db import in_organization, owned
from coopchain.errors import NotFound
from coopchain.farms.models import Producer
from coopchain.lots.models import Delivery
from coopchain.payments.core import delivery_value, price_per_kg
from coopchain.payments.models import (
    AllocationKind,
    Payment,
    PaymentAllocation,
    Settlement,
    SettlementLine,
)

ZERO = Decimal("0.00")
#: Lines that pay for a delivery's value or its settlement share: they reduce the balance.
PAID_FOR_VALUE = (
    AllocationKind.ADVANCE.value,
    AllocationKind.BALANCE.value,
    AllocationKind.SETTLEMENT.value,
)


@dataclass
class StatementLine:
    on: date
    #: delivery | settlement_share | advance | balance | settlement | premium | deduction
    kind: str
    reference: str
    ticket: str | None = None
    kg: Decimal | None = None
    price_per_kg: Decimal | None = None
    #: What the line adds to what is owed (a delivery's value, a settlement share).
    earned: Decimal = ZERO
    #: What the line pays (or, negative, deducts).
    paid: Decimal = ZERO
    #: Owed to the producer after this line.
    balance: Decimal = ZERO
    description: str | None = None


@dataclass
class Statement:
    producer: Producer
    season: int
    currency: str
    lines: list[StatementLine] = field(default_factory=list)
    totals: dict[str, Decimal] = field(default_factory=dict)

    @property
    def balance(self) -> Decimal:
        return self.totals["balance"]


def seasons_of(session: Session, org_id: int, producer_id: int) -> list[int]:
    """The harvest years the producer delivered in, newest first."""
    years = session.scalars(
        select(extract("year", Delivery.delivered_on))
        .where(
            in_organization(Delivery, org_id),
            Delivery.producer_id == producer_id,
            Delivery.voided_at.is_(None),
        )
        .distinct()
    )
    return sorted({int(year) for year in years}, reverse=True)


def producer_statement(
    session: Session, org_id: int, producer_id: int, season: int, currency: str = "PEN"
) -> Statement:
    producer = session.scalar(owned(Producer, org_id).where(Producer.id == producer_id))
    if producer is None:
        raise NotFound(str(_l("No such producer.")))
    deliveries = list(
        session.scalars(
            owned(Delivery, org_id)
            .where(
                Delivery.producer_id == producer_id,
                Delivery.voided_at.is_(None),
                extract("year", Delivery.delivered_on) == season,
            )
            .order_by(Delivery.delivered_on, Delivery.id)
        )
    )
    ids = [d.id for d in deliveries]
    tickets = {d.id: d.ticket_number for d in deliveries}
    lines = [
        StatementLine(
            on=d.delivered_on,
            kind="delivery",
            reference=d.ticket_number,
            ticket=d.ticket_number,
            kg=d.net_kg,
            price_per_kg=_price(d),
            earned=delivery_value(d) or ZERO,
        )
        for d in deliveries
    ]
    shares = session.execute(
        select(SettlementLine, Settlement)
        .join(Settlement, Settlement.id == SettlementLine.settlement_id)
        .where(
            in_organization(Settlement, org_id),
            Settlement.voided_at.is_(None),
            SettlementLine.delivery_id.in_(ids),
        )
        .order_by(SettlementLine.id)
    )
    lines += [
        StatementLine(
            on=settlement.rate_on,
            kind="settlement_share",
            reference=f"SET-{settlement.id}",
            ticket=tickets[line.delivery_id],
            kg=line.kg,
            earned=line.amount,
        )
        for line, settlement in shares
    ]
    allocations = session.execute(
        select(PaymentAllocation, Payment)
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(
            in_organization(Payment, org_id),
            Payment.producer_id == producer_id,
            Payment.voided_at.is_(None),
            or_(
                PaymentAllocation.delivery_id.in_(ids),
                PaymentAllocation.delivery_id.is_(None)
                & (extract("year", Payment.paid_on) == season),
            ),
        )
        .order_by(PaymentAllocation.id)
    )
    lines += [
        StatementLine(
            on=payment.paid_on,
            kind=allocation.kind,
            reference=payment.number,
            ticket=tickets.get(allocation.delivery_id),
            paid=allocation.amount,
            # A premium is earned as it is paid; a deduction is recovered as it is deducted.
            earned=ZERO if allocation.kind in PAID_FOR_VALUE else allocation.amount,
            description=allocation.description,
        )
        for allocation, payment in allocations
    ]
    order = {"delivery": 0, "settlement_share": 1}
    # Stable: within a day and a payment, lines keep the order they were written in.
    lines.sort(key=lambda line: (line.on, order.get(line.kind, 2), line.reference))
    running = ZERO
    for line in lines:
        running += line.earned - line.paid
        line.balance = running
    return Statement(producer, season, currency, lines, _totals(lines))


def _price(delivery: Delivery) -> Decimal | None:
    if delivery.price_entered is not None:
        return price_per_kg(delivery.price_entered, delivery.price_unit)
    return delivery.price_per_kg


def _totals(lines: list[StatementLine]) -> dict[str, Decimal]:
    def total(kind: str, attribute: str) -> Decimal:
        return sum((getattr(x, attribute) for x in lines if x.kind == kind), ZERO)

    totals = {
        "kg": sum((x.kg for x in lines if x.kind == "delivery"), Decimal("0.000")),
        "value": total("delivery", "earned"),
        "settlement_shares": total("settlement_share", "earned"),
        "advances": total(AllocationKind.ADVANCE.value, "paid"),
        "balance_payments": total(AllocationKind.BALANCE.value, "paid"),
        "settlement_payments": total(AllocationKind.SETTLEMENT.value, "paid"),
        "premiums": total(AllocationKind.PREMIUM.value, "paid"),
        "deductions": total(AllocationKind.DEDUCTION.value, "paid"),
    }
    totals["paid_for_value"] = (
        totals["advances"] + totals["balance_payments"] + totals["settlement_payments"]
    )
    totals["handed_over"] = totals["paid_for_value"] + totals["premiums"] + totals["deductions"]
    totals["balance"] = totals["value"] + totals["settlement_shares"] - totals["paid_for_value"]
    return totals
