"""Green coffee and pitahaya gradings of a lot: record, list, void (DESIGN.md §3 services).

The server computes the grade from the measurements (quality.grades); a wrong grading is voided
with a reason, never edited, so the lot page always shows what the lab really recorded.
"""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from coopchain.clock import today, utcnow
from coopchain.db import owned, settings_of
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.ledger.services import append
from coopchain.lots.models import Lot, ProductForm
from coopchain.lots.services import get_lot
from coopchain.quality import grades
from coopchain.quality.models import GreenGrading, PitahayaGrading

GRADABLE_GREEN_FORMS = (ProductForm.GREEN, ProductForm.DRY_PARCHMENT)
MODELS = {"green": GreenGrading, "pitahaya": PitahayaGrading}


def _checked(data: dict, clean) -> tuple[date, str | None, dict]:
    """(graded_on, notes, cleaned measurements), or one error naming every bad field."""
    errors: dict = {}
    graded_on = data.get("graded_on") or today()
    if not isinstance(graded_on, date) or graded_on > today():
        errors["graded_on"] = [str(_l("A date that is not in the future."))]
    notes = (data.get("notes") or "").strip() or None
    if notes and len(notes) > 500:
        errors["notes"] = [str(_l("At most 500 characters."))]
    try:
        cleaned = clean(data)
    except grades.InvalidScore as exc:
        errors |= exc.fields
    if errors:
        raise grades.InvalidScore(str(_l("Some grading values are not valid.")), errors)
    return graded_on, notes, cleaned


def _live_lot(session: Session, org_id: int, code: str) -> Lot:
    lot = get_lot(session, org_id, (code or "").strip())
    if lot.voided_at is not None:
        raise Conflict(str(_l("Lot %(code)s is voided.", code=lot.code)))
    return lot


def record_green_grading(session: Session, org_id: int, user_id, code: str, data: dict):
    lot = _live_lot(session, org_id, code)
    if lot.crop != "coffee" or lot.product_form not in GRADABLE_GREEN_FORMS:
        raise DomainError(str(_l("Only green coffee or dry parchment gets a green grading.")))
    graded_on, notes, cleaned = _checked(data, grades.clean_green)
    result = grades.grade_green(cleaned)
    grading = GreenGrading(
        organization_id=org_id,
        lot_id=lot.id,
        graded_on=graded_on,
        sample_g=cleaned["sample_g"],
        defect_counts=cleaned["defect_counts"],
        quakers=cleaned.get("quakers"),
        moisture_pct=cleaned["moisture_pct"],
        water_activity=cleaned.get("water_activity"),
        screen_sizes={k: str(v) for k, v in cleaned["screen_sizes"].items()},
        category_1=result.category_1,
        category_2=result.category_2,
        full_defects=result.full_defects,
        grade=result.grade,
        notes=notes,
        user_id=user_id,
    )
    session.add(grading)
    session.flush()
    append(
        session,
        org_id,
        "quality.green_graded",
        ("lot", lot.code),
        {
            "grading": grading.id,
            "defectCounts": cleaned["defect_counts"],
            "fullDefects": result.full_defects,
            "category1": result.category_1,
            "moisturePct": cleaned["moisture_pct"],
            "waterActivity": cleaned.get("water_activity"),
            "grade": result.grade.value,
        },
        action="OBSERVE",
        user_id=user_id,
    )
    return grading


def record_pitahaya_grading(session: Session, org_id: int, user_id, code: str, data: dict):
    lot = _live_lot(session, org_id, code)
    if lot.crop != "pitahaya":
        raise DomainError(str(_l("Only pitahaya lots get a pitahaya grading.")))
    graded_on, notes, cleaned = _checked(data, grades.clean_pitahaya)
    result = grades.grade_pitahaya(cleaned, settings_of(session).pitahaya_size_codes)
    grading = PitahayaGrading(
        organization_id=org_id,
        lot_id=lot.id,
        graded_on=graded_on,
        codex_class=cleaned["codex_class"],
        brix=cleaned["brix"],
        mean_fruit_g=cleaned["mean_fruit_g"],
        size_code=result.size_code,
        defective_pct=cleaned["defective_pct"],
        defects=cleaned["defects"],
        within_tolerance=result.within_tolerance,
        notes=notes,
        user_id=user_id,
    )
    session.add(grading)
    session.flush()
    append(
        session,
        org_id,
        "quality.pitahaya_graded",
        ("lot", lot.code),
        {
            "grading": grading.id,
            "codexClass": grading.codex_class,
            "brix": grading.brix,
            "meanFruitG": grading.mean_fruit_g,
            "sizeCode": grading.size_code,
            "defectivePct": grading.defective_pct,
            "withinTolerance": grading.within_tolerance,
        },
        action="OBSERVE",
        user_id=user_id,
    )
    return grading


def gradings_of(session: Session, lot: Lot, kind: str) -> list:
    """Every grading of one kind for the lot, newest first, voided ones included."""
    model = MODELS[kind]
    return list(
        session.scalars(
            owned(model, lot.organization_id)
            .where(model.lot_id == lot.id)
            .order_by(model.graded_on.desc(), model.id.desc())
        )
    )


def latest_grading(session: Session, lot: Lot, kind: str):
    return next((g for g in gradings_of(session, lot, kind) if g.voided_at is None), None)


def get_grading(session: Session, org_id: int, kind: str, grading_id: int):
    model = MODELS.get(kind)
    grading = session.scalar(owned(model, org_id).where(model.id == grading_id)) if model else None
    if grading is None:
        raise NotFound(str(_l("No such grading.")))
    return grading


def void_grading(session: Session, org_id: int, user_id, kind: str, grading_id: int, reason):
    grading = get_grading(session, org_id, kind, grading_id)
    if grading.voided_at is not None:
        raise Conflict(str(_l("This grading is already voided.")))
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise DomainError(
            str(_l("Give a reason.")), {"reason": [str(_l("Required, at most 500 characters."))]}
        )
    now = utcnow()
    grading.voided_at, grading.void_reason = now, reason
    session.flush()
    lot = session.get(Lot, grading.lot_id)
    append(
        session,
        org_id,
        f"quality.{kind}_grading_voided",
        ("lot", lot.code),
        {"grading": grading.id, "errorDeclaration": {"declarationTime": now, "reason": reason}},
        action="DELETE",
        user_id=user_id,
    )
    return grading
