"""The intake form's lookups: the next ticket number to suggest, and the producer a clerk typed
(a member code, a datalist label "CODE — Name", or a full name as said at the counter)."""

from flask_babel import gettext as _
from sqlalchemy import select
from sqlmodel import Session

from coopchain.db import in_organization, owned
from coopchain.errors import DomainError
from coopchain.farms.models import Producer, ProducerStatus
from coopchain.farms.rules import certifier_key as folded
from coopchain.lots import rules
from coopchain.lots.models import Delivery

#: How far past a taken number the suggestion looks before giving up (the clerk types one).
_TRIES = 50
#: Names listed when several producers match what was typed.
_LISTED = 8


def suggest_ticket(session: Session, org_id: int) -> str:
    """The number after the organisation's latest ticket that is not taken yet; "1" for a
    first ticket, "" when the latest ticket ends in no number. Only a suggestion: the clerk
    may type the paper ticket's number, and the unique key still guards it."""
    last = session.scalar(
        select(Delivery.ticket_number)
        .where(in_organization(Delivery, org_id))
        .order_by(Delivery.id.desc())
        .limit(1)
    )
    if last is None:
        return "1"
    candidate = rules.next_ticket(last)
    for _attempt in range(_TRIES):
        if candidate is None:
            return ""
        taken = session.scalar(
            select(Delivery.id).where(
                in_organization(Delivery, org_id), Delivery.ticket_number == candidate
            )
        )
        if taken is None:
            return candidate
        candidate = rules.next_ticket(candidate)
    return ""


class ProducerNotFound(DomainError):
    def __init__(self, message: str):
        super().__init__(message, {"producer_code": [message]})


def resolve_producer(session: Session, org_id: int, typed: str | None) -> Producer | None:
    """The active producer the clerk meant, or None when nothing was typed.

    A member code (any case, any status) wins; then a datalist label "CODE — Name"; then the
    full name, accents, case and spacing aside ("rosa huaman" is Rosa Huamán); then the
    producers whose name holds every word typed. None or several: ProducerNotFound naming the
    field and, for several, who they are, so the clerk picks one."""
    text = " ".join((typed or "").split())
    if not text:
        return None
    code = text.split(" — ", 1)[0].strip()
    everyone = list(session.scalars(owned(Producer, org_id)))
    # By code, any status: the intake rules then say why an inactive member cannot deliver.
    by_code = [p for p in everyone if p.member_code.casefold() == code.casefold()]
    if by_code:
        return by_code[0]
    producers = [p for p in everyone if p.status == ProducerStatus.ACTIVE]
    wanted = folded(text)
    exact = [p for p in producers if folded(p.full_name) == wanted]
    words = wanted.split()
    matches = exact or [p for p in producers if all(w in folded(p.full_name) for w in words)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ProducerNotFound(
            _("No active producer has the member code or name “%(text)s”.", text=text)
        )
    matches.sort(key=lambda p: p.member_code)
    listed = ", ".join(f"{p.member_code} {p.full_name}" for p in matches[:_LISTED])
    if len(matches) > _LISTED:
        listed += " …"
    raise ProducerNotFound(
        _(
            "%(n)s producers match “%(text)s”: %(names)s. Type the member code.",
            n=len(matches),
            text=text,
            names=listed,
        )
    )
