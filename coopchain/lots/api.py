"""JSON API for deliveries, lots (with their origins), transformations and bags.

Thin on purpose (DESIGN.md §3): parse with the lots schemas, call one service, dump. Every
rule (intake checks, commingling, quantities, voids) lives in the services.
"""

from decimal import Decimal

from flask import jsonify, request
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate

from coopchain.auth.access import (
    READ,
    REGISTRY_WRITE,
    api_requires,
    current_org_id,
    current_user_id,
)
from coopchain.db import get_session
from coopchain.farms import services as farm_services
from coopchain.lots import bags, origins, services, transformations
from coopchain.lots.models import Lot, LotStatus, ProductForm, TransformationKind
from coopchain.lots.schemas import (
    BagOut,
    BagsIn,
    DeliveryIn,
    DeliveryOut,
    LotDetailOut,
    LotOut,
    MergeIn,
    OriginOut,
    ProcessIn,
    QuantityOut,
    SampleIn,
    SplitIn,
    TransformationOut,
    VoidIn,
)
from coopchain.schemas import PageSchema
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


class BagListArgs(PageSchema):
    lot = fields.Str(load_default=None)


class LotOriginsOut(Schema):
    """A lot's origins and the totals an auditor checks them against."""

    lot = fields.Str()
    quantity_kg = fields.Decimal(as_string=True)
    #: Σ origins' kg; always equal to quantity_kg.
    origins_kg = fields.Decimal(as_string=True)
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
    MergeIn=MergeIn,
    SplitIn=SplitIn,
    ProcessIn=ProcessIn,
    SampleIn=SampleIn,
    TransformationOut=TransformationOut,
    BagsIn=BagsIn,
    BagOut=BagOut,
    BagsOut=BagsOut,
)

#: The body's "kind" picks the schema and the service (transformations.py).
_KINDS = {
    TransformationKind.MERGE: MergeIn,
    TransformationKind.SPLIT: SplitIn,
    TransformationKind.PROCESS: ProcessIn,
    TransformationKind.SAMPLE: SampleIn,
}


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
    "Register an intake ticket; creates its origin lot",
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
    producer = farm_services.get_producer(db, delivery.organization_id, delivery.producer_id)
    lot = services.lot_of_delivery(db, delivery)
    return dump_with(DeliveryOut(), delivery, producer_code=producer.member_code, lot_code=lot.code)


@api_blueprint.get("/deliveries")
@api_requires(READ)
def deliveries_list():
    args = page_args()
    rows, total = services.list_deliveries(
        get_session(), current_org_id(), args["q"], args["page"], args["per_page"]
    )
    items = [
        dump_with(DeliveryOut(), d, producer_code=producer.member_code, lot_code=lot.code)
        for d, producer, _plot, lot in rows
    ]
    return page_of(items, total, args)


@api_blueprint.post("/deliveries")
@api_requires(REGISTRY_WRITE)
def deliveries_create():
    data = DeliveryIn().load(_json_body())
    delivery = services.register_delivery(get_session(), current_org_id(), current_user_id(), data)
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
            consumed_kg=services.consumption_of(db, lot)["consumed_kg"],
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


# --- transformations --------------------------------------------------------------------------

document(
    "/api/v1/transformations",
    "get",
    "List transformations, newest first",
    list_of="TransformationOut",
    searchable=False,
)
_create_transformation = document(
    "/api/v1/transformations",
    "post",
    "Merge, split, process or sample lots (body: kind + that kind's fields)",
    body="MergeIn",
    response="TransformationOut",
)
# One body per kind, told apart by "kind".
_create_transformation["requestBody"]["content"]["application/json"]["schema"] = {
    "oneOf": [
        {
            "allOf": [
                {"$ref": f"#/components/schemas/{schema.__name__}"},
                {
                    "type": "object",
                    "required": ["kind"],
                    "properties": {"kind": {"type": "string", "enum": [kind.value]}},
                },
            ]
        }
        for kind, schema in _KINDS.items()
    ]
}
document(
    "/api/v1/transformations/{transformation_id}",
    "get",
    "One transformation with its inputs and outputs",
    response="TransformationOut",
    params=("transformation_id",),
)
document(
    "/api/v1/transformations/{transformation_id}/void",
    "post",
    "Void a transformation (only while its outputs are untouched); inputs get their kg back",
    body="VoidIn",
    response="TransformationOut",
    params=("transformation_id",),
    status="200",
)


def _transformation_out(transformation) -> dict:
    inputs, outputs = transformations.parts_of(get_session(), transformation)
    return dump_with(
        TransformationOut(),
        transformation,
        inputs=[
            {"lot": lot.code, "product_form": lot.product_form, "kg": kg} for lot, kg in inputs
        ],
        outputs=[
            {"lot": lot.code, "product_form": lot.product_form, "kg": lot.quantity_kg}
            for lot in outputs
        ],
    )


def _transform(kind: TransformationKind, data: dict):
    db, org, user = get_session(), current_org_id(), current_user_id()
    if kind == TransformationKind.MERGE:
        return transformations.merge(
            db,
            org,
            user,
            [(item["lot"], item["kg"]) for item in data["inputs"]],
            data["occurred_on"],
            downgrade_reason=data["downgrade_reason"],
            notes=data["notes"],
        )
    if kind == TransformationKind.SPLIT:
        return transformations.split(
            db, org, user, data["lot"], data["outputs"], data["occurred_on"], notes=data["notes"]
        )
    if kind == TransformationKind.PROCESS:
        return transformations.process(
            db,
            org,
            user,
            data["lot"],
            data["input_kg"],
            data["to_form"],
            data["output_kg"],
            data["occurred_on"],
            confirm_yield=data["confirm_yield"],
            notes=data["notes"],
        )
    return transformations.take_sample(
        db, org, user, data["lot"], data["kg"], data["occurred_on"], notes=data["notes"]
    )


@api_blueprint.get("/transformations")
@api_requires(READ)
def transformations_list():
    args = page_args()
    items, total = transformations.list_transformations(
        get_session(), current_org_id(), args["page"], args["per_page"]
    )
    return page_of([_transformation_out(t) for t in items], total, args)


@api_blueprint.post("/transformations")
@api_requires(REGISTRY_WRITE)
def transformations_create():
    body = _json_body()
    kind = body.pop("kind", None)
    if not isinstance(kind, str) or kind not in _KINDS:
        raise ValidationError(
            {"kind": [_("Choose one of: %(kinds)s.", kinds=", ".join(k.value for k in _KINDS))]}
        )
    kind = TransformationKind(kind)
    data = _KINDS[kind]().load(body)
    return jsonify(_transformation_out(_transform(kind, data))), 201


@api_blueprint.get("/transformations/<int:transformation_id>")
@api_requires(READ)
def transformations_get(transformation_id: int):
    return jsonify(
        _transformation_out(
            transformations.get_transformation(get_session(), current_org_id(), transformation_id)
        )
    )


@api_blueprint.post("/transformations/<int:transformation_id>/void")
@api_requires(REGISTRY_WRITE)
def transformations_void(transformation_id: int):
    transformations.get_transformation(
        get_session(), current_org_id(), transformation_id
    )  # 404 first
    data = VoidIn().load(_json_body())
    transformation = transformations.void_transformation(
        get_session(), current_org_id(), current_user_id(), transformation_id, data["reason"]
    )
    return jsonify(_transformation_out(transformation))


# --- bags -------------------------------------------------------------------------------------

document(
    "/api/v1/bags",
    "get",
    "List bags by serial (lot: only that lot's bags)",
    list_of="BagOut",
    query={"lot": {"type": "string"}},
    searchable=False,
)
document(
    "/api/v1/bags",
    "post",
    "Fill export bags (coffee) or boxes (pitahaya) from a lot",
    body="BagsIn",
    response="BagsOut",
)
document("/api/v1/bags/{serial}", "get", "One bag", response="BagOut", text_params=("serial",))
document(
    "/api/v1/bags/{serial}/void",
    "post",
    "Void a bag; its kg go back to the lot",
    body="VoidIn",
    response="BagOut",
    text_params=("serial",),
    status="200",
)


def _bag_out(bag, lot_code: str) -> dict:
    return dump_with(BagOut(), bag, lot=lot_code)


def _lot_code(lot_id: int) -> str:
    return get_session().get(Lot, lot_id).code  # the bag is already scoped to the organisation


@api_blueprint.get("/bags")
@api_requires(READ)
def bags_list():
    args = BagListArgs().load(request.args.to_dict())
    rows, total = bags.list_bags(
        get_session(), current_org_id(), args["lot"], args["page"], args["per_page"]
    )
    return page_of([_bag_out(bag, code) for bag, code in rows], total, args)


@api_blueprint.post("/bags")
@api_requires(REGISTRY_WRITE)
def bags_create():
    data = BagsIn().load(_json_body())
    made = bags.create_bags(
        get_session(),
        current_org_id(),
        current_user_id(),
        data["lot"],
        data["count"],
        data["net_kg"],
    )
    return jsonify(items=[_bag_out(bag, data["lot"]) for bag in made]), 201


@api_blueprint.get("/bags/<serial>")
@api_requires(READ)
def bags_get(serial: str):
    bag = bags.get_bag(get_session(), current_org_id(), serial)
    return jsonify(_bag_out(bag, _lot_code(bag.lot_id)))


@api_blueprint.post("/bags/<serial>/void")
@api_requires(REGISTRY_WRITE)
def bags_void(serial: str):
    bags.get_bag(get_session(), current_org_id(), serial)  # 404 before any 422
    data = VoidIn().load(_json_body())
    bag = bags.void_bag(get_session(), current_org_id(), current_user_id(), serial, data["reason"])
    return jsonify(_bag_out(bag, _lot_code(bag.lot_id)))
