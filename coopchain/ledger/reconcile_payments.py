"""Payment rows against their ledger events: amount, producer, void status and the sum of the
lines each payment recorded (the reconciliation's payment side; ledger/reconcile.py runs it).
"""

from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.db import in_organization, owned
from coopchain.payments.models import Payment, PaymentAllocation

_CENT = Decimal("0.01")


def _money(value) -> str:
    return str(Decimal(str(value)).quantize(_CENT))


def _payment_recorded(replay, seq: int, data: dict, subject: str) -> None:
    lines = data.get("lines") or []
    replay.set(
        "payments",
        subject,
        seq,
        amount=_money(data["amount"]),
        currency=data.get("currency", "PEN"),
        producer_id=str(data["producer_id"]),
        allocations=_money(sum((Decimal(str(line["amount"])) for line in lines), Decimal(0))),
        voided="no",
    )


def _payment_voided(replay, seq: int, _data: dict, subject: str) -> None:
    replay.set("payments", subject, seq, voided="yes")


HANDLERS = {"payment.recorded": _payment_recorded, "payment.voided": _payment_voided}


def stored_payments(session: Session, organization_id: int) -> dict[str, dict]:
    """The payment fields the replay rebuilds, read from the tables."""
    sums = dict(
        session.execute(
            select(PaymentAllocation.payment_id, func.sum(PaymentAllocation.amount))
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .where(in_organization(Payment, organization_id))
            .group_by(PaymentAllocation.payment_id)
        ).all()
    )
    return {
        p.number: {
            "amount": _money(p.amount),
            "currency": p.currency,
            "producer_id": str(p.producer_id),
            "allocations": _money(sums.get(p.id) or 0),
            "voided": "no" if p.voided_at is None else "yes",
        }
        for p in session.scalars(owned(Payment, organization_id))
    }
