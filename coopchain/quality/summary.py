"""A lot's quality in one plain dict: what the lot page (and any other page) shows.

Nothing here decides a rule: the cupping score comes from lot_quality.cupping_of, the grades
were computed by the server when the gradings were recorded; this only gathers them, newest
first, and says which gradings apply to the lot's crop and form.
"""

from decimal import Decimal

from sqlmodel import Session

from coopchain.lots.models import Lot, LotStatus
from coopchain.quality import grades
from coopchain.quality.cupping_sessions import CUPPABLE_FORMS
from coopchain.quality.gradings import GRADABLE_GREEN_FORMS, gradings_of
from coopchain.quality.lot_quality import cupping_of


def takes_green_grading(lot: Lot) -> bool:
    """Green coffee or dry parchment (hulled for the purpose): the same test as the service."""
    return lot.crop == "coffee" and lot.product_form in GRADABLE_GREEN_FORMS


def takes_pitahaya_grading(lot: Lot) -> bool:
    return lot.crop == "pitahaya"


def _cupping(session: Session, lot: Lot) -> dict | None:
    score = cupping_of(session, lot)
    if score is None:
        return None
    coverage_pct = (score.coverage * 100).quantize(Decimal("0.1"))
    return {
        "score": score.score,
        "classification": score.classification.value,
        "protocols": list(score.protocols),
        "derived": score.derived,
        "session_number": score.session_number,
        "held_on": score.held_on,
        "cupper_count": score.cupper_count,
        "coverage": score.coverage,
        "coverage_pct": coverage_pct,
        "partial": score.derived and score.coverage < 1,
        "measured_lots": list(score.measured_lots),
    }


def _void_fields(grading) -> dict:
    return {
        "id": grading.id,
        "graded_on": grading.graded_on,
        "notes": grading.notes,
        "voided": grading.voided_at is not None,
        "voided_at": grading.voided_at,
        "void_reason": grading.void_reason,
    }


def _green(grading) -> dict:
    # The stored measurements graded again only to say *why* a lot is not specialty: the grade
    # itself is the one the server stored when the grading was recorded.
    result = grades.grade_green(
        {
            "defect_counts": grading.defect_counts,
            "quakers": grading.quakers,
            "moisture_pct": grading.moisture_pct,
            "water_activity": grading.water_activity,
            "sample_g": grading.sample_g,
        }
    )
    return {
        "kind": "green",
        **_void_fields(grading),
        "grade": grading.grade,
        "full_defects": grading.full_defects,
        "category_1": grading.category_1,
        "category_2": grading.category_2,
        "defect_counts": dict(grading.defect_counts),
        "quakers": grading.quakers,
        "moisture_pct": grading.moisture_pct,
        "water_activity": grading.water_activity,
        "sample_g": grading.sample_g,
        "screen_sizes": {
            size: Decimal(grading.screen_sizes[size])
            for size in grades.SCREEN_SIZES
            if size in grading.screen_sizes
        },
        "reasons": result.reasons,
    }


def _pitahaya(grading) -> dict:
    return {
        "kind": "pitahaya",
        **_void_fields(grading),
        "codex_class": grading.codex_class,
        "brix": grading.brix,
        "mean_fruit_g": grading.mean_fruit_g,
        "size_code": grading.size_code,
        "defective_pct": grading.defective_pct,
        "tolerance_pct": grades.CODEX_TOLERANCE_PCT[grades.CodexClass(grading.codex_class)],
        "within_tolerance": grading.within_tolerance,
        "defects": list(grading.defects),
    }


def lot_quality_summary(session: Session, lot: Lot) -> dict:
    """The lot's cupping score (measured or derived), its latest green and pitahaya gradings
    (voided ones skipped) and every grading for the history, newest first."""
    green = [_green(g) for g in gradings_of(session, lot, "green")]
    pitahaya = [_pitahaya(g) for g in gradings_of(session, lot, "pitahaya")]
    history = sorted(green + pitahaya, key=lambda g: (g["graded_on"], g["id"]), reverse=True)
    return {
        "cupping": _cupping(session, lot) if lot.crop == "coffee" else None,
        "green": next((g for g in green if not g["voided"]), None),
        "pitahaya": next((g for g in pitahaya if not g["voided"]), None),
        "green_gradings": green,
        "pitahaya_gradings": pitahaya,
        "history": history,
        "shows_cupping": lot.crop == "coffee",
        "shows_green": takes_green_grading(lot) or bool(green),
        "shows_pitahaya": takes_pitahaya_grading(lot) or bool(pitahaya),
        "takes_green_grading": takes_green_grading(lot) and lot.voided_at is None,
        "takes_pitahaya_grading": takes_pitahaya_grading(lot) and lot.voided_at is None,
        "cuppable": lot.crop == "coffee"
        and lot.product_form in CUPPABLE_FORMS
        and lot.status == LotStatus.AVAILABLE,
    }
