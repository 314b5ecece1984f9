"""JSON API for shipments: create and edit, status moves, bag allocation, and the documents a
shipment carries (bag labels, packing list).

Thin on purpose (DESIGN.md §3): parse with the shipments schemas, call one service, dump. The
rules (ISO 6346 check digit, frozen allocation after shipping, one crop per shipment) live in
services.py. Compliance and certificates are in certs/api.py, the EUDR package in certs/api_eudr.py.
"""

import io
import re

from flask import jsonify, request, send_file

from coopchain.auth.access import (
    READ,
    REGISTRY_WRITE,
    api_requires,
    current_org_id,
    current_user_id,
)
from coopchain.db import get_session
from coopchain.lots.schemas import BagOut
from coopchain.shipments import packing, services
from coopchain.shipments.models import Shipment, ShipmentStatus
from coopchain.shipments.schemas import (
    AdvanceIn,
    AllocateIn,
    AllocationOut,
    ReleaseIn,
    ShipmentDetailOut,
    ShipmentIn,
    ShipmentListArgs,
    ShipmentLotOut,
    ShipmentOut,
    ShipmentUpdateIn,
)
from coopchain.trace.api import send_labels
from coopchain.trace.label_sheets import LAYOUTS
from coopchain.web.api import (
    OPENAPI_SCHEMAS,
    api_blueprint,
    document,
    dump_with,
    page_args,
    page_of,
)
from coopchain.web.api import json_body as _json_body
from coopchain.web.downloads import XLSX, send_xlsx

OPENAPI_SCHEMAS.update(
    ShipmentIn=ShipmentIn,
    ShipmentUpdateIn=ShipmentUpdateIn,
    ShipmentOut=ShipmentOut,
    ShipmentLotOut=ShipmentLotOut,
    ShipmentDetailOut=ShipmentDetailOut,
    AdvanceIn=AdvanceIn,
    AllocateIn=AllocateIn,
    ReleaseIn=ReleaseIn,
    AllocationOut=AllocationOut,
)


def _binary(operation: dict, content_type: str) -> None:
    """Say what a document download returns (document() describes JSON bodies only)."""
    ok = operation["responses"]["200"]
    ok["content"] = {content_type: {"schema": {"type": "string", "format": "binary"}}}


document(
    "/api/v1/shipments",
    "get",
    "List shipments, newest first (q: reference, buyer, container)",
    list_of="ShipmentOut",
    query={"status": {"type": "string", "enum": [s.value for s in ShipmentStatus]}},
)
document(
    "/api/v1/shipments",
    "post",
    "Create a shipment (container number checked per ISO 6346)",
    body="ShipmentIn",
    response="ShipmentDetailOut",
)
document(
    "/api/v1/shipments/{reference}",
    "get",
    "One shipment with its lots and running totals",
    response="ShipmentDetailOut",
    text_params=("reference",),
)
document(
    "/api/v1/shipments/{reference}",
    "put",
    "Change a shipment's fields (those sent; null clears one), e.g. the EUDR DDS numbers",
    body="ShipmentUpdateIn",
    response="ShipmentDetailOut",
    text_params=("reference",),
)
document(
    "/api/v1/shipments/{reference}/advance",
    "post",
    "Move to the next status: planned → loading → shipped (freezes the bags) → delivered",
    body="AdvanceIn",
    response="ShipmentDetailOut",
    text_params=("reference",),
    status="200",
)
document(
    "/api/v1/shipments/{reference}/allocate",
    "post",
    "Put whole lots' free bags and/or bags by serial on the shipment (all or nothing)",
    body="AllocateIn",
    response="AllocationOut",
    text_params=("reference",),
    status="200",
)
document(
    "/api/v1/shipments/{reference}/release",
    "post",
    "Take bags off a shipment that has not left",
    body="ReleaseIn",
    response="AllocationOut",
    text_params=("reference",),
    status="200",
)
document(
    "/api/v1/shipments/{reference}/bags",
    "get",
    "The shipment's bags by lot and serial",
    list_of="BagOut",
    searchable=False,
    text_params=("reference",),
)
_binary(
    document(
        "/api/v1/shipments/{reference}/labels.pdf",
        "get",
        "Labels of the shipment's bags with their QR codes: an A4 sheet (layout=sheet) or one "
        "100 × 150 mm page per bag (layout=single); above JOBS_LABEL_BAGS bags (100 by "
        "default) 409 job_required names the POST that makes them as a job",
        text_params=("reference",),
        query={"layout": {"type": "string", "enum": list(LAYOUTS), "default": "sheet"}},
    ),
    "application/pdf",
)
_binary(
    document(
        "/api/v1/shipments/{reference}/packing-list.xlsx",
        "get",
        "The packing list as .xlsx: the shipment, its lots and every bag",
        text_params=("reference",),
    ),
    XLSX,
)
_binary(
    document(
        "/api/v1/shipments/{reference}/packing-list.pdf",
        "get",
        "The packing list as an A4 PDF",
        text_params=("reference",),
    ),
    "application/pdf",
)


def _shipment_out(shipment: Shipment, *, detail: bool = True) -> dict:
    totals = services.totals_of(get_session(), shipment)
    derived = {"bags": totals.bags, "net_kg": totals.net_kg}
    if not detail:
        return dump_with(ShipmentOut(), shipment, **derived)
    lots = [
        {
            "lot": line.lot.code,
            "product_form": line.lot.product_form,
            "bags": line.bags,
            "net_kg": line.net_kg,
            "first_serial": line.first_serial,
            "last_serial": line.last_serial,
        }
        for line in totals.lines
    ]
    return dump_with(ShipmentDetailOut(), shipment, lots=lots, **derived)


@api_blueprint.get("/shipments")
@api_requires(READ)
def shipments_list():
    args = ShipmentListArgs().load(request.args.to_dict())
    items, total = services.list_shipments(
        get_session(),
        current_org_id(),
        q=args["q"],
        status=args["status"],
        page=args["page"],
        per_page=args["per_page"],
    )
    return page_of([_shipment_out(s, detail=False) for s in items], total, args)


@api_blueprint.post("/shipments")
@api_requires(REGISTRY_WRITE)
def shipments_create():
    data = ShipmentIn().load(_json_body())
    shipment = services.create_shipment(get_session(), current_org_id(), current_user_id(), data)
    return jsonify(_shipment_out(shipment)), 201


@api_blueprint.get("/shipments/<reference>")
@api_requires(READ)
def shipments_get(reference: str):
    return jsonify(_shipment_out(services.get_shipment(get_session(), current_org_id(), reference)))


@api_blueprint.put("/shipments/<reference>")
@api_requires(REGISTRY_WRITE)
def shipments_update(reference: str):
    services.get_shipment(get_session(), current_org_id(), reference)  # 404 before any 422
    data = ShipmentUpdateIn().load(_json_body())
    shipment = services.update_shipment(
        get_session(), current_org_id(), current_user_id(), reference, data
    )
    return jsonify(_shipment_out(shipment))


@api_blueprint.post("/shipments/<reference>/advance")
@api_requires(REGISTRY_WRITE)
def shipments_advance(reference: str):
    services.get_shipment(get_session(), current_org_id(), reference)
    # The body is optional: without one the move happens today.
    data = AdvanceIn().load(request.get_json(silent=True) or {})
    shipment = services.advance_status(
        get_session(), current_org_id(), current_user_id(), reference, data["on"]
    )
    return jsonify(_shipment_out(shipment))


@api_blueprint.post("/shipments/<reference>/allocate")
@api_requires(REGISTRY_WRITE)
def shipments_allocate(reference: str):
    services.get_shipment(get_session(), current_org_id(), reference)
    data = AllocateIn().load(_json_body())
    added = services.allocate(
        get_session(),
        current_org_id(),
        current_user_id(),
        reference,
        lot_codes=data["lot_codes"],
        serials=data["serials"],
    )
    shipment = services.get_shipment(get_session(), current_org_id(), reference)
    # AllocationOut: the shipment part is dumped already.
    return jsonify(serials=sorted(b.serial for b in added), shipment=_shipment_out(shipment))


@api_blueprint.post("/shipments/<reference>/release")
@api_requires(REGISTRY_WRITE)
def shipments_release(reference: str):
    services.get_shipment(get_session(), current_org_id(), reference)
    data = ReleaseIn().load(_json_body())
    released = services.release(
        get_session(), current_org_id(), current_user_id(), reference, data["serials"]
    )
    shipment = services.get_shipment(get_session(), current_org_id(), reference)
    # AllocationOut: the shipment part is dumped already.
    return jsonify(serials=sorted(b.serial for b in released), shipment=_shipment_out(shipment))


@api_blueprint.get("/shipments/<reference>/bags")
@api_requires(READ)
def shipments_bags(reference: str):
    args = page_args()
    db = get_session()
    rows = services.bags_of(db, services.get_shipment(db, current_org_id(), reference))
    start = (args["page"] - 1) * args["per_page"]
    items = [
        dump_with(BagOut(), bag, lot=lot.code)
        for bag, lot in rows[start : start + args["per_page"]]
    ]
    return page_of(items, len(rows), args)


@api_blueprint.get("/shipments/<reference>/labels.pdf")
@api_requires(READ)
def shipments_labels_pdf(reference: str):
    return send_labels("shipment", reference, _safe(reference))


def _safe(reference: str) -> str:
    """A reference as a file name part (it may hold spaces and accents)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", reference).strip("-") or "shipment"


@api_blueprint.get("/shipments/<reference>/packing-list.xlsx")
@api_requires(READ)
def shipments_packing_list_xlsx(reference: str):
    context = packing.packing_list_context(get_session(), current_org_id(), reference)
    return send_xlsx(packing.packing_list_workbook(context), packing.filename(context, "xlsx"))


@api_blueprint.get("/shipments/<reference>/packing-list.pdf")
@api_requires(READ)
def shipments_packing_list_pdf(reference: str):
    context = packing.packing_list_context(get_session(), current_org_id(), reference)
    return send_file(
        io.BytesIO(packing.render_packing_list_pdf(context)),
        mimetype="application/pdf",
        download_name=packing.filename(context, "pdf"),
    )
