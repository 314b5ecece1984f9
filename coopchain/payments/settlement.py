"""Settling a sold shipment: its final price distributed to the deliveries by the kilograms
each contributed to it (issue: paying producers, point 3).

What is distributed by: the kilograms of each delivery's DELIVERED form (parchment, cherry…)
that reached the shipment's bags — the lot graph walked back from the bags with the recorded
transformation yields undone (traced_kg.py). Parts are exact fractions of that weight; the
amounts go to the cent by largest remainder (settlement_rules.largest_remainder), so they
add up to the total exactly. A settlement is previewed (no writes), confirmed (Settlement and
its lines, a ledger TransactionEvent), voided with a reason, and paid once per producer.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from babel.numbers import list_currencies
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlmodel import Session

from coopchain.clock import utcnow
from coopchain.db import in_organization, owned
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.ledger.services import append
from coopchain.lots.models import Delivery
from coopchain.payments import settlement_rules as rules
from coopchain.payments.models import (
    AllocationKind,
    Payment,
    PaymentAllocation,
    Settlement,
    SettlementLine,
)
from coopchain.payments.traced_kg import delivered_kg_behind, shipped_kg_by_lot
from coopchain.shipments.models import Shipment, ShipmentStatus

#: A shipment can be settled once it has left (shipped) or arrived (delivered).
SETTLEABLE = (ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED)
KG3 = Decimal("0.001")


@dataclass
class Terms:
    """What the treasurer enters, checked."""

    price: Decimal
    price_currency: str
    price_unit: str
    exchange_rate: Decimal
    rate_on: date
    costs_per_kg: Decimal
    currency: str


@dataclass
class Share:
    delivery_id: int
    ticket_number: str
    delivered_on: date
    product_form: str
    producer_id: int
    #: Delivered-form kg behind the shipment, to the gram (the exact weight is used to split).
    kg: Decimal
    amount: Decimal


@dataclass
class Preview:
    shipment: Shipment
    terms: Terms
    shipped_kg: Decimal
    price_per_kg: Decimal
    total: Decimal
    shares: list[Share] = field(default_factory=list)

    @property
    def traced_kg(self) -> Decimal:
        return sum((share.kg for share in self.shares), Decimal("0.000"))


#: Decimals each entry keeps (its column: Numeric(14, 4) prices, Numeric(16, 6) rates) and the
#: largest value accepted: far beyond any real price, and small enough that the arithmetic
#: stays instant and the total fits its column.
PLACES = {"price": 4, "costs_per_kg": 4, "exchange_rate": 6}
LARGEST = Decimal("1000000")


def _decimal(raw, name: str, errors: dict) -> Decimal | None:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError, AttributeError):
        errors[name] = [str(_l("Enter a number."))]
        return None
    if not value.is_finite():
        errors[name] = [str(_l("Enter a number."))]
        return None
    if abs(value) >= LARGEST:
        errors[name] = [str(_l("Must be less than 1,000,000."))]
        return None
    if value != value.quantize(Decimal(1).scaleb(-PLACES[name]), rounding=ROUND_HALF_UP):
        errors[name] = [str(_l("At most %(places)s decimals.", places=PLACES[name]))]
        return None
    return value


def clean_terms(data: dict) -> Terms:
    """The treasurer's entries, each checked; DomainError naming every field that fails."""
    errors: dict[str, list[str]] = {}
    known = set(list_currencies())
    price = _decimal(data.get("price"), "price", errors)
    if price is not None and price <= 0:
        errors["price"] = [str(_l("The price must be more than zero."))]
    rate = _decimal(data.get("exchange_rate", "1"), "exchange_rate", errors)
    if rate is not None and rate <= 0:
        errors["exchange_rate"] = [str(_l("The exchange rate must be more than zero."))]
    costs = _decimal(data.get("costs_per_kg") or "0", "costs_per_kg", errors)
    if costs is not None and costs < 0:
        errors["costs_per_kg"] = [str(_l("Costs cannot be negative."))]
    codes = {}
    for name, default in (("price_currency", "USD"), ("currency", "PEN")):
        code = str(data.get(name) or default).strip().upper()
        if code not in known:
            errors[name] = [str(_l("Unknown currency %(code)s.", code=code))]
        codes[name] = code
    unit = str(data.get("price_unit") or "lb").strip().lower()
    if unit not in rules.PRICE_UNITS:
        errors["price_unit"] = [str(_l("Price per lb or per kg."))]
    rate_on = data.get("rate_on")
    if isinstance(rate_on, str):
        try:
            rate_on = date.fromisoformat(rate_on.strip())
        except ValueError:
            rate_on = None
    if not isinstance(rate_on, date):
        errors["rate_on"] = [str(_l("Enter the date of the exchange rate (YYYY-MM-DD)."))]
    if "exchange_rate" not in errors and codes["price_currency"] == codes["currency"] and rate != 1:
        errors["exchange_rate"] = [str(_l("Same currency: the exchange rate is 1."))]
    if errors:
        raise DomainError(str(_l("Some fields need attention.")), errors)
    return Terms(price, codes["price_currency"], unit, rate, rate_on, costs, codes["currency"])


def shipment_of(session: Session, org_id: int, reference: str) -> Shipment:
    shipment = session.scalar(owned(Shipment, org_id).where(Shipment.reference == reference))
    if shipment is None:
        raise NotFound(str(_l("No shipment %(reference)s.", reference=reference)))
    return shipment


def preview(session: Session, org_id: int, reference: str, data: dict) -> Preview:
    """The settlement as it would be confirmed; writes nothing."""
    shipment = shipment_of(session, org_id, reference)
    if shipment.status not in SETTLEABLE:
        raise Conflict(
            str(
                _l(
                    "Shipment %(reference)s is %(status)s: only a shipped shipment is settled.",
                    reference=reference,
                    status=_l(shipment.status),
                )
            ),
            {"shipment": [str(_l("Not shipped yet."))]},
        )
    terms = clean_terms(data)
    by_lot = shipped_kg_by_lot(session, shipment.id)
    shipped = sum(by_lot.values(), Fraction(0))
    shipped_kg = Decimal(shipped.numerator) / Decimal(shipped.denominator)
    total = rules.settlement_total(
        shipped_kg, terms.price, terms.price_unit, terms.exchange_rate, terms.costs_per_kg
    )
    if total <= 0:
        raise DomainError(
            str(_l("The costs take the whole price: nothing is left to distribute.")),
            {"costs_per_kg": [str(_l("Costs exceed the price."))]},
        )
    weights = delivered_kg_behind(session, org_id, by_lot)
    if not weights:
        raise Conflict(
            str(_l("No delivery is traced into shipment %(reference)s.", reference=reference)),
            {"shipment": [str(_l("Nothing to distribute to."))]},
        )
    amounts = rules.largest_remainder(total, weights)
    deliveries = {
        row.id: row
        for row in session.scalars(owned(Delivery, org_id).where(Delivery.id.in_(list(weights))))
    }
    shares = [
        Share(
            delivery_id=delivery_id,
            ticket_number=deliveries[delivery_id].ticket_number,
            delivered_on=deliveries[delivery_id].delivered_on,
            product_form=deliveries[delivery_id].product_form,
            producer_id=deliveries[delivery_id].producer_id,
            kg=_grams(weights[delivery_id]),
            amount=amounts[delivery_id],
        )
        for delivery_id in sorted(weights)
    ]
    per_kg = rules.price_per_kg(terms.price, terms.price_unit)
    return Preview(
        shipment=shipment,
        terms=terms,
        shipped_kg=shipped_kg.quantize(KG3),
        price_per_kg=(Decimal(per_kg.numerator) / Decimal(per_kg.denominator)).quantize(
            Decimal("0.0001"), ROUND_HALF_UP
        ),
        total=total,
        shares=shares,
    )


def _grams(kg: Fraction) -> Decimal:
    return (Decimal(kg.numerator) / Decimal(kg.denominator)).quantize(KG3, ROUND_HALF_UP)


def live_settlement(session: Session, org_id: int, shipment_id: int) -> Settlement | None:
    return session.scalar(
        owned(Settlement, org_id).where(
            Settlement.shipment_id == shipment_id, Settlement.voided_at.is_(None)
        )
    )


def confirm(session: Session, org_id: int, user_id, reference: str, data: dict) -> Settlement:
    """Write the settlement previewed from `data`; one live settlement per shipment."""
    result = preview(session, org_id, reference, data)
    if live_settlement(session, org_id, result.shipment.id) is not None:
        raise Conflict(
            str(_l("Shipment %(reference)s is already settled.", reference=reference)),
            {"shipment": [str(_l("Already settled: void that settlement first."))]},
        )
    terms = result.terms
    settlement = Settlement(
        organization_id=org_id,
        shipment_id=result.shipment.id,
        price=terms.price,
        price_currency=terms.price_currency,
        price_unit=terms.price_unit,
        exchange_rate=terms.exchange_rate,
        rate_on=terms.rate_on,
        costs_per_kg=terms.costs_per_kg,
        currency=terms.currency,
        total=result.total,
        user_id=user_id,
    )
    session.add(settlement)
    session.flush()
    session.add_all(
        SettlementLine(
            settlement_id=settlement.id,
            delivery_id=share.delivery_id,
            producer_id=share.producer_id,
            kg=share.kg,
            amount=share.amount,
        )
        for share in result.shares
    )
    session.flush()
    append(
        session,
        org_id,
        "settlement.confirmed",
        ("settlement", settlement.id),
        {
            "shipment": reference,
            "bizTransactionList": [{"type": "inv", "bizTransaction": f"settlement:{reference}"}],
            "price": str(terms.price),
            "price_currency": terms.price_currency,
            "price_unit": terms.price_unit,
            "exchange_rate": str(terms.exchange_rate),
            "rate_on": terms.rate_on.isoformat(),
            "costs_per_kg": str(terms.costs_per_kg),
            "currency": terms.currency,
            "total": str(result.total),
            "shipped_kg": str(result.shipped_kg),
            "deliveries": len(result.shares),
            "lines_total": str(sum((share.amount for share in result.shares), Decimal("0.00"))),
        },
        event_type="TransactionEvent",
        user_id=user_id,
    )
    return settlement


def lines_of(session: Session, settlement: Settlement) -> list[SettlementLine]:
    return list(
        session.scalars(
            select(SettlementLine)
            .where(SettlementLine.settlement_id == settlement.id)
            .order_by(SettlementLine.delivery_id)
        )
    )


def get_settlement(session: Session, org_id: int, settlement_id: int, *, lock=False):
    query = owned(Settlement, org_id).where(Settlement.id == settlement_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    settlement = session.scalar(query)
    if settlement is None:
        raise NotFound(str(_l("No settlement %(id)s.", id=settlement_id)))
    return settlement


def void(session: Session, org_id: int, user_id, settlement_id: int, reason: str) -> Settlement:
    """Void a settlement not yet paid (its payments must be voided first)."""
    settlement = get_settlement(session, org_id, settlement_id, lock=True)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            str(_l("Say why.")), {"reason": [str(_l("Say why the settlement is voided."))]}
        )
    if settlement.voided_at is not None:
        raise Conflict(str(_l("This settlement is already voided.")))
    if paid_producers(session, settlement.id):
        raise Conflict(
            str(_l("Payments were made from this settlement: void them first.")),
            {"settlement": [str(_l("Already paid."))]},
        )
    settlement.voided_at = utcnow()
    settlement.void_reason = reason[:500]
    session.add(settlement)
    session.flush()
    append(
        session,
        org_id,
        "settlement.voided",
        ("settlement", settlement.id),
        {"reason": settlement.void_reason, "total": str(settlement.total)},
        event_type="TransactionEvent",
        action="DELETE",
        user_id=user_id,
    )
    return settlement


def settlements_of(session: Session, org_id: int, shipment_id: int) -> list[Settlement]:
    return list(
        session.scalars(
            select(Settlement)
            .where(in_organization(Settlement, org_id), Settlement.shipment_id == shipment_id)
            .order_by(Settlement.id.desc())
        )
    )


def paid_producers(session: Session, settlement_id: int) -> set[int]:
    """Producers already paid (by a live payment) their share of the settlement."""
    return set(
        session.scalars(
            select(Payment.producer_id)
            .join(PaymentAllocation, PaymentAllocation.payment_id == Payment.id)
            .where(
                PaymentAllocation.settlement_id == settlement_id,
                PaymentAllocation.kind == AllocationKind.SETTLEMENT,
                Payment.voided_at.is_(None),
            )
        )
    )
