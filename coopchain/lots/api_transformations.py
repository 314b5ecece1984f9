"""JSON API for transformations: list, read, create (merge, split, process, sample) and void.

Thin on purpose (DESIGN.md §3): the body's "kind" picks the schema and the service in
transformations.py, where every rule lives.
"""

from flask import jsonify
from flask_babel import gettext as _
from marshmallow import ValidationError

from coopchain.auth.access import (
    READ,
    REGISTRY_WRITE,
    api_requires,
    current_org_id,
    current_user_id,
)
from coopchain.db import get_session
from coopchain.lots import transformations
from coopchain.lots.models import TransformationKind
from coopchain.lots.schemas import (
    MergeApiIn,
    ProcessApiIn,
    SampleApiIn,
    SplitApiIn,
    TransformationOut,
    VoidIn,
)
from coopchain.web.api import api_blueprint, document, dump_with, page_args, page_of
from coopchain.web.api import json_body as _json_body

#: The body's "kind" picks the schema and the service (transformations.py).
_KINDS = {
    TransformationKind.MERGE: MergeApiIn,
    TransformationKind.SPLIT: SplitApiIn,
    TransformationKind.PROCESS: ProcessApiIn,
    TransformationKind.SAMPLE: SampleApiIn,
}


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
    body="MergeApiIn",
    response="TransformationOut",
)
# One body per kind, each naming its kind (a required one-value enum), told apart by "kind".
_references = {
    kind.value: f"#/components/schemas/{schema.__name__}" for kind, schema in _KINDS.items()
}
_create_transformation["requestBody"]["content"]["application/json"]["schema"] = {
    "oneOf": [{"$ref": reference} for reference in _references.values()],
    "discriminator": {"propertyName": "kind", "mapping": _references},
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
    kind = body.get("kind")
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
