"""Lot pages: the list, a lot's page (quantities, origins, genealogy, what used it) with its
actions (split, process, sample, bags), merging, transformations and voids.

Views stay thin (DESIGN.md §3): forms are loaded with the lots schemas, the work is done by
transformations.py and bags.py, and a lot's origins come only from `origins.origins_of`.
A refused action shows the lot page again with status 422, so the request rolls back.
"""

from decimal import Decimal

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from coopchain.auth.access import READ, REGISTRY_WRITE, current_org_id, current_user_id, requires
from coopchain.clock import today
from coopchain.db import discard_changes, get_session
from coopchain.errors import DomainError, NotFound
from coopchain.forest.evidence import forest_summary
from coopchain.forms import load_form
from coopchain.lots import bags, origins, rules, services, transformations
from coopchain.lots.blueprint import bp
from coopchain.lots.errors import CommingledOrganic
from coopchain.lots.genealogy import genealogy_svg
from coopchain.lots.models import (
    Lot,
    LotStatus,
    ProductForm,
    TransformationKind,
)
from coopchain.lots.page_helpers import can_write as _can_write
from coopchain.lots.page_helpers import page_helpers as _helpers
from coopchain.lots.schemas import BagsIn, MergeIn, ProcessIn, SampleIn, SplitIn, VoidIn
from coopchain.quality.summary import lot_quality_summary
from coopchain.schemas import PageSchema
from coopchain.views import format_kg

#: Delivery rows shown on a lot page; the spreadsheet export has them all.
#: Delivery rows on the lot page; the plot table above covers them all, the export lists all.
ORIGIN_ROWS = 100
#: Candidate lots listed on the merge form (narrow them with the code search).
MERGE_CANDIDATES = 200
SPLIT_INPUTS = 6
FORMS = {form.value for form in ProductForm}
STATUSES = {status.value for status in LotStatus}


def _flat_errors(messages) -> dict[str, list[str]]:
    """marshmallow's nested messages ({"outputs": {0: [...]}}) as {field: [message]}."""
    if not isinstance(messages, dict):
        return {"_": [str(m) for m in messages] if isinstance(messages, list) else [messages]}

    def collect(value) -> list[str]:
        if isinstance(value, dict):
            return [m for inner in value.values() for m in collect(inner)]
        if isinstance(value, list | tuple):
            return [m for inner in value for m in collect(inner)]
        return [str(value)]

    return {str(name): list(dict.fromkeys(collect(value))) for name, value in messages.items()}


def _domain_errors(exc: DomainError) -> dict[str, list[str]]:
    errors = _flat_errors(exc.fields) if exc.fields else {}
    if not any(exc.message in messages for messages in errors.values()):
        errors["_"] = [exc.message]  # once: the field's own message may already say it
    return errors


# --- list -------------------------------------------------------------------------------------


@bp.get("/lots")
@requires(READ)
def lot_list():
    try:
        wanted = PageSchema().fields
        args = PageSchema().load({k: v for k, v in request.args.items() if k in wanted})
    except ValidationError:
        args = {"page": 1, "per_page": 25, "q": None}
    form = request.args.get("product_form") or None
    form = form if form in FORMS else None
    status = request.args.get("status") or None
    status = status if status in STATUSES else None
    lots, total = services.list_lots(
        get_session(),
        current_org_id(),
        q=args["q"],
        product_form=form,
        status=status,
        page=args["page"],
        per_page=args["per_page"],
    )
    return render_template(
        "lots/lot_list.html",
        lots=lots,
        total=total,
        page=args["page"],
        pages=max(1, -(-total // args["per_page"])),
        q=args["q"] or "",
        product_form=form or "",
        status=status or "",
        forms=list(ProductForm),
        statuses=list(LotStatus),
        can_write=_can_write(),
        **_helpers(),
    )


# --- a lot's page -----------------------------------------------------------------------------


def _action_defaults(lot: Lot) -> dict[str, dict]:
    on = today().isoformat()
    forward = _forward_forms(lot)
    return {
        "split": {"outputs": [], "occurred_on": on},
        "process": {"occurred_on": on, "to_form": forward[0] if forward else ""},
        "sample": {"occurred_on": on, "kg": str(current_app.config["SAMPLE_KG"])},
        "bags": {"net_kg": str(current_app.config["BAG_NET_KG"].get(lot.crop, ""))},
    }


def _forward_forms(lot: Lot) -> list[str]:
    return [
        form.value
        for form in rules.FORM_CHAINS.get(lot.crop, ())
        if rules.can_process(lot.crop, lot.product_form, form)
    ]


def _made_by(lot: Lot) -> dict:
    db = get_session()
    if lot.delivery_id is not None:
        delivery = services.get_delivery(db, lot.organization_id, lot.delivery_id)
        return {"delivery": delivery}
    made = transformations.get_transformation(db, lot.organization_id, lot.transformation_id)
    return {"transformation": made}


def _genealogy(lot: Lot, found) -> str | None:
    if not found.edges:
        return None  # an origin lot: nothing to draw
    # gettext without arguments leaves %(name)s in place for the drawing to fill.
    texts = {
        "title": _("Genealogy of lot %(code)s"),
        "desc": _(
            "%(lots)s lots in %(steps)s steps, from the deliveries (left) to this lot (right)."
        ),
        "more": _("+%(n)s more lots"),
        "more_kg": _("%(kg)s kg"),
        "merge": _("merge"),
        "split": _("split"),
        "process": _("process"),
    }
    return genealogy_svg(
        found.nodes,
        found.edges,
        lot.id,
        texts=texts,
        form_label=lambda form: _(str(form)),
        kg_label=format_kg,
        link=lambda code: url_for("lots.lot_detail", code=code),
    )


def _lot_page(lot: Lot, *, action: str | None = None, errors=None, status: int = 200):
    db = get_session()
    found = origins.origins_of(db, lot, with_graph=True)
    made_here = {lot.transformation_id} - {None}
    used = services.consumption_of(db, lot)
    values = _action_defaults(lot)
    if action:
        submitted = request.form.to_dict(flat=True)
        submitted.pop("csrf_token", None)
        submitted["outputs"] = request.form.getlist("outputs")
        values[action] = submitted
    bagged = rules.BAGGED_FORMS.get(lot.crop) == lot.product_form
    bag_kg = current_app.config["BAG_NET_KG"].get(lot.crop)
    return render_template(
        "lots/lot_detail.html",
        lot=lot,
        made_by=_made_by(lot),
        produced_kg=lot.quantity_kg,
        consumed_kg=used["consumed_kg"],
        used_by=used["transformations"],
        bags=used["bags"],
        found=found,
        by_plot=found.by_plot(),
        origin_rows=found.origins[:ORIGIN_ROWS],
        more_origins=max(0, len(found.origins) - ORIGIN_ROWS),
        downgrade_reasons=transformations.downgrade_reasons(
            db, lot.organization_id, {e.transformation_id for e in found.edges} | made_here
        ),
        graph=_genealogy(lot, found),
        quality=lot_quality_summary(db, lot),
        forest=forest_summary(db, lot.organization_id, {o.plot_id for o in found.origins}),
        can_write=_can_write(),
        can_act=_can_write() and lot.status == LotStatus.AVAILABLE,
        forward_forms=_forward_forms(lot),
        bagged=bagged,
        max_bags=int(lot.available_kg // bag_kg) if bagged and bag_kg else 0,
        split_inputs=SPLIT_INPUTS,
        action=action,
        values=values,
        errors=errors or {},
        **_helpers(),
    ), status


@bp.get("/lots/<code>")
@requires(READ)
def lot_detail(code: str):
    return _lot_page(services.get_lot(get_session(), current_org_id(), code))


def _act(code: str, action: str, schema, do, done, list_fields=()):
    """Load the action's form, do it, redirect; or show the lot page again with the errors
    inside the action's section (422: nothing is written)."""
    db = get_session()
    lot = services.get_lot(db, current_org_id(), code)  # 404 for another organisation's lot
    try:
        data = load_form(schema, list_fields)
        return done(lot, do(db, lot, data))
    except ValidationError as exc:
        errors = _flat_errors(exc.messages)
    except DomainError as exc:
        errors = _domain_errors(exc)
    discard_changes()
    lot = services.get_lot(db, current_org_id(), code)  # re-read after the rollback
    return _lot_page(lot, action=action, errors=errors, status=422)


def _to_lot(code: str):
    return redirect(url_for("lots.lot_detail", code=code))


@bp.post("/lots/<code>/split")
@requires(REGISTRY_WRITE)
def lot_split(code: str):
    def do(db, lot, data):
        return transformations.split(
            db,
            current_org_id(),
            current_user_id(),
            lot.code,
            data["outputs"],
            data["occurred_on"],
            notes=data["notes"],
        )

    def done(lot, made):
        outputs = transformations.parts_of(get_session(), made)[1]
        flash(
            _(
                "Lot %(code)s split into %(codes)s.",
                code=lot.code,
                codes=", ".join(o.code for o in outputs),
            ),
            "success",
        )
        return redirect(url_for("lots.transformation_detail", transformation_id=made.id))

    return _act(code, "split", SplitIn(exclude=("lot",)), do, done, ("outputs",))


@bp.post("/lots/<code>/process")
@requires(REGISTRY_WRITE)
def lot_process(code: str):
    def do(db, lot, data):
        return transformations.process(
            db,
            current_org_id(),
            current_user_id(),
            lot.code,
            data["input_kg"],
            data["to_form"],
            data["output_kg"],
            data["occurred_on"],
            confirm_yield=data["confirm_yield"],
            notes=data["notes"],
        )

    def done(lot, made):
        (output,) = transformations.parts_of(get_session(), made)[1]
        flash(
            _("Lot %(code)s processed into lot %(new)s.", code=lot.code, new=output.code),
            "success",
        )
        return _to_lot(output.code)

    return _act(code, "process", ProcessIn(exclude=("lot",)), do, done)


@bp.post("/lots/<code>/sample")
@requires(REGISTRY_WRITE)
def lot_sample(code: str):
    def do(db, lot, data):
        return transformations.take_sample(
            db,
            current_org_id(),
            current_user_id(),
            lot.code,
            data["kg"],
            data["occurred_on"],
            notes=data["notes"],
        )

    def done(lot, made):
        flash(_("Sample of %(kg)s kg taken.", kg=format_kg(made.loss_kg)), "success")
        return _to_lot(lot.code)

    return _act(code, "sample", SampleIn(exclude=("lot",)), do, done)


@bp.post("/lots/<code>/bags")
@requires(REGISTRY_WRITE)
def lot_bags(code: str):
    def do(db, lot, data):
        return bags.create_bags(
            db, current_org_id(), current_user_id(), lot.code, data["count"], data["net_kg"]
        )

    def done(lot, made):
        flash(
            _(
                "%(count)s bags created: %(first)s – %(last)s.",
                count=len(made),
                first=made[0].serial,
                last=made[-1].serial,
            ),
            "success",
        )
        return _to_lot(lot.code)

    return _act(code, "bags", BagsIn(exclude=("lot",)), do, done)


# --- merge ------------------------------------------------------------------------------------


def _merge_inputs(codes: list[str]) -> list[dict]:
    inputs = []
    for code in codes:
        kg = request.form.get(f"kg_{code}", "").strip().replace(",", ".")
        inputs.append({"lot": code, **({"kg": kg} if kg else {})})
    return inputs


def _merge_errors_from_validation(messages: dict, codes: list[str]) -> dict:
    errors = {}
    inputs = messages.pop("inputs", None)
    if isinstance(inputs, dict):
        for index, problems in inputs.items():
            if isinstance(problems, dict) and int(index) < len(codes):
                for message in _flat_errors(problems).values():
                    errors.setdefault(f"kg_{codes[int(index)]}", []).extend(message)
    elif inputs:
        errors["lot"] = _flat_errors({"lot": inputs})["lot"]
    errors.update(_flat_errors(messages))
    return errors


def _existing_lots(codes: list[str]) -> list[Lot]:
    """The organisation's lots with these codes; another organisation's code is not found."""
    found = []
    for code in codes:
        try:
            found.append(services.get_lot(get_session(), current_org_id(), code))
        except NotFound:
            continue
    return found


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
            raw = {
                "inputs": _merge_inputs(codes),
                **{
                    name: request.form.get(name, "")
                    for name in ("occurred_on", "downgrade_reason", "notes")
                },
            }
            try:
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
                errors = _flat_errors(exc.fields)
            except DomainError as exc:
                errors = _domain_errors(exc)
                if "inputs" in errors:
                    errors["lot"] = errors.pop("inputs")
        discard_changes()
    chosen = _existing_lots(codes)
    codes = [lot.code for lot in chosen]  # echo only what exists in this organisation
    form = chosen[0].product_form if chosen else source.get("product_form") or None
    form = form if form in FORMS else None
    crop = chosen[0].crop if chosen else None
    q = (source.get("q") or "").strip()
    candidates, total = [], 0
    if form:
        candidates, total = services.list_lots(
            db,
            org,
            q=q or None,
            product_form=form,
            status=LotStatus.AVAILABLE,
            per_page=MERGE_CANDIDATES,
        )
    picked = {lot.code for lot in chosen}
    rows = chosen + [
        lot for lot in candidates if lot.code not in picked and (crop is None or lot.crop == crop)
    ]
    values = (
        request.form.to_dict(flat=True)
        if request.method == "POST"
        else {"occurred_on": today().isoformat()}
    )
    return render_template(
        "lots/merge.html",
        rows=rows,
        checked=codes,
        product_form=form or "",
        q=q,
        forms=list(ProductForm),
        more_candidates=max(0, total - len(candidates)),
        mixed=len({(lot.crop, lot.product_form) for lot in chosen}) > 1,
        values=values,
        errors=errors,
        commingled=commingled,
        **_helpers(),
    ), (422 if request.method == "POST" else 200)


# --- transformations and voids ----------------------------------------------------------------


@bp.get("/transformations/<int:transformation_id>")
@requires(READ)
def transformation_detail(transformation_id: int):
    db = get_session()
    made = transformations.get_transformation(db, current_org_id(), transformation_id)
    inputs, outputs = transformations.parts_of(db, made)
    consumed = sum((q for _lot, q in inputs), Decimal("0"))
    produced = sum((lot.quantity_kg for lot in outputs), Decimal("0"))
    yield_pct = None
    if made.kind == TransformationKind.PROCESS and consumed:
        yield_pct = produced / consumed * 100
    return render_template(
        "lots/transformation_detail.html",
        t=made,
        inputs=inputs,
        outputs=outputs,
        consumed_kg=consumed,
        produced_kg=produced,
        yield_pct=yield_pct,
        can_write=_can_write(),
        **_helpers(),
    )


def _void_reason() -> str:
    data = VoidIn().load({k: v for k, v in request.form.items() if k == "reason"})
    return data["reason"]


@bp.post("/transformations/<int:transformation_id>/void")
@requires(REGISTRY_WRITE)
def transformation_void(transformation_id: int):
    db = get_session()
    made = transformations.get_transformation(
        db, current_org_id(), transformation_id
    )  # 404 if foreign
    back = url_for("lots.transformation_detail", transformation_id=made.id)
    try:
        transformations.void_transformation(
            db, current_org_id(), current_user_id(), made.id, _void_reason()
        )
    except ValidationError:
        flash(_("Give a reason to void the transformation."), "error")
        return redirect(back), 303
    except DomainError as exc:
        discard_changes()  # a redirect is a success status: make sure nothing half-done commits
        flash(exc.message, "error")
        return redirect(back), 303
    flash(_("Transformation voided; its input lots got their kilograms back."), "success")
    return redirect(back), 303


@bp.post("/bags/<serial>/void")
@requires(REGISTRY_WRITE)
def bag_void(serial: str):
    db = get_session()
    bag = bags.get_bag(db, current_org_id(), serial)  # 404 for another organisation's bag
    code = db.get(Lot, bag.lot_id).code
    back = url_for("lots.lot_detail", code=code) + "#bags"
    try:
        bags.void_bag(db, current_org_id(), current_user_id(), bag.serial, _void_reason())
    except ValidationError:
        flash(_("Give a reason to void the bag."), "error")
        return redirect(back), 303
    except DomainError as exc:
        discard_changes()
        flash(exc.message, "error")
        return redirect(back), 303
    flash(
        _(
            "Bag %(serial)s voided; %(kg)s kg are back in lot %(code)s.",
            serial=bag.serial,
            kg=format_kg(bag.net_kg),
            code=code,
        ),
        "success",
    )
    return redirect(back), 303
