"""Staff pages for shipments: the list, creating and editing a shipment, and its packing list
(.xlsx and PDF). A shipment's own page and the actions on it are in detail_views.py.

Views stay thin (DESIGN.md §3): the form is handed to shipments.services, which checks every
field (ISO 6346, NOP format, Incoterms…) and names each bad one. A refused form or action shows
its page again with 422 (409 when the shipment's state forbids it), so nothing is written.
"""

import io
from datetime import date

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from marshmallow import ValidationError

from coopchain.auth.access import (
    READ,
    REGISTRY_WRITE,
    current_org_id,
    current_principal,
    current_user_id,
    requires,
)
from coopchain.db import discard_changes, get_session
from coopchain.errors import DomainError
from coopchain.formatting import kg as format_kg
from coopchain.forms import form_errors
from coopchain.schemas import PageSchema
from coopchain.shipments import packing, rules, services
from coopchain.shipments.fields import EDITABLE
from coopchain.shipments.models import Shipment, ShipmentStatus
from coopchain.web.downloads import send_xlsx

bp = Blueprint("shipments", __name__)

STATUSES = {status.value for status in ShipmentStatus}
DATE_FIELDS = ("planned_loading_on", "planned_arrival_on")
#: The new-shipment form: the DDS numbers come later, from the importer (DOMAIN.md §2).
NEW_FIELDS = ("reference", "crop") + tuple(
    name for name in EDITABLE if not name.startswith("eudr_")
)
EDIT_FIELDS = EDITABLE


def can_write() -> bool:
    return current_principal().role in REGISTRY_WRITE


def _helpers() -> dict:
    return {
        "kg": format_kg,
        "run_end": packing.run_end,
        "can_write": can_write(),
        "incoterms": rules.INCOTERMS,
        "crops": ("coffee", "pitahaya"),
    }


# --- list -------------------------------------------------------------------------------------


@bp.get("/shipments")
@requires(READ)
def shipment_list():
    try:
        wanted = PageSchema().fields
        args = PageSchema().load({k: v for k, v in request.args.items() if k in wanted})
    except ValidationError:
        args = {"page": 1, "per_page": 25, "q": None}
    status = request.args.get("status") or None
    status = status if status in STATUSES else None
    shipments, total = services.list_shipments(
        get_session(),
        current_org_id(),
        q=args.get("q"),
        status=status,
        page=args["page"],
        per_page=args["per_page"],
    )
    return render_template(
        "shipments/shipment_list.html",
        shipments=shipments,
        total=total,
        counts=services.bag_counts(get_session(), [s.id for s in shipments]),
        page=args["page"],
        pages=max(1, -(-total // args["per_page"])),
        q=args.get("q") or "",
        status=status or "",
        statuses=list(ShipmentStatus),
        **_helpers(),
    )


# --- create and edit --------------------------------------------------------------------------


def _form_data(names: tuple[str, ...]) -> dict:
    """The submitted fields (only those on the form, so a hidden one is left alone); dates
    parsed, and a date that does not parse passed on as text for the service to refuse."""
    data = {}
    for name in names:
        if name not in request.form:
            continue
        raw = request.form.get(name, "")
        if name in DATE_FIELDS:
            raw = raw.strip()
            try:
                data[name] = date.fromisoformat(raw) if raw else None
            except ValueError:
                data[name] = raw
        else:
            data[name] = raw
    return data


def _form_page(template_values: dict, errors: dict, shipment: Shipment | None, status: int):
    return render_template(
        "shipments/shipment_form.html",
        values=template_values,
        errors=errors,
        shipment=shipment,
        **_helpers(),
    ), status


@bp.route("/shipments/new", methods=["GET", "POST"])
@requires(REGISTRY_WRITE)
def shipment_new():
    if request.method == "GET":
        return _form_page({"crop": "coffee", "buyer_country": ""}, {}, None, 200)
    try:
        shipment = services.create_shipment(
            get_session(), current_org_id(), current_user_id(), _form_data(NEW_FIELDS)
        )
    except DomainError as exc:
        discard_changes()
        return _form_page(request.form.to_dict(), form_errors(exc), None, exc.status)
    flash(_("Shipment %(reference)s created.", reference=shipment.reference), "success")
    return redirect(url_for("shipments.shipment_detail", reference=shipment.reference))


def _current_values(shipment: Shipment) -> dict:
    values = {}
    for name in EDIT_FIELDS:
        value = getattr(shipment, name)
        values[name] = value.isoformat() if isinstance(value, date) else (value or "")
    return values


@bp.route("/shipments/<reference>/edit", methods=["GET", "POST"])
@requires(REGISTRY_WRITE)
def shipment_edit(reference: str):
    db = get_session()
    shipment = services.get_shipment(
        db, current_org_id(), reference
    )  # 404 for another organisation's
    if request.method == "GET":
        return _form_page(_current_values(shipment), {}, shipment, 200)
    try:
        services.update_shipment(
            db, current_org_id(), current_user_id(), reference, _form_data(EDIT_FIELDS)
        )
    except DomainError as exc:
        discard_changes()
        shipment = services.get_shipment(db, current_org_id(), reference)
        return _form_page(request.form.to_dict(), form_errors(exc), shipment, exc.status)
    flash(_("Shipment %(reference)s saved.", reference=reference), "success")
    return redirect(url_for("shipments.shipment_detail", reference=reference))


# --- packing list -----------------------------------------------------------------------------


@bp.get("/shipments/<reference>/packing-list.xlsx")
@requires(READ)
def packing_list_xlsx(reference: str):
    context = packing.packing_list_context(get_session(), current_org_id(), reference)
    return send_xlsx(packing.packing_list_workbook(context), packing.filename(context, "xlsx"))


@bp.get("/shipments/<reference>/packing-list.pdf")
@requires(READ)
def packing_list_pdf(reference: str):
    context = packing.packing_list_context(get_session(), current_org_id(), reference)
    return send_file(
        io.BytesIO(packing.render_packing_list_pdf(context)),
        mimetype="application/pdf",
        download_name=packing.filename(context, "pdf"),
    )
