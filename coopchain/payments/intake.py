"""The advance paid at intake, with the delivery's ticket, in the same transaction."""

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from coopchain.auth.access import PAY
from coopchain.auth.models import Role
from coopchain.errors import DomainError
from coopchain.payments.core import Line, record_payment
from coopchain.payments.models import AllocationKind, Payment

#: The intake fields of an advance, and the payment field each stands for.
ADVANCE_FIELDS = {
    "advance_amount": "amount",
    "advance_method": "method",
    "advance_cci": "cci",
    "advance_reference": "reference",
}


_INTAKE_FIELD = {payment: intake for intake, payment in ADVANCE_FIELDS.items()}


def may_pay_advance(role, settings) -> bool:
    """Admins and treasurers always may pay an advance at intake; staff when the
    ADVANCE_AT_INTAKE setting allows."""
    return role in PAY or (role == Role.STAFF and settings.advance_at_intake)


def wants_advance(data: dict) -> bool:
    return data.get("advance_amount") is not None


def record_intake_advance(
    session: Session, org_id: int, user_id: int | None, delivery, data: dict, *, allowed: bool
) -> Payment | None:
    """Pay the advance the ticket asks for (none when it asks for none).

    `allowed`: whether the caller may (admins and treasurers; staff when the
    ADVANCE_AT_INTAKE setting says so). Errors name the intake's own fields (advance_amount…),
    so the form shows them beside the boxes the clerk typed in."""
    if not wants_advance(data):
        return None
    if not allowed:
        message = str(_l("Your role may not pay advances at intake."))
        raise DomainError(message, {"advance_amount": [message]})
    method = data.get("advance_method") or "cash"
    try:
        return record_payment(
            session,
            org_id,
            user_id,
            producer_id=delivery.producer_id,
            lines=[
                Line(
                    kind=AllocationKind.ADVANCE.value,
                    amount=data["advance_amount"],
                    delivery_id=delivery.id,
                    description=str(
                        _l("Advance at intake, ticket %(t)s", t=delivery.ticket_number)
                    ),
                )
            ],
            method=method,
            paid_on=delivery.delivered_on,
            cci=data.get("advance_cci"),
            reference=data.get("advance_reference"),
        )
    except DomainError as exc:
        renamed: dict[str, list] = {}
        for name, messages in exc.fields.items():
            field = _INTAKE_FIELD.get(name, "advance_amount")
            renamed.setdefault(field, []).extend(messages)
        raise DomainError(exc.message, renamed) from exc
