"""Recording and voiding payments: the one place that writes Payment rows (DOMAIN.md §11).

Every other part (advances at intake, payment runs, settlements, statements) calls
`record_payment`, so the rules hold everywhere: the amount is the sum of its lines and above
zero, a delivery is never paid beyond its value (except an advance on account), the money has
a known currency, a transfer has a well-formed CCI, and every write is a ledger event.
"""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.auth.models import Organization
from coopchain.clock import utcnow
from coopchain.db import in_organization, owned
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.ledger.services import append
from coopchain.lots.models import Delivery
from coopchain.lots.services import reserve_numbers
from coopchain.payments.models import AllocationKind, Payment, PaymentAllocation, PaymentMethod
from coopchain.payments.rules import (  # noqa: F401 (KG_PER_UNIT, cents, price_per_kg re-exported)
    KG_PER_UNIT,
    KNOWN_CURRENCIES,
    cci_digits,
    cents,
    price_per_kg,
)

#: The kinds that pay a delivery's own value, so they reduce what is still owed on it.
VALUE_KINDS = (AllocationKind.ADVANCE.value, AllocationKind.BALANCE.value)
#: The CBV has no business-transaction type for a payment; this URN names ours.
PAYMENT_BTT = "urn:coopchain:btt:payment"


@dataclass(frozen=True)
class Line:
    """One PaymentAllocation to write."""

    kind: str
    #: > 0 paid, < 0 for kind "deduction".
    amount: Decimal
    delivery_id: int | None = None
    premium_rule_id: int | None = None
    debt_id: int | None = None
    settlement_id: int | None = None
    description: str | None = None


def delivery_value(delivery) -> Decimal | None:
    """net kg × price, to the cent (ROUND_HALF_UP); None when the delivery has no price.

    The price as entered is used when there is one, so 46 kg at S/ 600 per qq is exactly
    S/ 600.00 rather than 46 × 13.04."""
    if delivery.price_entered is not None:
        per_unit = KG_PER_UNIT.get(delivery.price_unit or "kg", Decimal("1"))
        return cents(Decimal(delivery.net_kg) * Decimal(delivery.price_entered) / per_unit)
    if delivery.price_per_kg is None:
        return None
    return cents(Decimal(delivery.net_kg) * Decimal(delivery.price_per_kg))


def _paid(session: Session, org_id: int, delivery_ids: list[int]) -> dict[int, Decimal]:
    """Σ live advance + balance allocations per delivery."""
    paid: dict[int, Decimal] = {}
    for start in range(0, len(delivery_ids), 900):  # SQLite's bound-parameter limit
        rows = session.execute(
            select(PaymentAllocation.delivery_id, func.sum(PaymentAllocation.amount))
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .where(
                in_organization(Payment, org_id),
                Payment.voided_at.is_(None),
                PaymentAllocation.kind.in_(VALUE_KINDS),
                PaymentAllocation.delivery_id.in_(delivery_ids[start : start + 900]),
            )
            .group_by(PaymentAllocation.delivery_id)
        )
        paid.update({delivery_id: Decimal(total or 0) for delivery_id, total in rows})
    return paid


def outstanding(session: Session, org_id: int, delivery_ids: Iterable[int]) -> dict[int, Decimal]:
    """value − Σ live advance + balance allocations per delivery; never below zero. Deliveries
    of another organisation, voided or without a price are left out."""
    ids = list(dict.fromkeys(delivery_ids))
    deliveries = _deliveries(session, org_id, ids)
    paid = _paid(session, org_id, ids)
    result = {}
    for delivery in deliveries:
        value = delivery_value(delivery)
        if value is None or delivery.voided_at is not None:
            continue
        result[delivery.id] = max(value - paid.get(delivery.id, Decimal("0")), Decimal("0.00"))
    return result


def _deliveries(session: Session, org_id: int, ids: list[int], lock=False) -> list[Delivery]:
    found = []
    for start in range(0, len(ids), 900):
        query = owned(Delivery, org_id).where(Delivery.id.in_(ids[start : start + 900]))
        if lock:
            # Two payments of the same delivery wait for each other here (PostgreSQL;
            # SQLite serialises writers), so the outstanding amount is read after the
            # other one's allocations are committed and can never be paid twice.
            query = query.order_by(Delivery.id).with_for_update()
        found.extend(session.scalars(query))
    return found


def valid_cci(text) -> str:
    """The 20-digit CCI (bank 3, branch 3, account 12, check 2) with spaces and dashes removed.

    Only the structure is validated: the check-digit algorithm is not verified against a
    published description (DOMAIN.md §11), and guessing it would refuse real accounts."""
    digits = cci_digits(text)
    if digits is None:
        message = str(_l("A CCI has 20 digits (bank 3, branch 3, account 12, check 2)."))
        raise DomainError(message, {"cci": [message]})
    return digits


def _refuse(field: str, message) -> DomainError:
    return DomainError(str(_l("The payment was not recorded.")), {field: [str(message)]})


def _check_header(method, currency, paid_on) -> None:
    if method not in {m.value for m in PaymentMethod}:
        raise _refuse("method", _l("Choose cash, bank transfer, Yape or Plin."))
    if not isinstance(currency, str) or currency.upper() not in KNOWN_CURRENCIES:
        raise _refuse("currency", _l("Not a known currency code (ISO 4217), e.g. PEN or USD."))
    if not isinstance(paid_on, date):
        raise _refuse("paid_on", _l("A date is needed."))


def _check_lines(lines: list[Line]) -> Decimal:
    if not lines:
        raise _refuse("amount", _l("A payment needs an amount greater than zero."))
    kinds = {k.value for k in AllocationKind}
    for line in lines:
        if line.kind not in kinds:
            raise _refuse("kind", _l("Not a kind of payment line."))
        amount = Decimal(line.amount)
        if amount != cents(amount):
            raise _refuse("amount", _l("Amounts are exact to the cent."))
        if line.kind == AllocationKind.DEDUCTION.value and amount >= 0:
            raise _refuse("amount", _l("A deduction is a negative amount."))
        if line.kind != AllocationKind.DEDUCTION.value and amount <= 0:
            raise _refuse("amount", _l("The amount must be greater than zero."))
        if line.kind in VALUE_KINDS and line.delivery_id is None:
            raise _refuse("delivery_id", _l("An advance or balance pays one delivery."))
    total = sum((Decimal(line.amount) for line in lines), Decimal("0"))
    offset = total == 0 and any(line.kind == AllocationKind.DEDUCTION.value for line in lines)
    # A total of zero is an offset: what was owed exactly pays a deduction (a debt instalment),
    # with nothing left to hand over. Anything else must pay something.
    if total < 0 or (total == 0 and not offset):
        raise _refuse("amount", _l("The amount must be greater than zero."))
    return cents(total)


def _check_deliveries(session, org_id, producer_id, lines, on_account) -> None:
    ids = sorted({line.delivery_id for line in lines if line.delivery_id is not None})
    if not ids:
        return
    deliveries = {d.id: d for d in _deliveries(session, org_id, ids, lock=True)}
    for delivery_id in ids:
        delivery = deliveries.get(delivery_id)
        if delivery is None or delivery.producer_id != producer_id:
            raise _refuse("delivery_id", _l("Not a delivery of this producer."))
        if delivery.voided_at is not None:
            raise _refuse("delivery_id", _l("This delivery is voided."))
    owed = outstanding(session, org_id, ids)
    asked: dict[int, Decimal] = {}
    for line in lines:
        if line.kind in VALUE_KINDS:
            asked[line.delivery_id] = asked.get(line.delivery_id, Decimal("0")) + line.amount
    for delivery_id, amount in asked.items():
        advance_only = all(
            line.kind == AllocationKind.ADVANCE.value
            for line in lines
            if line.delivery_id == delivery_id and line.kind in VALUE_KINDS
        )
        if on_account and advance_only:
            continue
        available = owed.get(delivery_id, Decimal("0.00"))
        if amount > available:
            raise _refuse(
                "amount",
                _l("More than the %(owed)s still owed on this delivery.", owed=f"{available:.2f}"),
            )


def _producer(session, org_id, producer_id):
    from coopchain.farms.models import Producer

    producer = session.scalar(owned(Producer, org_id).where(Producer.id == producer_id))
    if producer is None:
        raise _refuse("producer_id", _l("No such producer."))
    return producer


def record_payment(
    session: Session,
    org_id: int,
    user_id: int | None,
    *,
    producer_id: int,
    lines: list[Line],
    method: str,
    paid_on: date,
    currency: str = "PEN",
    cci: str | None = None,
    reference: str | None = None,
    notes: str | None = None,
    run_id: int | None = None,
    on_account: bool = False,
) -> Payment:
    """Check, number and write one payment with its lines and its ledger event. Flushes, never
    commits; raises DomainError naming the field and writes nothing when a rule is broken."""
    _check_header(method, currency, paid_on)
    amount = _check_lines(lines)
    producer = _producer(session, org_id, producer_id)
    if method == PaymentMethod.BANK_TRANSFER.value:
        given = cci if cci not in (None, "") else producer.cci
        if not given:
            raise _refuse("cci", _l("A bank transfer needs the producer's CCI."))
        cci = valid_cci(given)
    elif cci not in (None, ""):
        cci = valid_cci(cci)
    else:
        cci = None
    _check_deliveries(session, org_id, producer_id, lines, on_account)
    year = paid_on.year
    org_code = session.scalar(select(Organization.code).where(Organization.id == org_id))
    seq = reserve_numbers(session, org_id, f"PAY-{year}")
    payment = Payment(
        organization_id=org_id,
        number=f"PAY-{org_code}-{year}-{seq:06d}",
        producer_id=producer_id,
        run_id=run_id,
        amount=amount,
        currency=currency.upper(),
        method=method,
        cci=cci,
        reference=(reference or None),
        paid_on=paid_on,
        receipt_token=secrets.token_urlsafe(16),
        notes=(notes or None),
        user_id=user_id,
    )
    session.add(payment)
    session.flush()
    session.add_all(
        PaymentAllocation(
            payment_id=payment.id,
            delivery_id=line.delivery_id,
            kind=line.kind,
            amount=cents(line.amount),
            premium_rule_id=line.premium_rule_id,
            debt_id=line.debt_id,
            settlement_id=line.settlement_id,
            description=line.description,
        )
        for line in lines
    )
    session.flush()
    append(
        session,
        org_id,
        "payment.recorded",
        ("payment", payment.number),
        payment_event_data(payment, lines),
        event_type="TransactionEvent",
        action="ADD",
        user_id=user_id,
    )
    return payment


def payment_event_data(payment: Payment, lines) -> dict:
    """What the ledger keeps of a payment (and reconciliation compares with the rows)."""
    return {
        "bizTransactionList": [{"type": PAYMENT_BTT, "bizTransaction": payment.number}],
        "number": payment.number,
        "producer_id": payment.producer_id,
        "amount": f"{cents(payment.amount):.2f}",
        "currency": payment.currency,
        "method": payment.method,
        "paid_on": payment.paid_on,
        "run_id": payment.run_id,
        "lines": [
            {
                "kind": line.kind,
                "amount": f"{cents(line.amount):.2f}",
                "delivery_id": line.delivery_id,
                "premium_rule_id": line.premium_rule_id,
                "debt_id": line.debt_id,
                "settlement_id": line.settlement_id,
            }
            for line in lines
        ],
    }


def get_payment(session: Session, org_id: int, number: str, lock=False) -> Payment:
    # A number no payment can have (too long, control characters: PostgreSQL refuses a NUL in
    # a text parameter) is simply not found, without asking the database.
    if not number or len(number) > 40 or not number.isprintable():
        raise NotFound(
            str(_l("No payment %(number)s.", number=number[:40].encode("unicode_escape").decode()))
        )
    query = owned(Payment, org_id).where(Payment.number == number)
    if lock:
        query = query.with_for_update()
    payment = session.scalar(query)
    if payment is None:
        raise NotFound(str(_l("No payment %(number)s.", number=number)))
    return payment


def void_payment(session: Session, org_id: int, user_id, number: str, reason: str) -> Payment:
    """Void a payment with a reason; what it paid is owed again. Voiding twice → Conflict."""
    reason = (reason or "").strip()
    if not reason:
        message = str(_l("Say why the payment is voided."))
        raise DomainError(message, {"reason": [message]})
    payment = get_payment(session, org_id, number, lock=True)
    if payment.voided_at is not None:
        raise Conflict(str(_l("Payment %(number)s is already voided.", number=number)))
    payment.voided_at, payment.void_reason = utcnow(), reason[:500]
    session.flush()
    append(
        session,
        org_id,
        "payment.voided",
        ("payment", payment.number),
        {
            "bizTransactionList": [{"type": PAYMENT_BTT, "bizTransaction": payment.number}],
            "number": payment.number,
            "reason": payment.void_reason,
        },
        event_type="TransactionEvent",
        action="DELETE",
        user_id=user_id,
    )
    return payment


def allocations_of(session: Session, payment: Payment) -> list[PaymentAllocation]:
    return list(
        session.scalars(
            select(PaymentAllocation)
            .where(PaymentAllocation.payment_id == payment.id)
            .order_by(PaymentAllocation.id)
        )
    )
