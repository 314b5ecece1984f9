"""JSON API for bags: list, read, fill from a lot and void (the rules are in bags.py)."""

from flask import jsonify, request
from marshmallow import fields

from coopchain.auth.access import (
    READ,
    REGISTRY_WRITE,
    api_requires,
    current_org_id,
    current_user_id,
)
from coopchain.db import get_session
from coopchain.lots import bags
from coopchain.lots.models import Lot
from coopchain.lots.schemas import BagOut, BagsIn, VoidIn
from coopchain.schemas import PageSchema
from coopchain.web.api import api_blueprint, document, dump_with, page_of
from coopchain.web.api import json_body as _json_body


class BagListArgs(PageSchema):
    lot = fields.Str(load_default=None)


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
