"""The farm registry's rules for conservation agreements, their status history and visits.

Every function takes the session and the organisation id, scopes every query by it, records a
ledger event for each write, flushes and never commits (DESIGN.md §3).
"""

from collections.abc import Sequence
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.clock import today
from coopchain.db import among, in_organization, owned
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.farms import rules
from coopchain.farms.models import (
    Agreement,
    AgreementKind,
    AgreementProducer,
    AgreementStatusChange,
    AgreementVisit,
    Producer,
)
from coopchain.ledger.services import append, changes


def get_agreement(session: Session, org_id: int, agreement_id: int) -> Agreement:
    agreement = session.scalar(
        select(Agreement).where(Agreement.id == agreement_id, in_organization(Agreement, org_id))
    )
    if agreement is None:
        raise NotFound(str(_l("No such agreement.")))
    return agreement


def list_agreements(session: Session, org_id: int, page: int, per_page: int):
    query = owned(Agreement, org_id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(
        query.order_by(Agreement.number).offset((page - 1) * per_page).limit(per_page)
    )
    return list(items), total


def _check_agreement(session: Session, org_id: int, data: dict) -> list[int]:
    if data["valid_until"] < data["signed_on"]:
        raise DomainError(
            str(_l("The agreement ends before it was signed.")),
            {"valid_until": [str(_l("Must be on or after the signing date."))]},
        )
    if data.get("status", "active") != "active" and not data.get("status_reason"):
        raise DomainError(
            str(_l("Say why the agreement is suspended or ended.")),
            {"status_reason": [str(_l("Required when the agreement is not active."))]},
        )
    producer_ids = list(dict.fromkeys(data["producer_ids"]))
    if not producer_ids:
        raise DomainError(
            str(_l("An agreement must cover at least one producer.")),
            {"producer_ids": [str(_l("Name at least one producer."))]},
        )
    found = set(
        session.scalars(
            select(Producer.id).where(
                in_organization(Producer, org_id), Producer.id.in_(producer_ids)
            )
        )
    )
    missing = [pid for pid in producer_ids if pid not in found]
    if missing:
        raise DomainError(
            str(_l("Unknown producer(s): %(ids)s.", ids=", ".join(map(str, missing)))),
            {"producer_ids": [str(_l("Unknown producer."))]},
        )
    if data.get("kind") == AgreementKind.INDIVIDUAL and len(producer_ids) != 1:
        raise DomainError(
            str(_l("An individual agreement covers exactly one producer.")),
            {"producer_ids": [str(_l("Choose one producer, or make it collective."))]},
        )
    return producer_ids


def create_agreement(session: Session, org_id: int, user_id: int | None, data: dict) -> Agreement:
    producer_ids = _check_agreement(session, org_id, data)
    if session.scalar(
        select(Agreement.id).where(
            in_organization(Agreement, org_id), Agreement.number == data["number"]
        )
    ):
        raise Conflict(
            str(_l("Agreement %(number)s exists.", number=data["number"])),
            {"number": [str(_l("Already used by another agreement."))]},
        )
    fields = {k: v for k, v in data.items() if k != "producer_ids"}
    if fields.get("status", "active") != "active":
        fields["status_since"] = _status_date(fields["signed_on"], fields.get("status_since"))
    agreement = Agreement(organization_id=org_id, **fields)
    session.add(agreement)
    session.flush()
    session.add_all(
        AgreementProducer(agreement_id=agreement.id, producer_id=pid) for pid in producer_ids
    )
    if agreement.status != "active":
        _record_status(session, agreement, user_id)
    session.flush()
    append(
        session,
        org_id,
        "agreement.created",
        ("agreement", agreement.number),
        {**fields, "producer_ids": producer_ids},
        user_id=user_id,
    )
    return agreement


def set_agreement_status(
    session: Session,
    org_id: int,
    user_id: int | None,
    agreement_id: int,
    status: str,
    reason: str | None,
    since: date | None,
) -> Agreement:
    agreement = get_agreement(session, org_id, agreement_id)
    if status != "active" and not reason:
        raise DomainError(
            str(_l("Say why the agreement is suspended or ended.")),
            {"status_reason": [str(_l("Required when the agreement is not active."))]},
        )
    before = {
        "status": agreement.status,
        "status_reason": agreement.status_reason,
        "status_since": agreement.status_since,
    }
    agreement.status, agreement.status_reason = status, reason
    agreement.status_since = _status_date(agreement.signed_on, since)
    session.add(agreement)
    _record_status(session, agreement, user_id)
    session.flush()
    append(
        session,
        org_id,
        "agreement.status_changed",
        ("agreement", agreement.number),
        changes(
            before,
            {"status": status, "status_reason": reason, "status_since": agreement.status_since},
        ),
        action="OBSERVE",
        user_id=user_id,
    )
    return agreement


def _status_date(signed_on: date, since: date | None) -> date:
    since = since or today()
    if since < signed_on:
        raise DomainError(
            str(_l("A status cannot start before the agreement was signed.")),
            {"status_since": [str(_l("Must be on or after %(date)s.", date=signed_on))]},
        )
    return since


def _record_status(session: Session, agreement: Agreement, user_id: int | None) -> None:
    session.add(
        AgreementStatusChange(
            organization_id=agreement.organization_id,
            agreement_id=agreement.id,
            status=agreement.status,
            reason=agreement.status_reason,
            effective_on=agreement.status_since,
            user_id=user_id,
        )
    )


def agreements_in_force(
    session: Session, agreements: Sequence[Agreement], on: date
) -> dict[int, bool]:
    """{agreement id: in force on `on`?} from each agreement's status history (one query)."""
    history = status_histories(session, [a.id for a in agreements])
    return {
        a.id: rules.agreement_active_on(
            signed_on=a.signed_on, valid_until=a.valid_until, history=history[a.id], on=on
        )
        for a in agreements
    }


def status_histories(
    session: Session, agreement_ids: Sequence[int]
) -> dict[int, list[tuple[date, str]]]:
    """{agreement id: [(effective on, status), …] in order}, in one query: what
    rules.agreement_active_on needs to judge an agreement on any day."""
    history: dict[int, list[tuple[date, str]]] = {each: [] for each in agreement_ids}
    if history:
        for change in session.execute(
            select(
                AgreementStatusChange.agreement_id,
                AgreementStatusChange.effective_on,
                AgreementStatusChange.status,
            )
            .where(among(session, AgreementStatusChange.agreement_id, history))
            .order_by(AgreementStatusChange.effective_on, AgreementStatusChange.id)
        ):
            history[change.agreement_id].append((change.effective_on, change.status))
    return history


def agreement_producer_ids(session: Session, agreement_ids: Sequence[int]) -> dict[int, list[int]]:
    result: dict[int, list[int]] = {aid: [] for aid in agreement_ids}
    for link in session.scalars(
        select(AgreementProducer).where(AgreementProducer.agreement_id.in_(agreement_ids))
    ):
        result[link.agreement_id].append(link.producer_id)
    return result


def agreements_of_producer(session: Session, org_id: int, producer_id: int) -> list[Agreement]:
    return list(
        session.scalars(
            select(Agreement)
            .join(AgreementProducer, AgreementProducer.agreement_id == Agreement.id)
            .where(in_organization(Agreement, org_id), AgreementProducer.producer_id == producer_id)
            .order_by(Agreement.signed_on.desc())
        )
    )


def visits_of(session: Session, org_id: int, agreement_ids: Sequence[int]):
    result: dict[int, list[AgreementVisit]] = {aid: [] for aid in agreement_ids}
    for visit in session.scalars(
        owned(AgreementVisit, org_id)
        .where(
            AgreementVisit.agreement_id.in_(agreement_ids),
        )
        .order_by(AgreementVisit.visited_on.desc())
    ):
        result[visit.agreement_id].append(visit)
    return result


def add_visit(
    session: Session, org_id: int, user_id: int | None, agreement_id: int, data: dict
) -> AgreementVisit:
    agreement = get_agreement(session, org_id, agreement_id)
    if data["visited_on"] < agreement.signed_on:
        raise DomainError(
            str(_l("The visit is dated before the agreement was signed.")),
            {"visited_on": [str(_l("Must be on or after %(date)s.", date=agreement.signed_on))]},
        )
    visit = AgreementVisit(organization_id=org_id, agreement_id=agreement.id, **data)
    session.add(visit)
    session.flush()
    append(
        session,
        org_id,
        "agreement.visited",
        ("agreement", agreement.number),
        {"visit_id": visit.id, **data},
        action="OBSERVE",
        user_id=user_id,
    )
    return visit


def producer_under_active_agreement(
    session: Session, org_id: int, producer_id: int, on: date
) -> bool:
    """Was this producer covered by an active conservation agreement on `on`? (DOMAIN.md §1)"""
    agreements = agreements_of_producer(session, org_id, producer_id)
    return any(agreements_in_force(session, agreements, on).values())
