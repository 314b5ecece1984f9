"""The EPCIS 2.0 documents as downloads for signed-in staff and auditors (the shipment and lot
pages' buttons): the API's builder and bytes (epcis_api.py), with the session instead of an
API token."""

from coopchain.auth.access import READ, current_org_id, requires
from coopchain.db import get_session
from coopchain.ledger.epcis_api import jsonld_download
from coopchain.ledger.epcis_export import lot_document, shipment_document
from coopchain.ledger.views import bp
from coopchain.public_url import public_base_url


@bp.get("/shipments/<reference>/epcis.jsonld")
@requires(READ)
def shipment_epcis(reference: str):
    data = shipment_document(get_session(), current_org_id(), reference, public_base_url())
    return jsonld_download(data, reference)


@bp.get("/lots/<code>/epcis.jsonld")
@requires(READ)
def lot_epcis(code: str):
    data = lot_document(get_session(), current_org_id(), code, public_base_url())
    return jsonld_download(data, code)
