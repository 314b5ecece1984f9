"""/api/v1/producers/<id>/debts: a member's loans and input credit, recorded and voided."""

from decimal import Decimal

from flask import jsonify
from flask_babel import gettext as _
from marshmallow import Schema, fields

from coopchain.auth.access import PAY, api_requires, current_org_id, current_user_id
from coopchain.db import get_session, owned
from coopchain.errors import NotFound
from coopchain.farms.models import Producer
from coopchain.payments import debts
from coopchain.payments.models import ProducerDebt
from coopchain.payments.runs_blueprint import PAY_READ
from coopchain.web.api import (
    OPENAPI_SCHEMAS,
    api_blueprint,
    document,
    json_body,
    page_args,
    page_of,
)


class InstalmentIn(Schema):
    due_on = fields.Date(required=True)
    amount = fields.String(required=True, metadata={"description": "> 0, to the cent"})


class DebtIn(Schema):
    kind = fields.String(required=True, metadata={"enum": list(debts.KINDS)})
    principal = fields.String(required=True, metadata={"description": "> 0, to the cent"})
    currency = fields.String(load_default="PEN")
    granted_on = fields.Date(required=True)
    description = fields.String(required=True)
    schedule = fields.List(fields.Nested(InstalmentIn), required=True)


class DebtOut(DebtIn):
    id = fields.Integer()
    producer_id = fields.Integer()
    recovered = fields.String()
    owed = fields.String()
    voided_at = fields.String(allow_none=True)
    void_reason = fields.String(allow_none=True)


class DebtVoidIn(Schema):
    reason = fields.String(required=True)


for _schema in (InstalmentIn, DebtIn, DebtOut, DebtVoidIn):
    OPENAPI_SCHEMAS[_schema.__name__] = _schema

document(
    "/api/v1/producers/{producer_id}/debts",
    "get",
    "A member's debts, newest first, with what payments have recovered",
    list_of="DebtOut",
    searchable=False,
    params=("producer_id",),
)
document(
    "/api/v1/producers/{producer_id}/debts",
    "post",
    "Record a loan or input credit with its schedule (instalments summing to the principal)",
    body="DebtIn",
    response="DebtOut",
    params=("producer_id",),
)
document(
    "/api/v1/producers/{producer_id}/debts/{debt_id}/void",
    "post",
    "Void a debt with a reason (never deleted); what is still due is no longer recovered",
    body="DebtVoidIn",
    response="DebtOut",
    params=("producer_id", "debt_id"),
    status="200",
)


def _producer(producer_id: int) -> Producer:
    producer = get_session().scalar(
        owned(Producer, current_org_id()).where(Producer.id == producer_id)
    )
    if producer is None:
        raise NotFound(_("No such producer."))
    return producer


@api_blueprint.get("/producers/<int:producer_id>/debts")
@api_requires(PAY_READ)
def producer_debts_list(producer_id: int):
    producer, args = _producer(producer_id), page_args()
    found = debts.debts_of(get_session(), current_org_id(), producer.id)
    start = (args["page"] - 1) * args["per_page"]
    chosen = found[start : start + args["per_page"]]
    return page_of([debts.debt_dict(d, recovered) for d, recovered in chosen], len(found), args)


@api_blueprint.post("/producers/<int:producer_id>/debts")
@api_requires(PAY)
def producer_debts_create(producer_id: int):
    producer = _producer(producer_id)  # another organisation's producer: 404 before the body
    debt = debts.record_debt(
        get_session(), current_org_id(), current_user_id(), producer.id, json_body()
    )
    return jsonify(debts.debt_dict(debt, Decimal("0.00"))), 201


@api_blueprint.post("/producers/<int:producer_id>/debts/<int:debt_id>/void")
@api_requires(PAY)
def producer_debts_void(producer_id: int, debt_id: int):
    session, org_id = get_session(), current_org_id()
    debt = session.scalar(owned(ProducerDebt, org_id).where(ProducerDebt.id == debt_id))
    if debt is None or debt.producer_id != producer_id:
        raise NotFound(_("No such debt."))
    body = json_body()
    debts.void_debt(session, org_id, current_user_id(), debt_id, str(body.get("reason") or ""))
    recovered = debts.recovered_by_debt(session, [debt.id]).get(debt.id, Decimal("0.00"))
    return jsonify(debts.debt_dict(debt, recovered))
