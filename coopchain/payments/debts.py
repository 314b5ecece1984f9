"""Loans and input credit to members, and the instalments recovered from their payments.

A debt is recorded with its schedule (instalments summing exactly to the principal, none due
before the debt was granted). A payment recovers what is due by its date and not yet
recovered, never more than the payment holds: what does not fit stays owed for the next one.
Debts are voided with a reason, never edited or deleted.
"""

from collections import defaultdict
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.clock import utcnow
from coopchain.db import owned
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.farms.models import Producer
from coopchain.ledger import services as ledger
from coopchain.payments.amounts import (
    currency_field,
    date_field,
    decimal_field,
    text_field,
)
from coopchain.payments.models import (
    AllocationKind,
    DebtKind,
    Payment,
    PaymentAllocation,
    ProducerDebt,
)
from coopchain.payments.rules import CENT

KINDS = tuple(kind.value for kind in DebtKind)


def debt_dict(debt: ProducerDebt, recovered: Decimal | None = None) -> dict:
    body = {
        "id": debt.id,
        "producer_id": debt.producer_id,
        "kind": debt.kind,
        "principal": str(debt.principal),
        "currency": debt.currency,
        "granted_on": debt.granted_on.isoformat(),
        "description": debt.description,
        "schedule": debt.schedule,
        "voided_at": debt.voided_at.isoformat() if debt.voided_at else None,
        "void_reason": debt.void_reason,
    }
    if recovered is not None:
        body["recovered"] = str(recovered)
        body["owed"] = str(debt.principal - recovered) if not debt.voided_at else "0.00"
    return body


def _schedule(data: dict, granted_on, principal, errors: dict) -> list[dict]:
    rows = data.get("schedule") or []
    if not isinstance(rows, list) or not rows:
        errors["schedule"] = [str(_l("Add at least one instalment."))]
        return []
    schedule, total = [], Decimal("0")
    for index, row in enumerate(rows):
        row_errors: dict = {}
        due_on = date_field(row if isinstance(row, dict) else {}, "due_on", row_errors)
        amount = decimal_field(row if isinstance(row, dict) else {}, "amount", row_errors)
        if amount is not None and amount != amount.quantize(CENT):
            row_errors["amount"] = [str(_l("Amounts are to the cent."))]
        if due_on and granted_on and due_on < granted_on:
            row_errors["due_on"] = [str(_l("An instalment cannot fall due before the debt."))]
        if row_errors:
            errors[f"schedule.{index}"] = [f"{k}: {' '.join(v)}" for k, v in row_errors.items()]
            continue
        total += amount
        schedule.append({"due_on": due_on.isoformat(), "amount": str(amount)})
    if principal is not None and schedule and len(schedule) == len(rows) and total != principal:
        errors["schedule"] = [
            str(_l("The instalments add up to %(total)s, not the principal.", total=total))
        ]
    return sorted(schedule, key=lambda row: row["due_on"])


def record_debt(
    session: Session, org_id: int, user_id: int | None, producer_id: int, data: dict
) -> ProducerDebt:
    """Validate and record a loan or input credit; nothing is written when a field is wrong."""
    producer = session.scalar(owned(Producer, org_id).where(Producer.id == producer_id))
    if producer is None:
        raise NotFound(str(_l("No such producer.")))
    errors: dict = {}
    kind = str(data.get("kind") or "").strip()
    if kind not in KINDS:
        errors["kind"] = [str(_l("Choose one of: %(kinds)s.", kinds=", ".join(KINDS)))]
    principal = decimal_field(data, "principal", errors)
    if principal is not None and principal != principal.quantize(CENT):
        errors["principal"] = [str(_l("Amounts are to the cent."))]
        principal = None
    currency = currency_field(data, "currency", errors)
    granted_on = date_field(data, "granted_on", errors)
    description = text_field(data, "description", errors, max_length=300)
    schedule = _schedule(data, granted_on, principal, errors)
    if errors:
        raise DomainError(str(_l("The debt was not recorded.")), errors)
    debt = ProducerDebt(
        organization_id=org_id,
        producer_id=producer.id,
        kind=kind,
        principal=principal,
        currency=currency,
        granted_on=granted_on,
        description=description,
        schedule=schedule,
        user_id=user_id,
    )
    session.add(debt)
    session.flush()
    ledger.append(
        session,
        org_id,
        "debt.recorded",
        ("producer_debt", debt.id),
        debt_dict(debt),
        user_id=user_id,
    )
    return debt


def void_debt(session: Session, org_id: int, user_id, debt_id: int, reason: str) -> ProducerDebt:
    debt = session.scalar(owned(ProducerDebt, org_id).where(ProducerDebt.id == debt_id))
    if debt is None:
        raise NotFound(str(_l("No such debt.")))
    if not (reason or "").strip():
        raise DomainError(str(_l("Say why.")), {"reason": [str(_l("This field is required."))]})
    if debt.voided_at is not None:
        raise Conflict(str(_l("This debt has already been voided.")))
    debt.voided_at, debt.void_reason = utcnow(), reason.strip()[:500]
    session.flush()
    ledger.append(
        session,
        org_id,
        "debt.voided",
        ("producer_debt", debt.id),
        {"reason": debt.void_reason},
        action="DELETE",
        user_id=user_id,
    )
    return debt


def recovered_by_debt(session: Session, debt_ids: list[int]) -> dict[int, Decimal]:
    """What live (not voided) payments have recovered of each debt, as a positive amount."""
    if not debt_ids:
        return {}
    rows = session.execute(
        select(PaymentAllocation.debt_id, func.sum(PaymentAllocation.amount))
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(
            PaymentAllocation.debt_id.in_(debt_ids),
            PaymentAllocation.kind == AllocationKind.DEDUCTION,
            Payment.voided_at.is_(None),
        )
        .group_by(PaymentAllocation.debt_id)
    )
    return {debt_id: -Decimal(total) for debt_id, total in rows}


def debts_of(session: Session, org_id: int, producer_id: int) -> list[tuple[ProducerDebt, Decimal]]:
    """The producer's debts, newest first, each with what has been recovered of it."""
    debts = list(
        session.scalars(
            owned(ProducerDebt, org_id)
            .where(ProducerDebt.producer_id == producer_id)
            .order_by(ProducerDebt.granted_on.desc(), ProducerDebt.id.desc())
        )
    )
    recovered = recovered_by_debt(session, [d.id for d in debts])
    return [(d, recovered.get(d.id, Decimal("0.00"))) for d in debts]


def due_deductions(
    session: Session,
    org_id: int,
    producer_id: int,
    paid_on,
    available: Decimal,
    currency: str = "PEN",
) -> list[tuple[ProducerDebt, Decimal]]:
    """[(debt, amount to recover)] from a payment of `available` on `paid_on`: the instalments
    due by then not yet recovered, oldest debt first, capped so the payment never goes
    negative (the rest stays owed)."""
    return due_deductions_many(session, org_id, {producer_id: available}, paid_on, currency).get(
        producer_id, []
    )


def due_deductions_many(
    session: Session, org_id: int, available: dict[int, Decimal], paid_on, currency: str = "PEN"
) -> dict[int, list[tuple[ProducerDebt, Decimal]]]:
    """due_deductions for many producers at once ({producer id: available}): one query each
    for the debts and what was recovered, whatever the size of the run."""
    debts = list(
        session.scalars(
            owned(ProducerDebt, org_id)
            .where(
                ProducerDebt.producer_id.in_(list(available)),
                ProducerDebt.voided_at.is_(None),
                ProducerDebt.currency == currency,
                ProducerDebt.granted_on <= paid_on,
            )
            .order_by(ProducerDebt.granted_on, ProducerDebt.id)
        )
    )
    recovered = recovered_by_debt(session, [d.id for d in debts])
    left = dict(available)
    found: dict[int, list] = defaultdict(list)
    for debt in debts:
        due = sum(
            (
                Decimal(row["amount"])
                for row in debt.schedule
                if row["due_on"] <= paid_on.isoformat()
            ),
            Decimal("0"),
        )
        owed_now = due - recovered.get(debt.id, Decimal("0"))
        take = min(owed_now, max(left[debt.producer_id], Decimal("0")))
        if take > 0:
            found[debt.producer_id].append((debt, take))
            left[debt.producer_id] -= take
    return dict(found)
