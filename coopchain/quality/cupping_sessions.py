"""Cupping sessions: open, add samples, save sheets, close, reopen (DESIGN.md §3 services).

Scoped by organisation, one ledger event per write, flush and never commit. The server computes
every total and final score from the entered values (quality.rules); the browser's live total is
a convenience only. A closed session refuses every change until it is reopened with a reason.
"""

import secrets
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.auth.models import Membership, Role, User
from coopchain.clock import today, utcnow
from coopchain.db import in_organization, owned
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.ledger.services import append
from coopchain.lots.models import Lot, ProductForm
from coopchain.lots.services import get_lot, reserve_numbers
from coopchain.lots.transformations import take_sample
from coopchain.quality import rules
from coopchain.quality.models import (
    Cupper,
    CuppingSample,
    CuppingSession,
    CuppingSheet,
    SessionStatus,
)

#: What a cupping lab can roast and cup: green coffee, or dry parchment it hulls itself.
CUPPABLE_FORMS = (ProductForm.GREEN, ProductForm.DRY_PARCHMENT)
MAX_CUPPERS = 12
MAX_SAMPLES = 30
MAX_DESCRIPTORS = 20


def _refuse(fields: dict) -> DomainError:
    return DomainError(str(_l("Some fields need attention.")), fields)


# --- lookups ----------------------------------------------------------------------------------


def get_session(session: Session, org_id: int, number: str, *, lock: bool = False):
    query = owned(CuppingSession, org_id).where(CuppingSession.number == number)
    if lock:
        # Serialises writes to one session (a sheet saved while another user closes it).
        query = query.with_for_update().execution_options(populate_existing=True)
    found = session.scalar(query)
    if found is None:
        raise NotFound(str(_l("No cupping session %(number)s.", number=number)))
    return found


def list_sessions(session: Session, org_id: int, *, status=None, page=1, per_page=25):
    query = owned(CuppingSession, org_id)
    if status:
        query = query.where(CuppingSession.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(
        query.order_by(CuppingSession.held_on.desc(), CuppingSession.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(items), total


def sample_counts(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(CuppingSample.session_id, func.count())
        .where(CuppingSample.session_id.in_(ids))
        .group_by(CuppingSample.session_id)
    )
    return {session_id: n for session_id, n in rows}


def cuppers_of(session: Session, cs: CuppingSession) -> list[Cupper]:
    return list(
        session.scalars(select(Cupper).where(Cupper.session_id == cs.id).order_by(Cupper.id))
    )


def samples_of(session: Session, cs: CuppingSession) -> list[tuple[CuppingSample, Lot]]:
    rows = session.execute(
        select(CuppingSample, Lot)
        .join(Lot, Lot.id == CuppingSample.lot_id)
        .where(CuppingSample.session_id == cs.id)
        .order_by(CuppingSample.id)
    )
    return [(sample, lot) for sample, lot in rows]


def sheets_of(session: Session, cs: CuppingSession) -> list[CuppingSheet]:
    return list(
        session.scalars(
            select(CuppingSheet)
            .where(CuppingSheet.session_id == cs.id)
            .order_by(CuppingSheet.sample_id, CuppingSheet.cupper_id)
        )
    )


def panel_candidates(session: Session, org_id: int) -> list[User]:
    """Members who may sit on a panel: the quality lab and administrators."""
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                in_organization(Membership, org_id),
                Membership.role.in_([Role.QUALITY, Role.ADMIN]),
                User.is_active.is_(True),
            )
            .order_by(User.name)
        )
    )


# --- writes -----------------------------------------------------------------------------------


def open_session(session: Session, org_id: int, user_id: int | None, data: dict):
    """data: held_on, protocol, cupper_user_ids (members), guest_cuppers (names), notes,
    lot_codes (optional: samples to take straight away)."""
    errors = {}
    if data.get("protocol") not in set(rules.Protocol):
        errors["protocol"] = [str(_l("Choose SCA 2004 or CVA 2024."))]
    if not isinstance(data.get("held_on"), date):
        errors["held_on"] = [str(_l("Required."))]
    members = {u.id: u for u in panel_candidates(session, org_id)}
    user_ids = list(dict.fromkeys(data.get("cupper_user_ids") or []))
    if any(uid not in members for uid in user_ids):
        errors["cupper_user_ids"] = [str(_l("Only the quality lab and administrators cup."))]
    chosen = [members[uid] for uid in user_ids if uid in members]
    shared = {
        u.name.casefold()
        for u in chosen
        if [c.name.casefold() for c in chosen].count(u.name.casefold()) > 1
    }
    # Two members may share a display name; the panel needs each cupper told apart.
    names = [f"{u.name} ({u.email})" if u.name.casefold() in shared else u.name for u in chosen]
    guests = [n.strip() for n in data.get("guest_cuppers") or [] if n and n.strip()]
    panel = list(zip(names, [u.id for u in chosen], strict=True)) + [
        (name, None) for name in guests
    ]
    if len({name.casefold() for name, _u in panel}) != len(panel):
        errors["guest_cuppers"] = [str(_l("Each cupper once."))]
    if not panel:
        errors["cupper_user_ids"] = [str(_l("At least one cupper."))]
    elif len(panel) > MAX_CUPPERS:
        errors["guest_cuppers"] = [str(_l("At most %(n)s cuppers.", n=MAX_CUPPERS))]
    if any(len(name) > 120 for name, _u in panel):
        errors["guest_cuppers"] = [str(_l("A name has at most 120 characters."))]
    if errors:
        raise _refuse(errors)

    year = data["held_on"].year
    number = f"CUP-{year}-{reserve_numbers(session, org_id, f'cupping:{year}'):04d}"
    cs = CuppingSession(
        organization_id=org_id,
        number=number,
        held_on=data["held_on"],
        protocol=data["protocol"],
        notes=(data.get("notes") or "").strip() or None,
        user_id=user_id,
    )
    session.add(cs)
    session.flush()
    for name, uid in panel:
        session.add(Cupper(session_id=cs.id, name=name, user_id=uid))
    session.flush()
    append(
        session,
        org_id,
        "cupping.session_opened",
        ("cupping_session", cs.number),
        {"heldOn": cs.held_on, "protocol": cs.protocol, "cuppers": [n for n, _u in panel]},
        user_id=user_id,
    )
    for code in data.get("lot_codes") or []:
        add_sample(session, org_id, user_id, cs, code)
    return cs


def _require_open(cs: CuppingSession) -> None:
    if not cs.is_open:
        raise Conflict(
            str(
                _l(
                    "Session %(number)s is closed; reopen it with a reason to change it.",
                    number=cs.number,
                )
            )
        )


def _blind_code(taken: set[str]) -> str:
    # Three digits, as printed on cupping bowls; random so the order of samples says nothing.
    while True:
        code = str(secrets.randbelow(900) + 100)
        if code not in taken:
            return code


def add_sample(
    session: Session, org_id: int, user_id, cs: CuppingSession, lot_code: str, sample_kg=None
) -> CuppingSample:
    """Take a sample from the lot (a `sample` transformation of the configured weight) and put
    it on the table under a blind code."""
    cs = get_session(session, org_id, cs.number, lock=True)
    _require_open(cs)
    lot = get_lot(session, org_id, (lot_code or "").strip())
    if lot.crop != "coffee" or lot.product_form not in CUPPABLE_FORMS:
        raise _refuse({"lot_code": [str(_l("Only green coffee or dry parchment is cupped."))]})
    present = samples_of(session, cs)
    if any(existing.lot_id == lot.id for existing, _lot in present):
        raise _refuse(
            {"lot_code": [str(_l("Lot %(code)s is already in this session.", code=lot.code))]}
        )
    if len(present) >= MAX_SAMPLES:
        raise _refuse({"lot_code": [str(_l("At most %(n)s samples.", n=MAX_SAMPLES))]})
    # The lab takes the sample before it cups: on the session's day, or today if planned ahead.
    taken = take_sample(
        session,
        org_id,
        user_id,
        lot.code,
        sample_kg,
        min(cs.held_on, today()),
        notes=str(_l("Cupping session %(number)s", number=cs.number)),
    )
    sample = CuppingSample(
        session_id=cs.id,
        lot_id=lot.id,
        blind_code=_blind_code({s.blind_code for s, _lot in present}),
        transformation_id=taken.id,
    )
    session.add(sample)
    session.flush()
    append(
        session,
        org_id,
        "cupping.sample_added",
        ("cupping_session", cs.number),
        {"lot": lot.code, "blindCode": sample.blind_code, "transformation": taken.id},
        user_id=user_id,
    )
    return sample


def clean_descriptors(raw) -> list[str]:
    if isinstance(raw, str):
        raw = raw.replace(";", ",").split(",")
    tags = list(dict.fromkeys(t.strip().lower() for t in raw or [] if t and str(t).strip()))
    if len(tags) > MAX_DESCRIPTORS or any(len(t) > 40 for t in tags):
        raise _refuse({"descriptors": [str(_l("At most 20 descriptors of 40 characters."))]})
    return tags


def save_sheet(session: Session, org_id: int, user_id, cs: CuppingSession, data: dict):
    """data: sample_id, cupper_id, scores (field → value), descriptors, notes. A cupper's
    second save for the same sample replaces their sheet while the session is open."""
    cs = get_session(session, org_id, cs.number, lock=True)
    _require_open(cs)
    sample = session.get(CuppingSample, data.get("sample_id") or 0)
    if sample is None or sample.session_id != cs.id:
        raise _refuse({"sample_id": [str(_l("Not a sample of this session."))]})
    cupper = session.get(Cupper, data.get("cupper_id") or 0)
    if cupper is None or cupper.session_id != cs.id:
        raise _refuse({"cupper_id": [str(_l("Not a cupper of this session."))]})
    scores = data.get("scores") or {}
    cleaned = rules.clean_sheet(cs.protocol, scores)
    result = rules.score_sheet(cs.protocol, cleaned)
    descriptors = clean_descriptors(data.get("descriptors"))
    notes = (data.get("notes") or "").strip() or None
    if notes and len(notes) > 1000:
        raise _refuse({"notes": [str(_l("At most 1000 characters."))]})
    stored = {name: str(value) for name, value in cleaned.items()}
    sheet = session.scalar(
        select(CuppingSheet).where(
            CuppingSheet.sample_id == sample.id, CuppingSheet.cupper_id == cupper.id
        )
    )
    if sheet is None:
        sheet = CuppingSheet(
            session_id=cs.id,
            sample_id=sample.id,
            cupper_id=cupper.id,
            scores={},
            total=0,
            defects=0,
            final_score=0,
        )
        session.add(sheet)
    sheet.scores, sheet.descriptors, sheet.notes = stored, descriptors, notes
    sheet.total, sheet.defects, sheet.final_score = result.total, result.defects, result.final
    sheet.updated_at, sheet.user_id = utcnow(), user_id
    session.flush()
    append(
        session,
        org_id,
        "cupping.sheet_saved",
        ("cupping_session", cs.number),
        {
            "blindCode": sample.blind_code,
            "cupper": cupper.name,
            "scores": stored,
            "descriptors": descriptors,
            "final": result.final,
        },
        action="OBSERVE",
        user_id=user_id,
    )
    return sheet


@dataclass
class SampleResults:
    sample: CuppingSample
    lot: Lot
    sheets: list
    #: None while no cupper has scored the sample.
    panel: rules.PanelResult | None


def session_results(session: Session, cs: CuppingSession) -> list[SampleResults]:
    """Per sample: its sheets and the panel result (mean, spread, band, each cupper's
    deviation from the mean, keyed by cupper id)."""
    sheets = sheets_of(session, cs)
    results = []
    for sample, lot in samples_of(session, cs):
        mine = [s for s in sheets if s.sample_id == sample.id]
        finals = {s.cupper_id: s.final_score for s in mine}
        panel = rules.panel_result(finals) if finals else None
        results.append(SampleResults(sample, lot, mine, panel))
    return results


def close_session(session: Session, org_id: int, user_id, cs: CuppingSession):
    cs = get_session(session, org_id, cs.number, lock=True)
    _require_open(cs)
    results = session_results(session, cs)
    if not results:
        raise Conflict(str(_l("Add at least one sample before closing.")))
    unscored = [r.sample.blind_code for r in results if r.panel is None]
    if unscored:
        raise Conflict(str(_l("No sheet yet for samples %(codes)s.", codes=", ".join(unscored))))
    cs.status, cs.closed_at = SessionStatus.CLOSED, utcnow()
    session.flush()
    append(
        session,
        org_id,
        "cupping.session_closed",
        ("cupping_session", cs.number),
        {
            "results": [
                {
                    "lot": r.lot.code,
                    "blindCode": r.sample.blind_code,
                    "mean": r.panel.mean,
                    "spread": r.panel.spread,
                    "classification": r.panel.classification.value,
                    "cuppers": r.panel.cupper_count,
                }
                for r in results
            ]
        },
        action="OBSERVE",
        user_id=user_id,
    )
    return cs


def reopen_session(session: Session, org_id: int, user_id, cs: CuppingSession, reason: str):
    """A correction: the session becomes editable again and the reason is in the ledger."""
    cs = get_session(session, org_id, cs.number, lock=True)
    if cs.is_open:
        raise Conflict(str(_l("Session %(number)s is open.", number=cs.number)))
    reason = (reason or "").strip()
    if not reason:
        raise _refuse({"reason": [str(_l("Give a reason."))]})
    if len(reason) > 500:
        raise _refuse({"reason": [str(_l("At most 500 characters."))]})
    cs.status, cs.reopened_at, cs.reopen_reason = SessionStatus.OPEN, utcnow(), reason
    session.flush()
    append(
        session,
        org_id,
        "cupping.session_reopened",
        ("cupping_session", cs.number),
        {"reason": reason, "closedAt": cs.closed_at},
        user_id=user_id,
    )
    return cs
