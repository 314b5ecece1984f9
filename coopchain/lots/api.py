"""JSON API for deliveries and lots (with their origins); transformations are in
api_transformations.py, bags in api_bags.py.

Thin on purpose (DESIGN.md §3): parse with the lots schemas, call one service, dump. Every
rule (intake checks, commingling, quantities, voids) lives in the services.
"""

from decimal import Decimal

from flask import jsonify, request
from marshmallow import Schema, fields, validate

from coopchain.auth.access import (
    READ,
    REGISTRY_WRITE,
    api_requires,
    current_org_id,
    current_principal,
    current_user_id,
)
from coopchain.db import get_session, settings_of
from coopchain.farms import producers
from coopchain.lots import consumption, origins, services
from coopchain.lots.models import LotStatus, ProductForm
from coopchain.lots.schemas import (
    BagOut,
    BagsIn,
    DeliveryIn,
    DeliveryOut,
    LotDetailOut,
    LotOut,
    MergeApiIn,
    OriginOut,
    ProcessApiIn,
    QuantityOut,
    SampleApiIn,
    SplitApiIn,
    TransformationOut,
    VoidIn,
)
from coopchain.payments.intake import may_pay_advance, record_intake_advance
from coopchain.payments.queries import advances_of
from coopchain.schemas import DecimalOut, PageSchema
from coopchain.web.api import (
    OPENAPI_SCHEMAS,
    api_blueprint,
    document,
    dump_with,
    page_args,
    page_of,
    paginated,
)
from coopchain.web.api import json_body as _json_body

# --- API-only schemas: query strings and envelopes --------------------------------------------


class LotListArgs(PageSchema):
    product_form = fields.Str(
        load_default=None, validate=validate.OneOf([f.value for f in ProductForm])
    )
    status = fields.Str(load_default=None, validate=validate.OneOf([s.value for s in LotStatus]))


class LotOriginsOut(Schema):
    """A lot's origins and the totals an auditor checks them against."""

    lot = fields.Str()
    quantity_kg = DecimalOut(places=3)
    #: Σ origins' kg; always equal to quantity_kg.
    origins_kg = DecimalOut(places=3)
    organic_status = fields.Str()
    downgraded = fields.Bool()
    all_under_agreement = fields.Bool()
    producer_count = fields.Int()
    plot_count = fields.Int()
    origins = fields.List(fields.Nested(OriginOut))


class BagsOut(Schema):
    items = fields.List(fields.Nested(BagOut))


# Nested schemas first, so the spec names them once.
OPENAPI_SCHEMAS.update(
    OriginOut=OriginOut,
    QuantityOut=QuantityOut,
    DeliveryIn=DeliveryIn,
    DeliveryOut=DeliveryOut,
    VoidIn=VoidIn,
    LotOut=LotOut,
    LotDetailOut=LotDetailOut,
    LotOriginsOut=LotOriginsOut,
    MergeApiIn=MergeApiIn,
    SplitApiIn=SplitApiIn,
    ProcessApiIn=ProcessApiIn,
    SampleApiIn=SampleApiIn,
    TransformationOut=TransformationOut,
    BagsIn=BagsIn,
    BagOut=BagOut,
    BagsOut=BagsOut,
)


# --- deliveries -------------------------------------------------------------------------------

document(
    "/api/v1/deliveries",
    "get",
    "List deliveries, newest first (q: ticket, producer, lot code)",
    list_of="DeliveryOut",
)
document(
    "/api/v1/deliveries",
    "post",
    "Register an intake ticket; creates its origin lot. price_entered is in price_unit (kg, or "
    "qq = 46 kg; default: the product form's unit). advance_amount (with advance_method, "
    "advance_cci, advance_reference) pays an advance at intake in the same transaction",
    body="DeliveryIn",
    response="DeliveryOut",
)
document(
    "/api/v1/deliveries/{delivery_id}",
    "get",
    "One delivery",
    response="DeliveryOut",
    params=("delivery_id",),
)
document(
    "/api/v1/deliveries/{delivery_id}/void",
    "post",
    "Void a mistaken ticket (only while its lot is untouched)",
    body="VoidIn",
    response="DeliveryOut",
    params=("delivery_id",),
    status="200",
)


def _delivery_out(delivery) -> dict:
    db = get_session()
    producer = producers.get_producer(db, delivery.organization_id, delivery.producer_id)
    lot = services.lot_of_delivery(db, delivery)
    advances = advances_of(db, delivery.organization_id, [delivery.id])
    return dump_with(
        DeliveryOut(),
        delivery,
        producer_code=producer.member_code,
        lot_code=lot.code,
        advance_payment=advances.get(delivery.id),
    )


@api_blueprint.get("/deliveries")
@api_requires(READ)
def deliveries_list():
    args = page_args()
    rows, total = services.list_deliveries(
        get_session(), current_org_id(), args["q"], args["page"], args["per_page"]
    )
    advances = advances_of(get_session(), current_org_id(), [d.id for d, *_rest in rows])
    items = [
        dump_with(
            DeliveryOut(),
            d,
            producer_code=producer.member_code,
            lot_code=lot.code,
            advance_payment=advances.get(d.id),
        )
        for d, producer, _plot, lot in rows
    ]
    return page_of(items, total, args)


@api_blueprint.post("/deliveries")
@api_requires(REGISTRY_WRITE)
def deliveries_create():
    data = DeliveryIn().load(_json_body())
    db, org = get_session(), current_org_id()
    delivery = services.register_delivery(db, org, current_user_id(), data)
    # In the same transaction: a refused advance refuses the ticket too (nothing is written).
    record_intake_advance(
        db,
        org,
        current_user_id(),
        delivery,
        data,
        allowed=may_pay_advance(current_principal().role, settings_of(db)),
    )
    return jsonify(_delivery_out(delivery)), 201


@api_blueprint.get("/deliveries/<int:delivery_id>")
@api_requires(READ)
def deliveries_get(delivery_id: int):
    return jsonify(
        _delivery_out(services.get_delivery(get_session(), current_org_id(), delivery_id))
    )


@api_blueprint.post("/deliveries/<int:delivery_id>/void")
@api_requires(REGISTRY_WRITE)
def deliveries_void(delivery_id: int):
    services.get_delivery(get_session(), current_org_id(), delivery_id)  # 404 before any 422
    data = VoidIn().load(_json_body())
    delivery = services.void_delivery(
        get_session(), current_org_id(), current_user_id(), delivery_id, data["reason"]
    )
    return jsonify(_delivery_out(delivery))


# --- lots -------------------------------------------------------------------------------------

document(
    "/api/v1/lots",
    "get",
    "List lots, newest first (q: lot code)",
    list_of="LotOut",
    query={
        "product_form": {"type": "string", "enum": [f.value for f in ProductForm]},
        "status": {"type": "string", "enum": [s.value for s in LotStatus]},
    },
)
document(
    "/api/v1/lots/{code}",
    "get",
    "One lot with what was consumed and its origins",
    response="LotDetailOut",
    text_params=("code",),
)
document(
    "/api/v1/lots/{code}/origins",
    "get",
    "The deliveries, plots and producers a lot comes from, kg each",
    response="LotOriginsOut",
    text_params=("code",),
)


@api_blueprint.get("/lots")
@api_requires(READ)
def lots_list():
    args = LotListArgs().load(request.args.to_dict())
    items, total = services.list_lots(
        get_session(),
        current_org_id(),
        q=args["q"],
        product_form=args["product_form"],
        status=args["status"],
        page=args["page"],
        per_page=args["per_page"],
    )
    return paginated(items, total, args, LotOut())


@api_blueprint.get("/lots/<code>")
@api_requires(READ)
def lots_get(code: str):
    db = get_session()
    lot = services.get_lot(db, current_org_id(), code)
    found = origins.origins_of(db, lot)
    return jsonify(
        dump_with(
            LotDetailOut(),
            lot,
            consumed_kg=consumption.consumption_of(db, lot)["consumed_kg"],
            organic_status=found.organic_status,
            all_under_agreement=found.all_under_agreement,
            producer_count=found.producer_count,
            plot_count=found.plot_count,
            origins=found.origins,
        )
    )


@api_blueprint.get("/lots/<code>/origins")
@api_requires(READ)
def lots_origins(code: str):
    db = get_session()
    lot = services.get_lot(db, current_org_id(), code)
    found = origins.origins_of(db, lot)
    return jsonify(
        dump_with(
            LotOriginsOut(),
            found,
            lot=lot.code,
            origins_kg=sum((origin.kg for origin in found.origins), Decimal("0.000")),
        )
    )
