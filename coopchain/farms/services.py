"""The farm registry's rules: producers, agreements, visits and plots.

Every function takes the session and the organisation id, scopes every query by it, records a
ledger event for each write, flushes and never commits (DESIGN.md §3).
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlmodel import Session

from coopchain.clock import today, utcnow
from coopchain.errors import Conflict, DomainError, InvalidGeometry, NotFound
from coopchain.farms import rules
from coopchain.farms.geometry import GeometryIssue, validate_plot_geometry
from coopchain.farms.models import (
    Agreement,
    AgreementKind,
    AgreementProducer,
    AgreementStatusChange,
    AgreementVisit,
    Plot,
    Producer,
)
from coopchain.ledger.services import append, changes

PRODUCER_FIELDS = (
    "member_code",
    "first_name",
    "last_name",
    "national_id",
    "sex",
    "community",
    "sector",
    "phone",
    "joined_on",
    "public_name_consent",
    "status",
)
PLOT_FIELDS = (
    "name",
    "crop",
    "declared_area_ha",
    "altitude_m",
    "varieties",
    "shade_agroforestry",
    "planting_year",
    "organic_conversion_start",
    "organic_certifier",
    "organic_certificate_number",
    "organic_certificate_valid_until",
    "expected_yield_kg_ha",
)
#: Never written to the ledger in clear: the ledger is exported to auditors.
PRIVATE_FIELDS = {"national_id", "phone"}


def _snapshot(row, field_names) -> dict:
    return {
        name: ("(private)" if name in PRIVATE_FIELDS and getattr(row, name) else getattr(row, name))
        for name in field_names
    }


def _masked_changes(before: dict, after: dict) -> dict:
    """changes() on the real values, so a new phone number is recorded as changed, unread."""
    return {
        name: {"before": "(private)", "after": "(private)"} if name in PRIVATE_FIELDS else change
        for name, change in changes(before, after).items()
    }


def like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# --- producers ----------------------------------------------------------------------------


def get_producer(session: Session, org_id: int, producer_id: int) -> Producer:
    producer = session.scalar(
        select(Producer).where(Producer.id == producer_id, Producer.organization_id == org_id)
    )
    if producer is None:
        raise NotFound(str(_l("No such producer.")))
    return producer


def producer_by_code(session: Session, org_id: int, member_code: str) -> Producer | None:
    return session.scalar(
        select(Producer).where(
            Producer.organization_id == org_id, Producer.member_code == member_code
        )
    )


def search_producers(
    session: Session, org_id: int, q: str | None, page: int, per_page: int
) -> tuple[list[Producer], int]:
    query = select(Producer).where(Producer.organization_id == org_id)
    if q:
        pattern = like_pattern(q.strip())
        query = query.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (
                        Producer.member_code,
                        Producer.first_name,
                        Producer.last_name,
                        Producer.community,
                        Producer.first_name + " " + Producer.last_name,
                    )
                )
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(
        query.order_by(Producer.member_code).offset((page - 1) * per_page).limit(per_page)
    )
    return list(items), total


def create_producer(session: Session, org_id: int, user_id: int | None, data: dict) -> Producer:
    if producer_by_code(session, org_id, data["member_code"]):
        raise Conflict(
            str(_l("Member code %(code)s is already used.", code=data["member_code"])),
            {"member_code": [str(_l("Already used by another producer."))]},
        )
    producer = Producer(organization_id=org_id, **{k: data.get(k) for k in PRODUCER_FIELDS})
    session.add(producer)
    session.flush()
    append(
        session,
        org_id,
        "producer.created",
        ("producer", producer.member_code),
        _snapshot(producer, PRODUCER_FIELDS),
        user_id=user_id,
    )
    return producer


def update_producer(
    session: Session, org_id: int, user_id: int | None, producer_id: int, data: dict
) -> Producer:
    producer = get_producer(session, org_id, producer_id)
    if data["member_code"] != producer.member_code and producer_by_code(
        session, org_id, data["member_code"]
    ):
        raise Conflict(
            str(_l("Member code %(code)s is already used.", code=data["member_code"])),
            {"member_code": [str(_l("Already used by another producer."))]},
        )
    before = {name: getattr(producer, name) for name in PRODUCER_FIELDS}
    for name in PRODUCER_FIELDS:
        setattr(producer, name, data.get(name))
    producer.updated_at = utcnow()
    session.add(producer)
    session.flush()
    diff = _masked_changes(before, {name: getattr(producer, name) for name in PRODUCER_FIELDS})
    if diff:
        append(
            session,
            org_id,
            "producer.updated",
            ("producer", producer.member_code),
            diff,
            action="OBSERVE",
            user_id=user_id,
        )
    return producer


# --- agreements and visits ------------------------------------------------------------------


def get_agreement(session: Session, org_id: int, agreement_id: int) -> Agreement:
    agreement = session.scalar(
        select(Agreement).where(Agreement.id == agreement_id, Agreement.organization_id == org_id)
    )
    if agreement is None:
        raise NotFound(str(_l("No such agreement.")))
    return agreement


def list_agreements(session: Session, org_id: int, page: int, per_page: int):
    query = select(Agreement).where(Agreement.organization_id == org_id)
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
                Producer.organization_id == org_id, Producer.id.in_(producer_ids)
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
            Agreement.organization_id == org_id, Agreement.number == data["number"]
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
    history: dict[int, list[tuple[date, str]]] = {a.id: [] for a in agreements}
    if agreements:
        for change in session.scalars(
            select(AgreementStatusChange)
            .where(AgreementStatusChange.agreement_id.in_(list(history)))
            .order_by(AgreementStatusChange.effective_on, AgreementStatusChange.id)
        ):
            history[change.agreement_id].append((change.effective_on, change.status))
    return {
        a.id: rules.agreement_active_on(
            signed_on=a.signed_on, valid_until=a.valid_until, history=history[a.id], on=on
        )
        for a in agreements
    }


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
            .where(
                Agreement.organization_id == org_id, AgreementProducer.producer_id == producer_id
            )
            .order_by(Agreement.signed_on.desc())
        )
    )


def visits_of(session: Session, org_id: int, agreement_ids: Sequence[int]):
    result: dict[int, list[AgreementVisit]] = {aid: [] for aid in agreement_ids}
    for visit in session.scalars(
        select(AgreementVisit)
        .where(
            AgreementVisit.organization_id == org_id,
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


# --- plots ------------------------------------------------------------------------------------


def get_plot(session: Session, org_id: int, plot_id: int) -> Plot:
    plot = session.scalar(select(Plot).where(Plot.id == plot_id, Plot.organization_id == org_id))
    if plot is None:
        raise NotFound(str(_l("No such plot.")))
    return plot


def plots_of_producers(session: Session, org_id: int, producer_ids: Sequence[int]) -> list[Plot]:
    return list(
        session.scalars(
            select(Plot)
            .where(Plot.organization_id == org_id, Plot.producer_id.in_(producer_ids))
            .order_by(Plot.producer_id, Plot.name)
        )
    )


def list_plots(session: Session, org_id: int, page: int, per_page: int):
    query = select(Plot).where(Plot.organization_id == org_id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(query.order_by(Plot.id).offset((page - 1) * per_page).limit(per_page))
    return list(items), total


def check_plot_geometry(data: dict) -> tuple[dict | None, Decimal | None, list[dict]]:
    """Validate the geometry (DOMAIN.md §2); raise InvalidGeometry on errors.

    Returns the geometry, its computed area and the warnings to keep on the plot.
    """
    if data.get("geometry") is None:
        missing = GeometryIssue("geometry.missing", {}).to_dict()
        return None, None, [{**missing, "severity": "warning"}]
    report = validate_plot_geometry(
        data["geometry"], crop=data["crop"], declared_area_ha=data.get("declared_area_ha")
    )
    if not report.ok:
        messages = [issue.message for issue in report.errors]
        raise InvalidGeometry(
            str(_l("The geometry is not valid: %(reasons)s", reasons="; ".join(messages))),
            {"geometry": messages},
        )
    warnings = [{**issue.to_dict(), "severity": "warning"} for issue in report.warnings]
    return report.geometry, report.computed_area_ha, warnings


def create_plot(session: Session, org_id: int, user_id: int | None, data: dict) -> Plot:
    producer = get_producer(session, org_id, data["producer_id"])
    geometry, computed_area, warnings = check_plot_geometry(data)
    plot = Plot(
        organization_id=org_id,
        producer_id=producer.id,
        geometry=geometry,
        computed_area_ha=computed_area,
        geometry_issues=warnings,
        **{k: data.get(k) for k in PLOT_FIELDS},
    )
    session.add(plot)
    session.flush()
    append(
        session,
        org_id,
        "plot.created",
        ("plot", plot.id),
        {
            "producer": producer.member_code,
            "geometry": geometry,
            "computed_area_ha": computed_area,
            **_snapshot(plot, PLOT_FIELDS),
        },
        user_id=user_id,
    )
    return plot


def update_plot(
    session: Session, org_id: int, user_id: int | None, plot_id: int, data: dict
) -> Plot:
    plot = get_plot(session, org_id, plot_id)
    producer = get_producer(session, org_id, data["producer_id"])
    geometry, computed_area, warnings = check_plot_geometry(data)
    before = {
        **_snapshot(plot, PLOT_FIELDS),
        "producer_id": plot.producer_id,
        "geometry": plot.geometry,
    }
    for name in PLOT_FIELDS:
        setattr(plot, name, data.get(name))
    plot.producer_id = producer.id
    plot.geometry, plot.computed_area_ha, plot.geometry_issues = geometry, computed_area, warnings
    plot.updated_at = utcnow()
    session.add(plot)
    session.flush()
    after = {
        **_snapshot(plot, PLOT_FIELDS),
        "producer_id": plot.producer_id,
        "geometry": plot.geometry,
    }
    diff = changes(before, after)
    if diff:
        append(
            session,
            org_id,
            "plot.updated",
            ("plot", plot.id),
            diff,
            action="OBSERVE",
            user_id=user_id,
        )
    return plot


def expected_yield(plot: Plot, defaults: dict[str, Decimal]) -> Decimal | None:
    """kg/ha/yr for mass balance: the plot's own figure, else the crop default (a setting)."""
    if plot.expected_yield_kg_ha is not None:
        return plot.expected_yield_kg_ha
    return defaults.get(plot.crop)


def plot_organic_status(plot: Plot, on: date | None = None) -> rules.OrganicStatus:
    return rules.organic_status(plot.organic_conversion_start, on or today())


# --- dashboard ----------------------------------------------------------------------------------


def plots_needing_attention(session: Session, org_id: int) -> list[tuple[Plot, Producer]]:
    """Plots with geometry problems or no geolocation, with their producer, by member code."""
    rows = session.execute(
        select(Plot, Producer)
        .join(Producer, Producer.id == Plot.producer_id)
        .where(Plot.organization_id == org_id)
        .order_by(Producer.member_code, Plot.name)
    )
    return [(plot, producer) for plot, producer in rows if plot.geometry_issues]


def dashboard_counts(session: Session, org_id: int) -> dict:
    producers = session.scalar(
        select(func.count()).select_from(Producer).where(Producer.organization_id == org_id)
    )
    plots = list(session.scalars(select(Plot).where(Plot.organization_id == org_id)))
    agreements = list(session.scalars(select(Agreement).where(Agreement.organization_id == org_id)))
    active = sum(agreements_in_force(session, agreements, today()).values())
    return {
        "producers": producers,
        "plots": len(plots),
        "hectares": sum((p.area_ha or Decimal(0) for p in plots), Decimal(0)),
        "active_agreements": active,
        "plots_needing_attention": sum(1 for p in plots if p.geometry_issues),
    }
