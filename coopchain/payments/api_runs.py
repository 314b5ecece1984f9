"""/api/v1/premium-rules and /api/v1/payment-runs: the same services as the treasurer's pages."""

from flask import current_app, jsonify
from marshmallow import Schema, fields

from coopchain.auth.access import ADMIN, PAY, api_requires, current_org_id, current_user_id
from coopchain.db import get_session
from coopchain.payments import premiums, run_jobs, runs
from coopchain.payments.runs_blueprint import PAY_READ
from coopchain.web.api import (
    OPENAPI_SCHEMAS,
    api_blueprint,
    document,
    json_body,
    page_args,
    page_of,
)
from coopchain.web.api_jobs import job_accepted


class PremiumRuleIn(Schema):
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(premiums.KINDS)})
    amount_per_kg = fields.String(required=True, metadata={"description": "> 0, per kg"})
    currency = fields.String(load_default="PEN")
    crop = fields.String(allow_none=True)
    product_form = fields.String(allow_none=True)
    min_score = fields.String(allow_none=True)
    max_score = fields.String(allow_none=True)
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(allow_none=True)


class PremiumRuleOut(PremiumRuleIn):
    id = fields.Integer()
    ended_at = fields.String(allow_none=True)


class PaymentRunIn(Schema):
    # One way of choosing the deliveries: a period (from, to), a producer, or a shipment.
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    producer_id = fields.Integer()
    shipment = fields.String()
    paid_on = fields.Date(required=True)
    method = fields.String(load_default="bank_transfer")
    currency = fields.String(load_default="PEN")


class RunProducerOut(Schema):
    producer_id = fields.Integer()
    member_code = fields.String()
    gross = fields.String()
    paid_before = fields.String()
    outstanding = fields.String()
    premiums = fields.String()
    deductions = fields.String()
    net = fields.String()
    lines = fields.List(fields.Dict())


class PaymentRunPreviewOut(Schema):
    selection = fields.Dict()
    totals = fields.Dict()
    producers = fields.List(fields.Nested(RunProducerOut))


class PaymentRunOut(Schema):
    id = fields.Integer()
    number = fields.String()
    totals = fields.Dict()
    payments = fields.List(fields.Dict())


for _schema in (PremiumRuleIn, PremiumRuleOut, PaymentRunIn, PaymentRunPreviewOut, PaymentRunOut):
    OPENAPI_SCHEMAS[_schema.__name__] = _schema

document(
    "/api/v1/premium-rules",
    "get",
    "Premium rules, live first",
    list_of="PremiumRuleOut",
    searchable=False,
)
document(
    "/api/v1/premium-rules",
    "post",
    "Add a premium rule (organic, quality band, sustainability differential, women's, retention)",
    body="PremiumRuleIn",
    response="PremiumRuleOut",
)
document(
    "/api/v1/premium-rules/{rule_id}/end",
    "post",
    "End a rule today (rules are never deleted)",
    response="PremiumRuleOut",
    params=("rule_id",),
    status="200",
)
document(
    "/api/v1/payment-runs/preview",
    "post",
    "Preview a run: per producer gross, already paid, outstanding, premiums, deductions, net",
    body="PaymentRunIn",
    response="PaymentRunPreviewOut",
    status="200",
)
document(
    "/api/v1/payment-runs/confirm",
    "post",
    "Confirm a run: one payment per producer with a net above zero; 409 when nothing is left; "
    "a run over more than JOBS_PAYMENT_RUN_DELIVERIES deliveries (300 by default) is confirmed "
    "by a job (202; its result names the run)",
    body="PaymentRunIn",
    response="PaymentRunOut",
    job=True,
)


def _row(row: runs.ProducerRow) -> dict:
    return {
        "producer_id": row.producer.id,
        "member_code": row.producer.member_code,
        **{k: f"{getattr(row, k):.2f}" for k in ("gross", "paid_before", "outstanding")},
        **{k: f"{getattr(row, k):.2f}" for k in ("premiums", "deductions", "net")},
        "lines": [
            {
                "kind": line.kind,
                "amount": f"{line.amount:.2f}",
                "delivery_id": line.delivery_id,
                "premium_rule_id": line.premium_rule_id,
                "debt_id": line.debt_id,
                "description": line.description,
            }
            for line in row.lines
        ],
    }


@api_blueprint.get("/premium-rules")
@api_requires(PAY_READ)
def premium_rules_list():
    rules, args = premiums.list_rules(get_session(), current_org_id()), page_args()
    start = (args["page"] - 1) * args["per_page"]
    chosen = rules[start : start + args["per_page"]]
    return page_of([premiums.rule_dict(rule) for rule in chosen], len(rules), args)


@api_blueprint.post("/premium-rules")
@api_requires(ADMIN)
def premium_rules_create():
    rule = premiums.create_rule(get_session(), current_org_id(), current_user_id(), json_body())
    return jsonify(premiums.rule_dict(rule)), 201


@api_blueprint.post("/premium-rules/<int:rule_id>/end")
@api_requires(ADMIN)
def premium_rules_end(rule_id: int):
    rule = premiums.end_rule(get_session(), current_org_id(), current_user_id(), rule_id)
    return jsonify(premiums.rule_dict(rule))


@api_blueprint.post("/payment-runs/preview")
@api_requires(PAY)
def payment_runs_preview():
    session, org_id = get_session(), current_org_id()
    selection, paid_on, currency, _method = runs.read_run_input(
        session, org_id, json_body(), current_app.config["CURRENCY"]
    )
    found = runs.preview(session, org_id, selection, paid_on, currency)
    return jsonify(
        selection=selection, totals=found.totals(), producers=[_row(r) for r in found.rows]
    )


@api_blueprint.post("/payment-runs/confirm")
@api_requires(PAY)
def payment_runs_confirm():
    session, org_id = get_session(), current_org_id()
    selection, paid_on, currency, method = runs.read_run_input(
        session, org_id, json_body(), current_app.config["CURRENCY"]
    )
    # Above this many deliveries a confirm is a job, as on the treasurer's page (run_views.py).
    threshold = current_app.config["JOBS_PAYMENT_RUN_DELIVERIES"]
    if run_jobs.needs_a_job(session, org_id, selection, threshold):
        job = run_jobs.submit(
            session, org_id, current_user_id(), selection, paid_on, currency, method
        )
        return job_accepted(job)
    run = runs.confirm(session, org_id, current_user_id(), selection, paid_on, currency, method)
    payments = [
        {
            "number": p.number,
            "producer_id": p.producer_id,
            "member_code": producer.member_code,
            "amount": f"{p.amount:.2f}",
            "currency": p.currency,
            "cci": p.cci,
            "receipt": f"/r/{p.receipt_token}",
        }
        for p, producer in runs.run_payments(session, org_id, run.id)
    ]
    return jsonify(id=run.id, number=run.number, totals=run.totals, payments=payments), 201
