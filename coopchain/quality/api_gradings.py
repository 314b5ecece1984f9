"""JSON API for a lot's quality: its cupping score and latest gradings, and its green-coffee and
pitahaya gradings (record, list, void).

Thin on purpose (DESIGN.md §3): parse with the quality schemas, call one service, dump. The
grade is computed by the server (quality.grades); a client's own grade is never read.
"""

from flask import jsonify
from flask_babel import gettext as _

from coopchain.auth.access import QUALITY_WRITE, READ, api_requires, current_org_id, current_user_id
from coopchain.db import get_session
from coopchain.errors import NotFound
from coopchain.lots.schemas import VoidIn
from coopchain.lots.services import get_lot
from coopchain.quality import grades, gradings, lot_quality
from coopchain.quality.schemas import (
    CuppingScoreOut,
    GreenGradingIn,
    GreenGradingOut,
    LotQualityOut,
    PitahayaGradingIn,
    PitahayaGradingOut,
)
from coopchain.web.api import (
    OPENAPI_SCHEMAS,
    api_blueprint,
    document,
    dump_with,
    page_args,
    page_of,
)
from coopchain.web.api import json_body as _json_body

OPENAPI_SCHEMAS.update(
    CuppingScoreOut=CuppingScoreOut,
    GreenGradingIn=GreenGradingIn,
    GreenGradingOut=GreenGradingOut,
    PitahayaGradingIn=PitahayaGradingIn,
    PitahayaGradingOut=PitahayaGradingOut,
    LotQualityOut=LotQualityOut,
)

document(
    "/api/v1/lots/{code}/quality",
    "get",
    "A lot's cupping score (measured, or derived from its inputs) and latest gradings",
    response="LotQualityOut",
    text_params=("code",),
)
for _kind, _label in (("green", "green coffee"), ("pitahaya", "pitahaya")):
    _schema = "GreenGrading" if _kind == "green" else "PitahayaGrading"
    document(
        f"/api/v1/lots/{{code}}/{_kind}-gradings",
        "get",
        f"The lot's {_label} gradings, newest first, voided ones included",
        list_of=f"{_schema}Out",
        text_params=("code",),
        searchable=False,
    )
    document(
        f"/api/v1/lots/{{code}}/{_kind}-gradings",
        "post",
        f"Record a {_label} grading; the server computes the grade",
        body=f"{_schema}In",
        response=f"{_schema}Out",
        text_params=("code",),
    )
_void = document(
    "/api/v1/lots/{code}/gradings/{kind}/{grading_id}/void",
    "post",
    "Void a wrong grading with a reason (it stays on record)",
    body="VoidIn",
    response="GreenGradingOut",
    params=("grading_id",),
    text_params=("code", "kind"),
    status="200",
)
_void["parameters"][-1]["schema"]["enum"] = ["green", "pitahaya"]
_void["responses"]["200"]["content"]["application/json"]["schema"] = {
    "oneOf": [
        {"$ref": "#/components/schemas/GreenGradingOut"},
        {"$ref": "#/components/schemas/PitahayaGradingOut"},
    ]
}


def _green_out(grading, lot_code: str) -> dict:
    # The grade is stored; the per-type breakdown and the reasons are recomputed from the
    # stored measurements (same pure function), in the caller's language.
    result = grades.grade_green(
        {
            "defect_counts": grading.defect_counts,
            "moisture_pct": grading.moisture_pct,
            "water_activity": grading.water_activity,
            "quakers": grading.quakers,
            "sample_g": grading.sample_g,
        }
    )
    return dump_with(
        GreenGradingOut(),
        grading,
        lot_code=lot_code,
        full_defects_by_type=result.full_defects_by_type,
        reasons=result.reasons,
    )


def _pitahaya_out(grading, lot_code: str) -> dict:
    tolerance = grades.CODEX_TOLERANCE_PCT[grades.CodexClass(grading.codex_class)]
    return dump_with(PitahayaGradingOut(), grading, lot_code=lot_code, tolerance_pct=tolerance)


_OUT = {"green": _green_out, "pitahaya": _pitahaya_out}


@api_blueprint.get("/lots/<code>/quality")
@api_requires(READ)
def lot_quality_get(code: str):
    db = get_session()
    lot = get_lot(db, current_org_id(), code)
    cupping = lot_quality.cupping_of(db, lot)
    green = gradings.latest_grading(db, lot, "green")
    pitahaya = gradings.latest_grading(db, lot, "pitahaya")
    return jsonify(
        {
            "lot": lot.code,
            "cupping": CuppingScoreOut().dump(cupping) if cupping else None,
            "green_grading": _green_out(green, lot.code) if green else None,
            "pitahaya_grading": _pitahaya_out(pitahaya, lot.code) if pitahaya else None,
        }
    )


def _gradings_list(code: str, kind: str):
    args = page_args()
    lot = get_lot(get_session(), current_org_id(), code)
    found = gradings.gradings_of(get_session(), lot, kind)
    start = (args["page"] - 1) * args["per_page"]
    shown = found[start : start + args["per_page"]]
    return page_of([_OUT[kind](g, lot.code) for g in shown], len(found), args)


@api_blueprint.get("/lots/<code>/green-gradings")
@api_requires(READ)
def green_gradings_list(code: str):
    return _gradings_list(code, "green")


@api_blueprint.get("/lots/<code>/pitahaya-gradings")
@api_requires(READ)
def pitahaya_gradings_list(code: str):
    return _gradings_list(code, "pitahaya")


@api_blueprint.post("/lots/<code>/green-gradings")
@api_requires(QUALITY_WRITE)
def green_gradings_create(code: str):
    lot = get_lot(get_session(), current_org_id(), code)  # 404 before any 422
    data = GreenGradingIn().load(_json_body())
    grading = gradings.record_green_grading(
        get_session(), current_org_id(), current_user_id(), lot.code, data
    )
    return jsonify(_green_out(grading, lot.code)), 201


@api_blueprint.post("/lots/<code>/pitahaya-gradings")
@api_requires(QUALITY_WRITE)
def pitahaya_gradings_create(code: str):
    lot = get_lot(get_session(), current_org_id(), code)  # 404 before any 422
    data = PitahayaGradingIn().load(_json_body())
    grading = gradings.record_pitahaya_grading(
        get_session(), current_org_id(), current_user_id(), lot.code, data
    )
    return jsonify(_pitahaya_out(grading, lot.code)), 201


@api_blueprint.post("/lots/<code>/gradings/<kind>/<int:grading_id>/void")
@api_requires(QUALITY_WRITE)
def gradings_void(code: str, kind: str, grading_id: int):
    db = get_session()
    lot = get_lot(db, current_org_id(), code)
    if gradings.get_grading(db, current_org_id(), kind, grading_id).lot_id != lot.id:
        raise NotFound(_("No such grading."))
    data = VoidIn().load(_json_body())
    grading = gradings.void_grading(
        db, current_org_id(), current_user_id(), kind, grading_id, data["reason"]
    )
    return jsonify(_OUT[kind](grading, lot.code))
