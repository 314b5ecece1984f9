"""Reading payments: the filtered list, one payment with its lines, a receipt by its token."""

from datetime import date

from sqlalchemy import exists, func, select
from sqlmodel import Session

from coopchain.db import in_organization, owned
from coopchain.farms.models import Producer
from coopchain.lots.models import Delivery
from coopchain.payments.models import Payment, PaymentAllocation


def list_payments(
    session: Session,
    org_id: int,
    *,
    producer_id: int | None = None,
    delivery_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    page: int = 1,
    per_page: int = 25,
) -> tuple[list[tuple[Payment, Producer]], int]:
    """Payments newest first with their producer; filters combine."""
    conditions = [in_organization(Payment, org_id)]
    if producer_id is not None:
        conditions.append(Payment.producer_id == producer_id)
    if delivery_id is not None:
        conditions.append(
            exists().where(
                PaymentAllocation.payment_id == Payment.id,
                PaymentAllocation.delivery_id == delivery_id,
            )
        )
    if date_from is not None:
        conditions.append(Payment.paid_on >= date_from)
    if date_to is not None:
        conditions.append(Payment.paid_on <= date_to)
    total = session.scalar(select(func.count()).select_from(Payment).where(*conditions))
    rows = session.execute(
        select(Payment, Producer)
        .join(Producer, Producer.id == Payment.producer_id)
        .where(*conditions)
        .order_by(Payment.paid_on.desc(), Payment.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return [(payment, producer) for payment, producer in rows], total


def lines_of(session: Session, payment: Payment) -> list[dict]:
    """The payment's lines as plain values, with each delivery's ticket number."""
    rows = session.execute(
        select(PaymentAllocation, Delivery.ticket_number, Delivery.net_kg, Delivery.delivered_on)
        .outerjoin(Delivery, Delivery.id == PaymentAllocation.delivery_id)
        .where(PaymentAllocation.payment_id == payment.id)
        .order_by(PaymentAllocation.id)
    ).all()
    return [
        {
            "kind": line.kind,
            "amount": line.amount,
            "delivery_id": line.delivery_id,
            "ticket_number": ticket,
            "net_kg": net_kg,
            "delivered_on": delivered_on,
            "premium_rule_id": line.premium_rule_id,
            "debt_id": line.debt_id,
            "settlement_id": line.settlement_id,
            "description": line.description,
        }
        for line, ticket, net_kg, delivered_on in rows
    ]


def producer_of(session: Session, payment: Payment) -> Producer:
    return session.scalar(
        owned(Producer, payment.organization_id).where(Producer.id == payment.producer_id)
    )


def payment_by_token(session: Session, token: str) -> Payment | None:
    """The payment a receipt's QR names (any organisation: the token is the secret)."""
    if not token or len(token) > 32 or not token.isprintable():
        return None
    return session.scalar(select(Payment).where(Payment.receipt_token == token))


def advances_of(session: Session, org_id: int, delivery_ids: list[int]) -> dict[int, str]:
    """The number of the first live advance paid on each delivery (those that have one)."""
    found: dict[int, str] = {}
    for start in range(0, len(delivery_ids), 900):  # SQLite's bound-parameter limit
        rows = session.execute(
            select(PaymentAllocation.delivery_id, Payment.number)
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .where(
                in_organization(Payment, org_id),
                Payment.voided_at.is_(None),
                PaymentAllocation.kind == "advance",
                PaymentAllocation.delivery_id.in_(delivery_ids[start : start + 900]),
            )
            .order_by(Payment.id)
        )
        for delivery_id, number in rows:
            found.setdefault(delivery_id, number)
    return found
