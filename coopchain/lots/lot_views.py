"""Lot pages: the list and a lot's page (quantities, origins, genealogy, what used it) with its
actions (split, process, sample, bags). Merging is in merge_views.py; a transformation's page
and the voids are in transformation_views.py.

Views stay thin (DESIGN.md §3): forms are loaded with the lots schemas, the work is done by
transformations.py and bags.py, and a lot's origins come only from `origins.origins_of`.
A refused action shows the lot page again with status 422, so the request rolls back.
"""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from marshmallow import ValidationError

from coopchain.auth.access import READ, REGISTRY_WRITE, current_org_id, current_user_id, requires
from coopchain.clock import today
from coopchain.db import discard_changes, get_session
from coopchain.errors import DomainError
from coopchain.forest.evidence import forest_summary
from coopchain.formatting import kg as format_kg
from coopchain.forms import flat_errors, form_errors, load_form
from coopchain.lots import bags, consumption, origins, rules, services, transformations
from coopchain.lots.blueprint import bp
from coopchain.lots.genealogy import genealogy_svg
from coopchain.lots.list_facts import facts_of
from coopchain.lots.lot_forms import _to_lot
from coopchain.lots.models import Lot, LotStatus, ProductForm
from coopchain.lots.page_helpers import can_write as _can_write
from coopchain.lots.page_helpers import page_helpers as _helpers
from coopchain.lots.schemas import BagsIn, ProcessIn, SampleIn, SplitIn
from coopchain.quality.summary import lot_quality_summary
from coopchain.schemas import PageSchema

#: Delivery rows shown on a lot page; the spreadsheet export has them all.
#: Delivery rows on the lot page; the plot table above covers them all, the export lists all.
ORIGIN_ROWS = 100
SPLIT_INPUTS = 6
FORMS = {form.value for form in ProductForm}
STATUSES = {status.value for status in LotStatus}


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
        facts=facts_of(get_session(), current_org_id(), lots),
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
    used = consumption.consumption_of(db, lot)
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
        errors = flat_errors(exc.messages)
    except DomainError as exc:
        errors = form_errors(exc)
    discard_changes()
    lot = services.get_lot(db, current_org_id(), code)  # re-read after the rollback
    return _lot_page(lot, action=action, errors=errors, status=422)


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
            ngettext(
                "%(num)s bag created: %(first)s – %(last)s.",
                "%(num)s bags created: %(first)s – %(last)s.",
                len(made),
                first=made[0].serial,
                last=made[-1].serial,
            ),
            "success",
        )
        return _to_lot(lot.code)

    return _act(code, "bags", BagsIn(exclude=("lot",)), do, done)
