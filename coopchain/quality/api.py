"""JSON API for cupping sessions: samples, score sheets and results (gradings: api_gradings.py).

Thin on purpose (DESIGN.md §3): parse with the quality schemas, call one service, dump. The
server computes every total, final score, panel result and grade (quality.rules, grades); a
client's own total is never read. While a session is open its samples go by blind code only,
except for whoever opened it and administrators, so a cupper cannot look up the lot.
"""

from flask import jsonify, request
from flask_babel import gettext as _
from marshmallow import ValidationError

from coopchain.auth.access import (
    QUALITY_WRITE,
    READ,
    api_requires,
    current_org_id,
    current_principal,
    current_user_id,
)
from coopchain.auth.models import Role
from coopchain.db import get_session
from coopchain.lots.models import Lot
from coopchain.quality import cupping_sessions as sessions
from coopchain.quality import rules
from coopchain.quality.models import CuppingSample, CuppingSession
from coopchain.quality.schemas import (
    BLIND_FIELDS,
    CupperOut,
    CuppingSampleIn,
    CuppingSampleOut,
    CuppingSessionDetailOut,
    CuppingSessionIn,
    CuppingSessionOut,
    CuppingSheetIn,
    CuppingSheetOut,
    DeviationOut,
    PanelResultOut,
    ReasonIn,
    SessionListArgs,
)
from coopchain.web.api import (
    OPENAPI_SCHEMAS,
    api_blueprint,
    document,
    dump_with,
    page_of,
)
from coopchain.web.api import json_body as _json_body

# Nested schemas first, so the spec names them once.
OPENAPI_SCHEMAS.update(
    CupperOut=CupperOut,
    CuppingSheetOut=CuppingSheetOut,
    DeviationOut=DeviationOut,
    PanelResultOut=PanelResultOut,
    CuppingSampleOut=CuppingSampleOut,
    CuppingSessionOut=CuppingSessionOut,
    CuppingSessionDetailOut=CuppingSessionDetailOut,
    CuppingSessionIn=CuppingSessionIn,
    CuppingSampleIn=CuppingSampleIn,
    CuppingSheetIn=CuppingSheetIn,
    ReasonIn=ReasonIn,
)

_SESSION = "/api/v1/cupping-sessions/{number}"


# --- cupping sessions -------------------------------------------------------------------------

document(
    "/api/v1/cupping-sessions",
    "get",
    "List cupping sessions, latest first",
    list_of="CuppingSessionOut",
    query={"status": {"type": "string", "enum": ["open", "closed"]}},
    searchable=False,
)
document(
    "/api/v1/cupping-sessions",
    "post",
    "Open a cupping session: protocol, panel, and optionally the lots to sample",
    body="CuppingSessionIn",
    response="CuppingSessionDetailOut",
)
document(
    _SESSION,
    "get",
    "One session with its panel, samples, sheets and results (lot codes hidden while open, "
    "except for its creator and administrators)",
    response="CuppingSessionDetailOut",
    text_params=("number",),
)
document(
    _SESSION + "/samples",
    "post",
    "Sample a lot (a sample transformation) onto the table under a blind code",
    body="CuppingSampleIn",
    response="CuppingSampleOut",
    text_params=("number",),
)
document(
    _SESSION + "/sheets",
    "put",
    "Save one cupper's sheet for one sample; the server computes total and final score",
    body="CuppingSheetIn",
    response="CuppingSheetOut",
    text_params=("number",),
    status="200",
)
document(
    _SESSION + "/close",
    "post",
    "Close the session (every sample scored); it becomes immutable",
    response="CuppingSessionDetailOut",
    text_params=("number",),
    status="200",
)
document(
    _SESSION + "/reopen",
    "post",
    "Reopen a closed session for a correction; the reason goes to the ledger",
    body="ReasonIn",
    response="CuppingSessionDetailOut",
    text_params=("number",),
    status="200",
)


def _sees_lots(cs: CuppingSession) -> bool:
    """Blind tasting: the lot behind a blind code is hidden from the panel until closing."""
    principal = current_principal()
    return not cs.is_open or principal.role == Role.ADMIN or principal.user_id == cs.user_id


def _sample_schema(cs: CuppingSession) -> CuppingSampleOut:
    return CuppingSampleOut() if _sees_lots(cs) else CuppingSampleOut(exclude=BLIND_FIELDS)


def _sheet_row(sheet, cupper_names: dict, blind_code: str) -> dict:
    """A sheet's values for CuppingSheetOut (not yet dumped: it is nested in a sample)."""
    derived = {
        "blind_code": blind_code,
        "cupper": cupper_names.get(sheet.cupper_id),
        "final_score_exact": sheet.final_score,
    }
    return {
        name: derived.get(name, getattr(sheet, name, None)) for name in CuppingSheetOut().fields
    }


def _result_out(panel: rules.PanelResult | None, sheets, cupper_names: dict) -> dict | None:
    if panel is None:
        return None
    finals = {sheet.cupper_id: sheet.final_score for sheet in sheets}
    return {
        "mean": panel.mean,
        "spread": panel.spread,
        "classification": panel.classification.value,
        "cupper_count": panel.cupper_count,
        "deviations": [
            {
                "cupper_id": cupper_id,
                "cupper": cupper_names.get(cupper_id),
                "final_score": finals[cupper_id],
                "deviation": deviation,
            }
            for cupper_id, deviation in panel.deviations.items()
        ],
    }


def _session_out(cs: CuppingSession) -> dict:
    db = get_session()
    cuppers = sessions.cuppers_of(db, cs)
    names = {cupper.id: cupper.name for cupper in cuppers}
    samples = [
        {
            "id": found.sample.id,
            "blind_code": found.sample.blind_code,
            "lot_code": found.lot.code,
            "transformation_id": found.sample.transformation_id,
            "sheets": [_sheet_row(s, names, found.sample.blind_code) for s in found.sheets],
            "result": _result_out(found.panel, found.sheets, names),
        }
        for found in sessions.session_results(db, cs)
    ]
    out = dump_with(CuppingSessionOut(), cs)
    out["cuppers"] = CupperOut().dump(cuppers, many=True)
    out["samples"] = _sample_schema(cs).dump(samples, many=True)
    return out


def _session(number: str) -> CuppingSession:
    return sessions.get_session(get_session(), current_org_id(), number)


@api_blueprint.get("/cupping-sessions")
@api_requires(READ)
def cupping_sessions_list():
    args = SessionListArgs().load(request.args.to_dict())
    items, total = sessions.list_sessions(
        get_session(),
        current_org_id(),
        status=args["status"],
        page=args["page"],
        per_page=args["per_page"],
    )
    return page_of(CuppingSessionOut().dump(items, many=True), total, args)


@api_blueprint.post("/cupping-sessions")
@api_requires(QUALITY_WRITE)
def cupping_sessions_create():
    data = CuppingSessionIn().load(_json_body())
    cs = sessions.open_session(get_session(), current_org_id(), current_user_id(), data)
    return jsonify(_session_out(cs)), 201


@api_blueprint.get("/cupping-sessions/<number>")
@api_requires(READ)
def cupping_sessions_get(number: str):
    return jsonify(_session_out(_session(number)))


@api_blueprint.post("/cupping-sessions/<number>/samples")
@api_requires(QUALITY_WRITE)
def cupping_sessions_add_sample(number: str):
    cs = _session(number)  # 404 before any 422
    data = CuppingSampleIn().load(_json_body())
    sample = sessions.add_sample(
        get_session(), current_org_id(), current_user_id(), cs, data["lot_code"], data["sample_kg"]
    )
    lot = get_session().get(Lot, sample.lot_id)
    out = {
        "id": sample.id,
        "blind_code": sample.blind_code,
        "lot_code": lot.code,
        "transformation_id": sample.transformation_id,
        "sheets": [],
        "result": None,
    }
    return jsonify(_sample_schema(cs).dump(out)), 201


def _sample_id(cs: CuppingSession, data: dict) -> int:
    """The sample by id, or by the blind code the cupper reads off the bowl."""
    if not data.get("blind_code"):
        return data["sample_id"]
    code = data["blind_code"]
    found = [s for s, _lot in sessions.samples_of(get_session(), cs) if s.blind_code == code]
    if not found or data.get("sample_id") not in (None, found[0].id):
        raise ValidationError({"blind_code": [_("Not a sample of this session.")]})
    return found[0].id


@api_blueprint.put("/cupping-sessions/<number>/sheets")
@api_requires(QUALITY_WRITE)
def cupping_sessions_save_sheet(number: str):
    cs = _session(number)
    data = CuppingSheetIn().load(_json_body())
    known = set(rules.fields_of(cs.protocol))
    unknown = sorted(name for name in data["scores"] if name not in known)
    if unknown:
        # A misspelt defect field would otherwise count as 0 cups without a word.
        message = _("Not a field of this session's form.")
        raise ValidationError({f"scores.{name}": [message] for name in unknown})
    sheet = sessions.save_sheet(
        get_session(),
        current_org_id(),
        current_user_id(),
        cs,
        {
            "sample_id": _sample_id(cs, data),
            "cupper_id": data["cupper_id"],
            "scores": data["scores"],
            "descriptors": data["descriptors"],
            "notes": data["notes"],
        },
    )
    names = {cupper.id: cupper.name for cupper in sessions.cuppers_of(get_session(), cs)}
    sample = get_session().get(CuppingSample, sheet.sample_id)
    return jsonify(CuppingSheetOut().dump(_sheet_row(sheet, names, sample.blind_code)))


@api_blueprint.post("/cupping-sessions/<number>/close")
@api_requires(QUALITY_WRITE)
def cupping_sessions_close(number: str):
    cs = sessions.close_session(
        get_session(), current_org_id(), current_user_id(), _session(number)
    )
    return jsonify(_session_out(cs))


@api_blueprint.post("/cupping-sessions/<number>/reopen")
@api_requires(QUALITY_WRITE)
def cupping_sessions_reopen(number: str):
    cs = _session(number)  # 404 before any 422
    data = ReasonIn().load(_json_body())
    cs = sessions.reopen_session(
        get_session(), current_org_id(), current_user_id(), cs, data["reason"]
    )
    return jsonify(_session_out(cs))
