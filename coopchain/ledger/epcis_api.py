"""JSON API for the chain as GS1 EPCIS 2.0 (DOMAIN.md §9): a shipment's or a lot's
EPCISDocument (JSON-LD) and a paginated, filterable query of the organisation's events."""

import re

from flask import Response, jsonify, request
from marshmallow import fields, validate

from coopchain.auth.access import READ, api_requires, current_org_id
from coopchain.db import get_session
from coopchain.ledger import epcis
from coopchain.ledger.epcis_export import lot_document, query_events, shipment_document
from coopchain.public_url import public_base_url
from coopchain.schemas import PageSchema
from coopchain.web.api import api_blueprint, document

JSON_LD = "application/ld+json"


class EpcisQueryIn(PageSchema):
    """The query's filters, named as EPCIS 2.0's query interface names them."""

    GE_recordTime = fields.AwareDateTime(load_default=None)
    LT_recordTime = fields.AwareDateTime(load_default=None)
    eventType = fields.Str(load_default=None, validate=validate.OneOf(epcis.EVENT_TYPES))
    EQ_bizStep = fields.Str(load_default=None, validate=validate.OneOf(epcis.BIZ_STEPS))
    lot = fields.Str(load_default=None, validate=validate.Length(min=1, max=40))


_EPCIS_DOCUMENT = {
    "type": "object",
    "required": ["@context", "type", "schemaVersion", "creationDate", "epcisBody"],
    "properties": {
        "type": {"type": "string", "enum": ["EPCISDocument"]},
        "schemaVersion": {"type": "string"},
        "creationDate": {"type": "string", "format": "date-time"},
        "epcisBody": {
            "type": "object",
            "properties": {"eventList": {"type": "array", "items": {"type": "object"}}},
        },
    },
}
for _path, _params, _what in (
    ("/api/v1/shipments/{reference}/epcis.jsonld", ("reference",), "shipment"),
    ("/api/v1/lots/{code}/epcis.jsonld", ("code",), "lot"),
):
    _operation = document(
        _path,
        "get",
        f"The {_what}'s chain as a GS1 EPCIS 2.0 EPCISDocument (JSON-LD): deliveries, "
        "transformations, bags, packing and shipping, each with its ledger hash",
        text_params=_params,
    )
    # JSON-LD is JSON: described as the object it is (see docs/API.md, "EPCIS 2.0").
    _operation["responses"]["200"]["content"] = {JSON_LD: {"schema": _EPCIS_DOCUMENT}}

_query = document(
    "/api/v1/epcis/events",
    "get",
    "The organisation's supply-chain events as EPCIS 2.0 events, oldest first; filters: "
    "GE_recordTime, LT_recordTime, eventType, EQ_bizStep, lot",
    list_of="EpcisEvent",
    searchable=False,
    query={
        "GE_recordTime": {"type": "string", "format": "date-time"},
        "LT_recordTime": {"type": "string", "format": "date-time"},
        "eventType": {"type": "string", "enum": list(epcis.EVENT_TYPES)},
        "EQ_bizStep": {"type": "string", "enum": list(epcis.BIZ_STEPS)},
        "lot": {"type": "string", "minLength": 1, "maxLength": 40},
    },
)
_query["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["items"] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["@context", "type", "eventTime", "eventTimeZoneOffset"],
    },
}


def jsonld_download(data: dict, name: str) -> Response:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "epcis"
    return Response(
        epcis.to_bytes(data),
        mimetype=JSON_LD,
        headers={"Content-Disposition": f'attachment; filename="epcis-{safe}.jsonld"'},
    )


@api_blueprint.get("/shipments/<reference>/epcis.jsonld")
@api_requires(READ)
def shipments_epcis(reference: str):
    data = shipment_document(get_session(), current_org_id(), reference, public_base_url())
    return jsonld_download(data, reference)


@api_blueprint.get("/lots/<code>/epcis.jsonld")
@api_requires(READ)
def lots_epcis(code: str):
    data = lot_document(get_session(), current_org_id(), code, public_base_url())
    return jsonld_download(data, code)


@api_blueprint.get("/epcis/events")
@api_requires(READ)
def epcis_events():
    args = EpcisQueryIn().load(request.args.to_dict())
    items, total = query_events(
        get_session(),
        current_org_id(),
        public_base_url(),
        page=args["page"],
        per_page=args["per_page"],
        since=args["GE_recordTime"],
        until=args["LT_recordTime"],
        event_type=args["eventType"],
        biz_step=args["EQ_bizStep"],
        lot_code=args["lot"],
    )
    return jsonify(items=items, page=args["page"], per_page=args["per_page"], total=total)
