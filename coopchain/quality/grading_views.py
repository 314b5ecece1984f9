"""Green coffee and pitahaya gradings in the staff UI: record one for a lot, void one.

Thin views (DESIGN.md §3): the form's values go to quality.gradings as they were typed; the
service cleans them (quality.grades), computes the grade and is the authority (the form's live
full-defect count is a convenience). A refused form comes back with status 422, the fields
named, and nothing written. The lot page's quality section is templates/quality/_lot_quality.html
fed by quality.summary.lot_quality_summary.
"""

from datetime import date
from decimal import Decimal

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from coopchain import formatting
from coopchain.auth.access import QUALITY_WRITE, current_org_id, current_user_id, requires
from coopchain.clock import today
from coopchain.db import discard_changes, get_session
from coopchain.errors import DomainError, NotFound
from coopchain.forms import form_errors
from coopchain.lots import services as lots
from coopchain.quality import grades, gradings
from coopchain.quality.blueprint import bp, can_score
from coopchain.quality.summary import takes_green_grading, takes_pitahaya_grading

#: Names a cupping lab uses (SCA green coffee defect handbook), by category.
GREEN_DEFECT_LABELS = {
    "full_black": _l("Full black"),
    "full_sour": _l("Full sour"),
    "dried_cherry": _l("Dried cherry / pod"),
    "fungus_damaged": _l("Fungus damaged"),
    "foreign_matter": _l("Foreign matter"),
    "severe_insect_damage": _l("Severe insect damage"),
    "partial_black": _l("Partial black"),
    "partial_sour": _l("Partial sour"),
    "parchment": _l("Parchment (pergamino)"),
    "floater": _l("Floater"),
    "immature": _l("Immature / unripe"),
    "withered": _l("Withered"),
    "shell": _l("Shell"),
    "broken": _l("Broken / chipped / cut"),
    "hull_husk": _l("Hull / husk"),
    "slight_insect_damage": _l("Slight insect damage"),
}
PITAHAYA_DEFECT_LABELS = {
    "bruising": _l("Bruising"),
    "skin_blemish": _l("Skin blemishes"),
    "thorns": _l("Thorns left"),
    "stem_length": _l("Stem length outside 15–25 mm"),
    "pest_damage": _l("Pest damage"),
    "shape": _l("Misshapen"),
    "rot": _l("Rot"),
}
SCREEN_LABELS = {size: size for size in grades.SCREEN_SIZES} | {"below": _l("Below 13")}


def _screen_field(size: str) -> str:
    return f"screen_sizes.{size}"


def _defect_field(name: str) -> str:
    return f"defect_counts.{name}"


# --- helpers for the lot page's quality section -----------------------------------------------


@bp.app_template_global()
def quality_url(endpoint: str, **values) -> str | None:
    """A link to a quality page, or None while that page does not exist (yet)."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


@bp.app_template_global()
def quality_can_write() -> bool:
    return can_score()


@bp.app_template_global()
def quality_label(kind: str, code: str) -> str:
    labels = {"green_defect": GREEN_DEFECT_LABELS, "pitahaya_defect": PITAHAYA_DEFECT_LABELS}
    found = labels.get(kind, {}).get(code)
    return str(found) if found is not None else _(str(code))


@bp.app_template_filter("qnum")
def quality_number(value, places: int = 2) -> str:
    """A measurement in the page's locale with at least `places` decimals and every decimal it
    was stored with ("11.0", "11.25"; "84,75" in Spanish)."""
    if value is None or value == "":
        return "—"
    number = Decimal(value)
    stored = max(0, -number.as_tuple().exponent) if number.is_finite() else 0
    extra = max(0, stored - places)
    pattern = "#,##0" + ("." + "0" * places + "#" * extra if places or extra else "")
    return formatting.number(number, pattern)


# --- shared form handling ---------------------------------------------------------------------


def _to_lot(code: str):
    return redirect(url_for("lots.lot_detail", code=code) + "#quality")


def _graded_on(raw: str | None) -> tuple[date | None, dict]:
    """The form's date: empty means today (the service's default); a malformed one is named."""
    raw = (raw or "").strip()
    if not raw:
        return None, {}
    try:
        return date.fromisoformat(raw), {}
    except ValueError:
        return None, {"graded_on": [_("Not a valid date.")]}


def _record(kind, code, *, template, applies, read, clean, save, done, defaults, extra=None):
    """GET: the form (a lot of the wrong crop or form goes back to its page with a message);
    POST: record the grading and go to the lot page, or show the form again (422)."""
    db = get_session()
    lot = lots.get_lot(db, current_org_id(), code)  # 404 for another organisation's lot
    context = {"lot": lot, "kind": kind, "today": today().isoformat(), **(extra or {})}
    if request.method == "GET":
        if not applies(lot) or lot.voided_at is not None:
            refusal = (
                _refusal(kind) if not applies(lot) else _("Lot %(code)s is voided.", code=lot.code)
            )
            flash(refusal, "error")
            return _to_lot(lot.code)
        return render_template(template, values=defaults(), errors={}, **context)
    values = request.form.to_dict(flat=True)
    values.pop("csrf_token", None)
    values["defects"] = request.form.getlist("defects")
    data = read(request.form)
    graded_on, errors = _graded_on(values.get("graded_on"))
    try:
        if errors:
            # The date is wrong: still name every other bad field in one go (pure check).
            try:
                clean(data)
            except DomainError as exc:
                errors |= form_errors(exc)
            raise DomainError(_("Some grading values are not valid."), errors)
        grading = save(db, lot.code, {**data, "graded_on": graded_on})
        done(grading)
        return _to_lot(lot.code)
    except NotFound:
        raise
    except DomainError as exc:
        errors = form_errors(exc)
    discard_changes()
    return render_template(template, values=values, errors=errors, **context), 422


def _refusal(kind: str) -> str:
    if kind == "green":
        return _("Only green coffee or dry parchment gets a green grading.")
    return _("Only pitahaya lots get a pitahaya grading.")


# --- green coffee -----------------------------------------------------------------------------


def _green_values(form) -> dict:
    return {
        "sample_g": form.get("sample_g", ""),
        "defect_counts": {n: form.get(_defect_field(n), "") for n in grades.GREEN_DEFECTS},
        "quakers": form.get("quakers", ""),
        "moisture_pct": form.get("moisture_pct", ""),
        "water_activity": form.get("water_activity", ""),
        "screen_sizes": {s: form.get(_screen_field(s), "") for s in grades.SCREEN_SIZES},
        "notes": form.get("notes", ""),
    }


@bp.route("/lots/<code>/green-gradings/new", methods=["GET", "POST"])
@requires(QUALITY_WRITE)
def green_grading_new(code: str):
    def save(db, lot_code, data):
        return gradings.record_green_grading(
            db, current_org_id(), current_user_id(), lot_code, data
        )

    def done(grading):
        flash(
            ngettext(
                "Green grading recorded: %(grade)s, %(num)s full defect.",
                "Green grading recorded: %(grade)s, %(num)s full defects.",
                grading.full_defects,
                grade=_(str(grading.grade)),
            ),
            "success",
        )

    return _record(
        "green",
        code,
        template="quality/green_grading_form.html",
        applies=takes_green_grading,
        read=_green_values,
        clean=grades.clean_green,
        save=save,
        done=done,
        defaults=lambda: {"graded_on": today().isoformat(), "sample_g": str(grades.SCA_SAMPLE_G)},
        extra={
            "defect_groups": [
                (_("Category 1 defects"), 1, list(grades.CATEGORY_1_DEFECTS.items())),
                (_("Category 2 defects"), 2, list(grades.CATEGORY_2_DEFECTS.items())),
            ],
            "screen_sizes": grades.SCREEN_SIZES,
            "screen_labels": SCREEN_LABELS,
        },
    )


# --- pitahaya ---------------------------------------------------------------------------------


def _pitahaya_values(form) -> dict:
    return {
        "codex_class": form.get("codex_class", ""),
        "brix": form.get("brix", ""),
        "mean_fruit_g": form.get("mean_fruit_g", ""),
        "defective_pct": form.get("defective_pct", ""),
        "defects": form.getlist("defects"),
        "notes": form.get("notes", ""),
    }


@bp.route("/lots/<code>/pitahaya-gradings/new", methods=["GET", "POST"])
@requires(QUALITY_WRITE)
def pitahaya_grading_new(code: str):
    def save(db, lot_code, data):
        return gradings.record_pitahaya_grading(
            db, current_org_id(), current_user_id(), lot_code, data
        )

    def done(grading):
        if grading.size_code:
            message = _(
                "Pitahaya grading recorded: %(cls)s, size %(size)s.",
                cls=_(str(grading.codex_class)),
                size=grading.size_code,
            )
        else:
            message = _(
                "Pitahaya grading recorded: %(cls)s; the mean weight fits no size code.",
                cls=_(str(grading.codex_class)),
            )
        flash(message, "success")

    return _record(
        "pitahaya",
        code,
        template="quality/pitahaya_grading_form.html",
        applies=takes_pitahaya_grading,
        read=_pitahaya_values,
        clean=grades.clean_pitahaya,
        save=save,
        done=done,
        defaults=lambda: {"graded_on": today().isoformat(), "defects": []},
        extra={
            "codex_classes": [(c.value, grades.CODEX_TOLERANCE_PCT[c]) for c in grades.CodexClass],
            "pitahaya_defects": grades.PITAHAYA_DEFECTS,
            "size_codes": current_app.config["PITAHAYA_SIZE_CODES"],
        },
    )


# --- void -------------------------------------------------------------------------------------


@bp.post("/lots/<code>/gradings/<kind>/<int:grading_id>/void")
@requires(QUALITY_WRITE)
def grading_void(code: str, kind: str, grading_id: int):
    db = get_session()
    lot = lots.get_lot(db, current_org_id(), code)  # 404 for another organisation's lot
    if kind not in gradings.MODELS:
        raise NotFound(_("No such grading."))
    grading = gradings.get_grading(db, current_org_id(), kind, grading_id)
    if grading.lot_id != lot.id:
        raise NotFound(_("No such grading."))
    try:
        gradings.void_grading(
            db, current_org_id(), current_user_id(), kind, grading.id, request.form.get("reason")
        )
    except DomainError as exc:
        discard_changes()  # a redirect is a success status: make sure nothing half-done commits
        flash(exc.message, "error")
        return _to_lot(lot.code), 303
    flash(_("Grading of %(date)s voided.", date=grading.graded_on.isoformat()), "success")
    return _to_lot(lot.code), 303
