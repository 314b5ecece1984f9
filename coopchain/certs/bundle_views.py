"""A shipment's signed document bundle as a download: for signed-in staff and auditors (the
shipment page's button) and for API clients (/api/v1/shipments/<ref>/bundle.zip). The zip is
built by certs/bundle.py; these views only send it.
"""

import io

from flask import send_file

from coopchain.auth.access import READ, api_requires, current_org_id, requires
from coopchain.certs.bundle import shipment_bundle
from coopchain.certs.views import bp
from coopchain.db import get_session
from coopchain.shipments.services import get_shipment
from coopchain.web.api import api_blueprint, document

ZIP = "application/zip"

document(
    "/api/v1/shipments/{reference}/bundle.zip",
    "get",
    "The shipment's document bundle: its certificate, packing list (PDF, signed, and xlsx), "
    "EUDR GeoJSON, MANIFEST.sha256 with every file's sha256, MANIFEST.sha256.p7s (detached "
    "CMS signature of the manifest with the organisation's key) and signer.pem; 404 without a "
    "valid certificate, 409 without a signing key",
    text_params=("reference",),
)["responses"]["200"]["content"] = {ZIP: {"schema": {"type": "string", "format": "binary"}}}


def _send(reference: str):
    db = get_session()
    shipment = get_shipment(db, current_org_id(), reference)
    name, data = shipment_bundle(db, current_org_id(), shipment.reference)
    return send_file(io.BytesIO(data), mimetype=ZIP, as_attachment=True, download_name=name)


@bp.get("/shipments/<reference>/bundle.zip")
@requires(READ)
def shipment_bundle_zip(reference: str):
    return _send(reference)


@api_blueprint.get("/shipments/<reference>/bundle.zip")
@api_requires(READ)
def shipments_bundle(reference: str):
    return _send(reference)
