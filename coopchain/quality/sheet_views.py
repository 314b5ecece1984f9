"""The score sheet page: one cupper's form for one sample, made for a tablet.

The live total is JavaScript (static/cupping.js); the form works without it and the server
recomputes every figure (quality.rules) and says so in the flash after saving.
"""

from decimal import Decimal

from flask import flash, render_template, request
from flask_babel import gettext as _

from coopchain import formatting
from coopchain.auth.access import QUALITY_WRITE, READ, current_org_id, current_user_id, requires
from coopchain.db import discard_changes, get_session
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.forms import form_errors
from coopchain.quality import cupping_sessions as cupping
from coopchain.quality import rules
from coopchain.quality.blueprint import bp, can_score
from coopchain.quality.models import CuppingSession
from coopchain.quality.session_views import (
    CUP_NUMBERS,
    _helpers,
    _to_session,
    format_score,
    sees_key,
)


def _sample_of(db, cs: CuppingSession, blind_code: str):
    for sample, lot in cupping.samples_of(db, cs):
        if sample.blind_code == blind_code:
            return sample, lot
    raise NotFound(
        _("No sample %(code)s in session %(number)s.", code=blind_code, number=cs.number)
    )


def _chosen_cupper(cuppers, wanted):
    """The cupper asked for, else the one who is the current user, else the first."""
    by_id = {str(c.id): c for c in cuppers}
    if wanted and str(wanted) in by_id:
        return by_id[str(wanted)]
    return next(
        (c for c in cuppers if c.user_id == current_user_id()), cuppers[0] if cuppers else None
    )


def _stored_values(sheet) -> dict:
    """The form's values: a saved sheet's, or a fresh sheet (every cup passes, no defects)."""
    values: dict = {name: "0" for name in rules.SCA_DEFECT_FIELDS + rules.CVA_DEFECT_FIELDS}
    values.update({f"{name}_cups": set(CUP_NUMBERS) for name in rules.SCA_CUP_ATTRIBUTES})
    if sheet is not None:
        values.update(sheet.scores)
        for name in rules.SCA_CUP_ATTRIBUTES:
            if name in sheet.scores:
                passed = int(Decimal(sheet.scores[name])) // 2
                values[f"{name}_cups"] = set(CUP_NUMBERS[:passed])
        values["descriptors"] = ", ".join(sheet.descriptors or [])
        values["notes"] = sheet.notes or ""
    return values


def _posted_values(protocol: str) -> tuple[dict, dict]:
    """(values to show again, scores for the service). A cup attribute is five checkboxes:
    2 points for every cup ticked, the 0–10 value rules.clean_sheet expects."""
    form = request.form
    values: dict = {"descriptors": form.get("descriptors", ""), "notes": form.get("notes", "")}
    scores: dict = {}
    for name in rules.fields_of(protocol):
        if protocol == rules.Protocol.SCA_2004 and name in rules.SCA_CUP_ATTRIBUTES:
            ticked = {
                int(v) for v in form.getlist(f"{name}_cups") if v in {"1", "2", "3", "4", "5"}
            }
            values[f"{name}_cups"] = ticked
            scores[name] = 2 * len(ticked)
        else:
            values[name] = scores[name] = form.get(name, "")
    return values, scores


def _preview(protocol: str, values: dict):
    """The live box's figures when the page is drawn (before any script runs)."""
    scores = {}
    for name in rules.fields_of(protocol):
        cups = values.get(f"{name}_cups")
        scores[name] = 2 * len(cups) if cups is not None else values.get(name)
    try:
        return rules.score_sheet(protocol, scores)
    except rules.InvalidScore:
        return None


def _sheet_page(cs, sample, lot, cupper, *, values=None, errors=None, status: int = 200):
    db = get_session()
    cuppers = cupping.cuppers_of(db, cs)
    sheets = {(s.sample_id, s.cupper_id): s for s in cupping.sheets_of(db, cs)}
    sheet = sheets.get((sample.id, cupper.id)) if cupper else None
    if values is None:
        values = _stored_values(sheet)
    samples = sorted(cupping.samples_of(db, cs), key=lambda pair: pair[0].blind_code)
    return render_template(
        "quality/sheet_form.html",
        cs=cs,
        sample=sample,
        lot=lot if sees_key(cs) else None,
        cuppers=cuppers,
        cupper=cupper,
        sheet=sheet,
        sheets=sheets,
        samples=[s for s, _lot in samples],
        editable=cs.is_open and can_score() and cupper is not None,
        values=values,
        errors=errors or {},
        preview=_preview(cs.protocol, values),
        decimal_symbol=formatting.decimal_symbol(),
        sca=cs.protocol == rules.Protocol.SCA_2004,
        sca_attributes=rules.SCA_ATTRIBUTES,
        sca_cup_attributes=rules.SCA_CUP_ATTRIBUTES,
        cva_attributes=rules.CVA_ATTRIBUTES,
        cup_numbers=CUP_NUMBERS,
        **_helpers(),
    ), status


@bp.get("/cupping/<number>/samples/<blind_code>/sheet")
@requires(READ)
def sheet(number: str, blind_code: str):
    db = get_session()
    cs = cupping.get_session(db, current_org_id(), number)
    sample, lot = _sample_of(db, cs, blind_code)
    cupper = _chosen_cupper(cupping.cuppers_of(db, cs), request.args.get("cupper"))
    return _sheet_page(cs, sample, lot, cupper)


@bp.post("/cupping/<number>/samples/<blind_code>/sheet")
@requires(QUALITY_WRITE)
def sheet_save(number: str, blind_code: str):
    db = get_session()
    cs = cupping.get_session(db, current_org_id(), number)
    sample, lot = _sample_of(db, cs, blind_code)
    cuppers = cupping.cuppers_of(db, cs)
    cupper = _chosen_cupper(cuppers, request.form.get("cupper_id"))
    values, scores = _posted_values(cs.protocol)
    data = {
        "sample_id": sample.id,
        # An id that is not one of this panel's is refused by the service, never swapped.
        "cupper_id": int(v) if (v := request.form.get("cupper_id", "")).isdigit() else None,
        "scores": scores,
        "descriptors": values["descriptors"],
        "notes": values["notes"],
    }
    try:
        saved = cupping.save_sheet(db, current_org_id(), current_user_id(), cs, data)
    except DomainError as exc:
        discard_changes()
        cs = cupping.get_session(db, current_org_id(), number)
        status = 409 if isinstance(exc, Conflict) else 422
        return _sheet_page(
            cs, sample, lot, cupper, values=values, errors=form_errors(exc), status=status
        )
    flash(
        _(
            "Sheet for sample %(code)s saved: final score %(score)s.",
            code=sample.blind_code,
            score=format_score(saved.final_score),
        ),
        "success",
    )
    return _to_session(cs, "samples")
