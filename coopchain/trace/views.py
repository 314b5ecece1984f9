"""Staff pages of the trace package: bag labels to print (the public pages a QR opens come
with the public trace issue). The views only fetch, call and send (DESIGN.md §3)."""

import io

from flask import Blueprint, request, send_file

from coopchain.auth.access import READ, current_principal, requires
from coopchain.db import get_session
from coopchain.shipments.services import bags_of, get_shipment
from coopchain.trace.labels import labels_pdf, live_bags_of_lot

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
