"""Reading the audit trail as people do: filtered by what happened, when (days on the
cooperative's clock), to what and by whom, with each event's name in words, its author and a
link to what it is about."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.auth.models import User
from coopchain.clock import cooperative_zone
from coopchain.db import in_organization, owned
from coopchain.farms.models import Producer
from coopchain.ledger.models import LedgerEvent
from coopchain.lots.models import Bag, Lot

#: What each kind of event says, in words (an unknown kind shows as written).
EVENT_NAMES = {
    "agreement.created": _l("Agreement signed"),
    "agreement.status_changed": _l("Agreement status changed"),
    "agreement.visited": _l("Agreement visit recorded"),
    "api_token.created": _l("API token created"),
    "api_token.revoked": _l("API token revoked"),
    "bag.voided": _l("Bag voided"),
    "bags.created": _l("Bags filled"),
    "certificate.issued": _l("Certificate issued"),
    "certificate.revoked": _l("Certificate revoked"),
    "certifier.created": _l("Certifier added"),
    "certifier.updated": _l("Certifier changed"),
    "cupping.sample_added": _l("Cupping sample added"),
    "cupping.session_closed": _l("Cupping session closed"),
    "cupping.session_opened": _l("Cupping session opened"),
    "cupping.session_reopened": _l("Cupping session reopened"),
    "cupping.sheet_saved": _l("Cupping sheet saved"),
    "delivery.registered": _l("Delivery registered"),
    "delivery.voided": _l("Delivery voided"),
    "eudr.account_set": _l("EU Information System settings changed"),
    "eudr.dds_amended": _l("Due diligence statement amended"),
    "eudr.dds_status": _l("Due diligence statement status from the EU"),
    "eudr.dds_submitted": _l("Due diligence statement submitted"),
    "eudr.dds_withdrawn": _l("Due diligence statement withdrawn"),
    "forest.assessment_finished": _l("Forest assessment finished"),
    "forest.assessment_resumed": _l("Forest assessment resumed"),
    "forest.assessment_started": _l("Forest assessment started"),
    "forest.dataset_registered": _l("Forest dataset registered"),
    "forest.evidence_recorded": _l("Forest evidence recorded"),
    "forest.evidence_voided": _l("Forest evidence voided"),
    "invitation.accepted": _l("Invitation accepted"),
    "invitation.created": _l("Invitation sent"),
    "invitation.withdrawn": _l("Invitation withdrawn"),
    "lot.merge": _l("Lots merged"),
    "lot.process": _l("Lot processed"),
    "lot.sample": _l("Sample taken"),
    "lot.split": _l("Lot split"),
    "membership.created": _l("Member added"),
    "membership.removed": _l("Member removed"),
    "membership.role_changed": _l("Member's role changed"),
    "organization.created": _l("Organisation created"),
    "organization.gs1_location_set": _l("GLN and GS1 Company Prefix set"),
    "organization.gtin_set": _l("GTIN set"),
    "plot.created": _l("Plot registered"),
    "plot.legacy_geometry_loaded": _l("Plot outline loaded as recorded"),
    "plot.updated": _l("Plot changed"),
    "producer.created": _l("Producer registered"),
    "producer.updated": _l("Producer changed"),
    "quality.green_graded": _l("Green coffee graded"),
    "quality.pitahaya_graded": _l("Pitahaya graded"),
    "shipment.bags_added": _l("Bags added to shipment"),
    "shipment.bags_removed": _l("Bags removed from shipment"),
    "shipment.created": _l("Shipment created"),
    "shipment.updated": _l("Shipment changed"),
    "transformation.voided": _l("Transformation voided"),
    "user.password_changed": _l("Password changed"),
}
#: What an event is about, in words.
SUBJECT_NAMES = {
    "agreement": _l("Agreement"),
    "api_token": _l("API token"),
    "bag": _l("Bag"),
    "certificate": _l("Certificate"),
    "certifier": _l("Certifier"),
    "cupping_session": _l("Cupping session"),
    "eudr_account": _l("EU Information System"),
    "forest_assessment": _l("Forest assessment"),
    "forest_dataset": _l("Forest dataset"),
    "invitation": _l("Invitation"),
    "lot": _l("Lot"),
    "organization": _l("Organisation"),
    "plot": _l("Plot"),
    "producer": _l("Producer"),
    "shipment": _l("Shipment"),
    "transformation": _l("Transformation"),
    "user": _l("User"),
}


def event_name(kind: str) -> str:
    name = EVENT_NAMES.get(kind)
    return str(name) if name is not None else kind


def subject_name(subject_type: str) -> str:
    name = SUBJECT_NAMES.get(subject_type)
    return str(name) if name is not None else subject_type


@dataclass(frozen=True)
class EventFilter:
    kind: str | None = None
    #: Days on the cooperative's clock, both included.
    since: date | None = None
    until: date | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    user_id: int | None = None

    @property
    def active(self) -> bool:
        return any(value is not None for value in vars(self).values())


def _local_midnight(day: date) -> datetime:
    """The day's first moment on the cooperative's clock, in UTC: SQLite compares stored UTC
    text, so a bound in another zone would be read as if it were UTC."""
    return datetime.combine(day, time(0), tzinfo=cooperative_zone()).astimezone(UTC)


def filtered_events(
    session: Session, org_id: int, wanted: EventFilter, page: int, per_page: int
) -> tuple[list[LedgerEvent], int]:
    """One page of the organisation's events matching `wanted`, newest first, and the count."""
    query = owned(LedgerEvent, org_id)
    if wanted.kind:
        query = query.where(LedgerEvent.kind == wanted.kind)
    if wanted.since:
        query = query.where(LedgerEvent.event_time >= _local_midnight(wanted.since))
    if wanted.until:
        next_day = _local_midnight(wanted.until + timedelta(days=1))
        query = query.where(LedgerEvent.event_time < next_day)
    if wanted.subject_type:
        query = query.where(LedgerEvent.subject_type == wanted.subject_type)
    if wanted.subject_id:
        query = query.where(func.lower(LedgerEvent.subject_id) == wanted.subject_id.strip().lower())
    if wanted.user_id is not None:
        query = query.where(LedgerEvent.user_id == wanted.user_id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(
        query.order_by(LedgerEvent.seq.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    return list(items), total


def filter_choices(session: Session, org_id: int) -> dict:
    """The kinds, subject types and authors found in the organisation's ledger (the filters'
    options), each once."""
    kinds = session.scalars(
        select(LedgerEvent.kind).where(in_organization(LedgerEvent, org_id)).distinct()
    )
    types = session.scalars(
        select(LedgerEvent.subject_type).where(in_organization(LedgerEvent, org_id)).distinct()
    )
    authors = session.execute(
        select(User.id, User.name)
        .where(
            User.id.in_(
                select(LedgerEvent.user_id)
                .where(in_organization(LedgerEvent, org_id), LedgerEvent.user_id.is_not(None))
                .distinct()
            )
        )
        .order_by(User.name)
    )
    return {
        "kinds": sorted(((k, event_name(k)) for k in kinds), key=lambda pair: pair[1].lower()),
        "subject_types": sorted(((t, subject_name(t)) for t in types), key=lambda p: p[1]),
        "users": [(user_id, name) for user_id, name in authors],
    }


def authors_of(session: Session, events: list[LedgerEvent]) -> dict[int, str]:
    ids = {e.user_id for e in events if e.user_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def subject_keys(session: Session, org_id: int, events: list[LedgerEvent]) -> dict:
    """What the links need beyond the event: producers' ids by member code, bags' lot codes
    by serial ({(type, subject id): value}), read once for the page."""
    codes = {e.subject_id for e in events if e.subject_type == "producer"}
    serials = {e.subject_id for e in events if e.subject_type == "bag"}
    keys: dict[tuple[str, str], object] = {}
    if codes:
        for producer_id, code in session.execute(
            select(Producer.id, Producer.member_code).where(
                in_organization(Producer, org_id), Producer.member_code.in_(codes)
            )
        ):
            keys[("producer", code)] = producer_id
    if serials:
        for serial, lot_code in session.execute(
            select(Bag.serial, Lot.code)
            .join(Lot, Lot.id == Bag.lot_id)
            .where(in_organization(Bag, org_id), Bag.serial.in_(serials))
        ):
            keys[("bag", serial)] = lot_code
    return keys
