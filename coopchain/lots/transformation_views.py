"""A transformation's page, and the void actions: voiding a transformation (its inputs get
their kilograms back) and voiding a bag (its kilograms go back to the lot). Both answer with a
redirect and a message, never a form.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from coopchain.auth.access import READ, REGISTRY_WRITE, current_org_id, current_user_id, requires
from coopchain.db import discard_changes, get_session
from coopchain.errors import DomainError
from coopchain.formatting import kg as format_kg
from coopchain.lots import bags, transformations
from coopchain.lots.blueprint import bp
from coopchain.lots.models import Lot
from coopchain.lots.page_helpers import can_write as _can_write
from coopchain.lots.page_helpers import page_helpers as _helpers
from coopchain.lots.schemas import VoidIn


@bp.get("/transformations/<int:transformation_id>")
@requires(READ)
def transformation_detail(transformation_id: int):
    db = get_session()
    made = transformations.get_transformation(db, current_org_id(), transformation_id)
    inputs, outputs = transformations.parts_of(db, made)
    consumed, produced, yield_pct = transformations.kg_and_yield(made, inputs, outputs)
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
