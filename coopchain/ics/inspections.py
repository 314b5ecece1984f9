"""Internal inspections of members and the sanctions decided on them (DOMAIN.md §3: the grower
group's ICS inspects every member at least once a year and sanctions non-compliance), and the
yearly report the certifier asks for: which active members were inspected this year, which not.
"""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import extract
from sqlmodel import Session

from coopchain.clock import today
from coopchain.db import owned
from coopchain.errors import DomainError
from coopchain.farms.models import Producer, ProducerStatus
from coopchain.farms.producers import get_producer
from coopchain.ics.models import IcsInspection, InspectionResult, Sanction
from coopchain.ledger.services import append

MAX_TEXT = {"inspector": 200, "findings": 2000, "sanction_reason": 1000}
RESULTS = [r.value for r in InspectionResult]
SANCTIONS = [s.value for s in Sanction]


def _text(value) -> str:
    return str(value or "").strip()


def _date_error(value, *, required: bool) -> str | None:
    if value is None:
        return str(_l("Required.")) if required else None
    if not isinstance(value, date):
        return str(_l("Not a valid date."))
    return None


def clean_inspection(data: dict) -> tuple[dict, dict]:
    """(cleaned values, {field: [messages]}) of an inspection form or API body."""
    errors: dict[str, list[str]] = {}
    cleaned = {name: _text(data.get(name)) or None for name in MAX_TEXT}
    for name, limit in MAX_TEXT.items():
        if cleaned[name] and len(cleaned[name]) > limit:
            errors[name] = [str(_l("At most %(n)s characters.", n=limit))]
    if not cleaned["inspector"]:
        errors["inspector"] = [str(_l("Required."))]
    cleaned["result"] = _text(data.get("result"))
    if cleaned["result"] not in RESULTS:
        errors["result"] = [str(_l("One of: %(values)s.", values=", ".join(RESULTS)))]
    cleaned["sanction"] = _text(data.get("sanction")) or Sanction.NONE.value
    if cleaned["sanction"] not in SANCTIONS:
        errors["sanction"] = [str(_l("One of: %(values)s.", values=", ".join(SANCTIONS)))]
    elif cleaned["sanction"] != Sanction.NONE and not cleaned["sanction_reason"]:
        errors["sanction_reason"] = [str(_l("Say why the sanction was decided."))]
    for name, required in (("inspected_on", True), ("sanction_until", False)):
        cleaned[name] = data.get(name) or None
        problem = _date_error(cleaned[name], required=required)
        if problem:
            errors[name] = [problem]
    on, until = cleaned["inspected_on"], cleaned["sanction_until"]
    if "inspected_on" not in errors and on > today():
        errors["inspected_on"] = [str(_l("A date that is not in the future."))]
    if until and "sanction_until" not in errors:
        if cleaned["sanction"] != Sanction.SUSPENSION:
            errors["sanction_until"] = [str(_l("Only a suspension has an end date."))]
        elif "inspected_on" not in errors and until < on:
            errors["sanction_until"] = [str(_l("On or after the inspection date."))]
    return cleaned, errors


def record_inspection(
    session: Session, org_id: int, user_id: int | None, producer_id: int, data: dict
) -> IcsInspection:
    """Record an inspection of the member `producer_id`; every bad field is named at once and
    nothing is written."""
    producer = get_producer(session, org_id, producer_id)
    cleaned, errors = clean_inspection(data)
    if errors:
        raise DomainError(str(_l("Some fields need attention.")), errors)
    row = IcsInspection(organization_id=org_id, producer_id=producer.id, user_id=user_id, **cleaned)
    session.add(row)
    session.flush()
    append(
        session,
        org_id,
        "producer.inspected",
        ("producer", producer.member_code),
        {
            "inspection_id": row.id,
            "inspected_on": row.inspected_on.isoformat(),
            "inspector": row.inspector,
            "result": row.result,
            "sanction": row.sanction,
            "sanction_reason": row.sanction_reason,
            "sanction_until": row.sanction_until.isoformat() if row.sanction_until else None,
        },
        action="OBSERVE",
        user_id=user_id,
    )
    return row


def inspections_of(session: Session, org_id: int, producer_id: int) -> list[IcsInspection]:
    """The member's live inspections, newest first."""
    return list(
        session.scalars(
            owned(IcsInspection, org_id)
            .where(IcsInspection.producer_id == producer_id, IcsInspection.voided_at.is_(None))
            .order_by(IcsInspection.inspected_on.desc(), IcsInspection.id.desc())
        )
    )


@dataclass
class MemberLine:
    producer_id: int
    member_code: str
    name: str
    status: str
    inspections: int = 0
    last_inspected_on: date | None = None
    last_inspector: str | None = None
    last_result: str | None = None
    #: The year's sanctions, latest first: [{"sanction", "reason", "until", "inspected_on"}].
    sanctions: list[dict] = field(default_factory=list)

    @property
    def inspected(self) -> bool:
        return self.inspections > 0


@dataclass
class InspectionReport:
    year: int
    members: list[MemberLine]

    @property
    def inspected(self) -> list[MemberLine]:
        return [m for m in self.members if m.inspected]

    @property
    def not_inspected(self) -> list[MemberLine]:
        return [m for m in self.members if not m.inspected]

    @property
    def sanctioned(self) -> list[MemberLine]:
        return [m for m in self.members if m.sanctions]


def inspection_report(session: Session, org_id: int, year: int) -> InspectionReport:
    """Every active member, and any other member inspected in `year`, with the year's
    inspections: the certifier's list of who was inspected and who not."""
    if not 2000 <= year <= 2100:
        message = str(_l("A year between 2000 and 2100."))
        raise DomainError(message, {"year": [message]})
    rows = session.scalars(
        owned(IcsInspection, org_id)
        .where(
            IcsInspection.voided_at.is_(None),
            extract("year", IcsInspection.inspected_on) == year,
        )
        .order_by(IcsInspection.inspected_on, IcsInspection.id)
    ).all()
    seen = {row.producer_id for row in rows}
    producers = session.scalars(owned(Producer, org_id).order_by(Producer.member_code)).all()
    lines = {
        p.id: MemberLine(p.id, p.member_code, p.full_name, p.status)
        for p in producers
        if p.status == ProducerStatus.ACTIVE or p.id in seen
    }
    for row in rows:
        line = lines[row.producer_id]
        line.inspections += 1
        line.last_inspected_on, line.last_inspector = row.inspected_on, row.inspector
        line.last_result = row.result
        if row.sanction != Sanction.NONE:
            line.sanctions.insert(
                0,
                {
                    "sanction": row.sanction,
                    "reason": row.sanction_reason,
                    "until": row.sanction_until,
                    "inspected_on": row.inspected_on,
                },
            )
    return InspectionReport(year=year, members=list(lines.values()))
