"""The merge page: pick lots (the candidates come from merge_candidates.py), give the kg to take
from each, and merge them into one new lot with transformations.merge. Refused input shows the
form again with status 422 and the choices kept.
"""

from decimal import Decimal, InvalidOperation

from flask import flash, render_template, request
from flask_babel import gettext as _
from marshmallow import ValidationError

from coopchain.auth.access import REGISTRY_WRITE, current_org_id, current_user_id, requires
from coopchain.clock import today
from coopchain.db import discard_changes, get_session
from coopchain.errors import DomainError
from coopchain.formatting import AmbiguousNumber
from coopchain.formatting import kg as format_kg
from coopchain.forms import flat_errors, form_errors, typed_decimal
from coopchain.lots import transformations
from coopchain.lots.blueprint import bp
from coopchain.lots.errors import CommingledOrganic
from coopchain.lots.list_facts import facts_of
from coopchain.lots.lot_forms import _to_lot
from coopchain.lots.merge_candidates import merge_candidates
from coopchain.lots.models import ProductForm
from coopchain.lots.page_helpers import page_helpers as _helpers
from coopchain.lots.schemas import MergeIn


def _merge_inputs(codes: list[str]) -> list[dict]:
    """The kilograms typed per lot, read like every form's decimals (forms.typed_decimal)."""
    inputs, ambiguous = [], {}
    for code in codes:
        kg = request.form.get(f"kg_{code}", "").strip()
        try:
            kg = typed_decimal(kg) if kg else kg
        except AmbiguousNumber as exc:
            ambiguous[f"kg_{code}"] = [exc.message()]
        inputs.append({"lot": code, **({"kg": kg} if kg else {})})
    if ambiguous:
        raise ValidationError(ambiguous)
    return inputs


def _merge_errors_from_validation(messages: dict, codes: list[str]) -> dict:
    errors = {}
    inputs = messages.pop("inputs", None)
    if isinstance(inputs, dict):
        for index, problems in inputs.items():
            if isinstance(problems, dict) and int(index) < len(codes):
                for message in flat_errors(problems).values():
                    errors.setdefault(f"kg_{codes[int(index)]}", []).extend(message)
    elif inputs:
        errors["lot"] = flat_errors({"lot": inputs})["lot"]
    errors.update(flat_errors(messages))
    return errors


def _selected(chosen, values: dict) -> dict:
    """The picked lots' count and kilograms (what is typed for a lot, else all it has): the
    total a page without JavaScript shows; merge.js keeps it up to date as boxes are ticked."""
    total = Decimal("0")
    for lot in chosen:
        typed = (values.get(f"kg_{lot.code}") or "").strip().replace(",", ".")
        try:
            wanted = Decimal(typed) if typed else lot.available_kg
        except InvalidOperation:
            wanted = lot.available_kg
        total += wanted if wanted.is_finite() and wanted > 0 else lot.available_kg
    return {"count": len(chosen), "kg": total}


def _number_symbols() -> dict:
    """The grouping and decimal symbols of the page's language, as formatting.py prints them
    (read off a formatted number, so the script and the server never disagree)."""
    sample = format_kg(Decimal("1234567.5"))
    group = sample[1] if not sample[1].isdigit() else ""
    return {"group": group, "decimal": sample[-2]}


@bp.route("/lots/merge", methods=["GET", "POST"])
@requires(REGISTRY_WRITE)
def merge():
    db, org = get_session(), current_org_id()
    source = request.form if request.method == "POST" else request.args
    codes = list(dict.fromkeys(c.strip() for c in source.getlist("lot") if c.strip()))
    errors: dict = {}
    commingled = None
    if request.method == "POST":
        if len(codes) < 2:
            errors["lot"] = [_("Choose at least two lots to merge.")]
        else:
            try:
                raw = {
                    "inputs": _merge_inputs(codes),
                    **{
                        name: request.form.get(name, "")
                        for name in ("occurred_on", "downgrade_reason", "notes")
                    },
                }
                data = MergeIn().load(raw)
                made = transformations.merge(
                    db,
                    org,
                    current_user_id(),
                    [(i["lot"], i["kg"]) for i in data["inputs"]],
                    data["occurred_on"],
                    downgrade_reason=data["downgrade_reason"],
                    notes=data["notes"],
                )
                (output,) = transformations.parts_of(db, made)[1]
                flash(
                    _("%(n)s lots merged into lot %(code)s.", n=len(codes), code=output.code),
                    "success",
                )
                return _to_lot(output.code)
            except ValidationError as exc:
                errors = _merge_errors_from_validation(dict(exc.messages), codes)
            except CommingledOrganic as exc:
                commingled = exc.message
                errors = flat_errors(exc.fields)
            except DomainError as exc:
                errors = form_errors(exc)
                if "inputs" in errors:
                    errors["lot"] = errors.pop("inputs")
        discard_changes()
    q = (source.get("q") or "").strip()
    offered = merge_candidates(db, org, codes, source.get("product_form"), q)
    values = (
        request.form.to_dict(flat=True)
        if request.method == "POST"
        else {"occurred_on": today().isoformat()}
    )
    return render_template(
        "lots/merge.html",
        facts=facts_of(db, org, offered.rows),
        selected=_selected(offered.chosen, values),
        symbols=_number_symbols(),
        rows=offered.rows,
        checked=[lot.code for lot in offered.chosen],  # echo only what exists in this organisation
        product_form=offered.product_form or "",
        q=q,
        forms=list(ProductForm),
        more_candidates=offered.more,
        mixed=offered.mixed,
        values=values,
        errors=errors,
        commingled=commingled,
        **_helpers(),
    ), (422 if request.method == "POST" else 200)
