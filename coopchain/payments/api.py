"""JSON API for payments: list (filters), create, read one, void. Thin: parse, call the core
service, dump (DESIGN.md §3)."""

from flask import jsonify, request

from coopchain.auth.access import (
    PAY,
    READ,
    api_requires,
    current_org_id,
    current_principal,
    current_user_id,
)
from coopchain.db import get_session
from coopchain.payments import core
from coopchain.payments.core import Line
from coopchain.payments.queries import lines_of, list_payments, producer_of
from coopchain.payments.receipt import receipt_url
from coopchain.payments.schemas import (
    LineIn,
    LineOut,
    PaymentIn,
    PaymentListArgs,
    PaymentOut,
    PaymentVoidIn,
)
from coopchain.web.api import OPENAPI_SCHEMAS, api_blueprint, document, dump_with, page_of
from coopchain.web.api import json_body as _json_body

OPENAPI_SCHEMAS.update(
    LineIn=LineIn,
    LineOut=LineOut,
    PaymentIn=PaymentIn,
    PaymentOut=PaymentOut,
    PaymentVoidIn=PaymentVoidIn,
)

_ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
document(
    "/api/v1/payments",
    "get",
    "List payments, newest first; filters: producer_id, delivery_id, from/to (paid on, inclusive)",
    list_of="PaymentOut",
    searchable=False,
    query={
        "producer_id": _ID,
        "delivery_id": _ID,
        "from": {"type": "string", "format": "date"},
        "to": {"type": "string", "format": "date"},
    },
)
document(
    "/api/v1/payments",
    "post",
    "Pay a producer (treasurer, admin): lines of kind advance|balance|settlement|premium|"
    "deduction; amount = Σ lines > 0; advance/balance never above the delivery's outstanding "
    "amount unless on_account (advances only); a bank transfer needs a valid CCI",
    body="PaymentIn",
    response="PaymentOut",
)
document(
    "/api/v1/payments/{number}",
    "get",
    "One payment with its lines",
    response="PaymentOut",
    text_params=("number",),
)
document(
    "/api/v1/payments/{number}/void",
    "post",
    "Void a payment with a reason; what it paid is owed again (twice: 409)",
    body="PaymentVoidIn",
    response="PaymentOut",
    text_params=("number",),
    status="200",
)


def payment_out(session, payment, producer=None, lines=None) -> dict:
    producer = producer or producer_of(session, payment)
    sees_private = current_principal().sees_private_data
    return dump_with(
        PaymentOut(),
        payment,
        producer_code=producer.member_code,
        cci=payment.cci if sees_private else None,
        receipt_url=receipt_url(payment.receipt_token),
        lines=lines if lines is not None else lines_of(session, payment),
    )


@api_blueprint.get("/payments")
@api_requires(READ)
def payments_list():
    args = PaymentListArgs().load(request.args.to_dict())
    db = get_session()
    rows, total = list_payments(
        db,
        current_org_id(),
        producer_id=args["producer_id"],
        delivery_id=args["delivery_id"],
        date_from=args["date_from"],
        date_to=args["date_to"],
        page=args["page"],
        per_page=args["per_page"],
    )
    return page_of([payment_out(db, p, producer) for p, producer in rows], total, args)


@api_blueprint.post("/payments")
@api_requires(PAY)
def payments_create():
    data = PaymentIn().load(_json_body())
    db = get_session()
    payment = core.record_payment(
        db,
        current_org_id(),
        current_user_id(),
        producer_id=data["producer_id"],
        lines=[
            Line(
                kind=line["kind"],
                amount=line["amount"],
                delivery_id=line["delivery_id"],
                description=line["description"],
            )
            for line in data["lines"]
        ],
        method=data["method"],
        paid_on=data["paid_on"],
        currency=data["currency"],
        cci=data["cci"],
        reference=data["reference"],
        notes=data["notes"],
        on_account=data["on_account"],
    )
    return jsonify(payment_out(db, payment)), 201


@api_blueprint.get("/payments/<number>")
@api_requires(READ)
def payments_get(number: str):
    db = get_session()
    return jsonify(payment_out(db, core.get_payment(db, current_org_id(), number)))


@api_blueprint.post("/payments/<number>/void")
@api_requires(PAY)
def payments_void(number: str):
    db = get_session()
    core.get_payment(db, current_org_id(), number)  # 404 before any 422
    data = PaymentVoidIn().load(_json_body())
    payment = core.void_payment(db, current_org_id(), current_user_id(), number, data["reason"])
    return jsonify(payment_out(db, payment))
