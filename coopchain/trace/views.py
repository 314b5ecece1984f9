"""Staff pages of the trace package: bag labels to print, QR images of bags and lots, and the
organisation's GTIN setting (the public pages a QR opens are in public_views.py). The views
only fetch, call and send (DESIGN.md §3)."""

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from coopchain.auth.access import ADMIN, READ, current_principal, requires
from coopchain.auth.models import Organization
from coopchain.db import discard_changes, get_session
from coopchain.errors import Conflict, DomainError
from coopchain.lots.bags import get_bag
from coopchain.lots.models import Lot
from coopchain.lots.services import get_lot
from coopchain.shipments.services import bags_of, get_shipment
from coopchain.trace.label_sheets import labels_pdf, live_bags_of_lot
from coopchain.trace.qr import bag_qr_data, lot_qr_data, qr_png, qr_svg
from coopchain.trace.settings import set_gtin

bp = Blueprint("trace", __name__)


def send_pdf(data: bytes, filename: str):
    return send_file(io.BytesIO(data), mimetype="application/pdf", download_name=filename)


def send_lot_labels(code: str):
    """Labels of every live bag of lot `code`, ?layout=sheet (default) or single. Another
    organisation's lot, or a lot without bags, is a 404 that says so."""
    layout = request.args.get("layout", "sheet")
    session, org_id = get_session(), current_principal().organization_id
    bags = live_bags_of_lot(session, org_id, code)
    return send_pdf(labels_pdf(session, org_id, bags, layout), f"labels-{code}-{layout}.pdf")


@bp.get("/lots/<code>/labels.pdf")
@requires(READ)
def lot_labels(code: str):
    return send_lot_labels(code)


@bp.get("/shipments/<reference>/labels.pdf")
@requires(READ)
def shipment_labels(reference: str):
    """Labels of the bags on a shipment (the export office prints them as it loads)."""
    layout = request.args.get("layout", "sheet")
    session, org_id = get_session(), current_principal().organization_id
    shipment = get_shipment(session, org_id, reference)  # 404 for another organisation's
    bags = [bag for bag, _lot in bags_of(session, shipment)]
    filename = f"labels-{shipment.reference}-{layout}.pdf"
    return send_pdf(labels_pdf(session, org_id, bags, layout), filename)


#: QR image formats: PNG for office software, SVG for print shops (scales without blur).
QR_FORMATS = {"png": "image/png", "svg": "image/svg+xml"}


def send_qr(data: str, fmt: str, name: str):
    if fmt not in QR_FORMATS:
        abort(404)
    body = qr_png(data) if fmt == "png" else qr_svg(data).encode()
    return send_file(io.BytesIO(body), mimetype=QR_FORMATS[fmt], download_name=f"{name}.{fmt}")


def lot_qr(code: str, fmt: str):
    """The QR code of lot `code`'s public page (a GS1 Digital Link when a GTIN is set)."""
    session, org_id = get_session(), current_principal().organization_id
    lot = get_lot(session, org_id, code)
    if lot.voided_at is not None:  # its public page is gone: a QR would lead nowhere
        raise Conflict(_("Lot %(code)s is voided: no QR code.", code=lot.code))
    data = lot_qr_data(session.get(Organization, org_id), lot)
    return send_qr(data, fmt, f"qr-{lot.code}")


def bag_qr(serial: str, fmt: str):
    session, org_id = get_session(), current_principal().organization_id
    bag = get_bag(session, org_id, serial)
    if bag.voided_at is not None:  # its public page is gone: a QR would lead nowhere
        raise Conflict(_("Bag %(serial)s is voided: no QR code.", serial=bag.serial))
    data = bag_qr_data(session.get(Organization, org_id), session.get(Lot, bag.lot_id), bag)
    return send_qr(data, fmt, f"qr-{bag.serial}")


@bp.get("/lots/<code>/qr.<fmt>")
@requires(READ)
def lot_qr_image(code: str, fmt: str):
    return lot_qr(code, fmt)


@bp.get("/bags/<serial>/qr.<fmt>")
@requires(READ)
def bag_qr_image(serial: str, fmt: str):
    return bag_qr(serial, fmt)


@bp.route("/settings/public-trace", methods=["GET", "POST"])
@requires(ADMIN)
def public_settings():
    """The GTIN that makes QR codes GS1 Digital Links (admins only)."""
    session, principal = get_session(), current_principal()
    organization = session.get(Organization, principal.organization_id)
    error, value = None, organization.gtin or ""
    if request.method == "POST":
        value = request.form.get("gtin", "")[:40]
        try:
            saved = set_gtin(session, principal.organization_id, principal.user_id, value)
        except DomainError as exc:
            discard_changes()
            error = exc.message
        else:
            message = (
                _("GTIN saved: QR codes now carry GS1 Digital Links.")
                if saved
                else _("GTIN removed: QR codes carry the plain page address.")
            )
            flash(message, "success")
            return redirect(url_for("trace.public_settings"))
    return render_template(
        "trace/public_settings.html", value=value, error=error, gtin=organization.gtin
    ), (422 if error else 200)
