"""Paying a confirmed settlement: one payment per producer, its lines the producer's shares
(kind "settlement"), made through core.record_payment; nobody is paid their share twice."""

from collections import defaultdict
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from coopchain.errors import Conflict
from coopchain.payments.core import Line, record_payment
from coopchain.payments.models import AllocationKind, Payment
from coopchain.payments.settlement import get_settlement, lines_of, paid_producers


def pay_settlement(
    session: Session,
    org_id: int,
    user_id,
    settlement_id: int,
    *,
    method: str,
    paid_on: date,
    reference: str | None = None,
) -> list[Payment]:
    """Pay every producer of the settlement not yet paid. The settlement row is locked first
    (PostgreSQL; SQLite serialises writers), so two treasurers paying at once cannot both see
    a producer unpaid."""
    settlement = get_settlement(session, org_id, settlement_id, lock=True)
    if settlement.voided_at is not None:
        raise Conflict(str(_l("This settlement is voided.")))
    already = paid_producers(session, settlement.id)
    by_producer = defaultdict(list)
    for line in lines_of(session, settlement):
        if line.producer_id not in already and line.amount > 0:
            by_producer[line.producer_id].append(line)
    if not by_producer:
        raise Conflict(
            str(_l("Every producer of this settlement has been paid.")),
            {"settlement": [str(_l("Already paid."))]},
        )
    payments = []
    for producer_id in sorted(by_producer):
        payments.append(
            record_payment(
                session,
                org_id,
                user_id,
                producer_id=producer_id,
                lines=[
                    Line(
                        kind=AllocationKind.SETTLEMENT.value,
                        amount=line.amount,
                        delivery_id=line.delivery_id,
                        settlement_id=settlement.id,
                    )
                    for line in by_producer[producer_id]
                ],
                method=method,
                paid_on=paid_on,
                currency=settlement.currency,
                reference=reference,
                notes=str(_l("Settlement %(id)s", id=settlement.id)),
            )
        )
    return payments
