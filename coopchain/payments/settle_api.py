"""JSON API: a shipment's settlement (preview, confirm) and a producer's statement (JSON, PDF,
.xlsx). Thin: parse, call settlement.py / statement.py, dump (DESIGN.md §3)."""

import io

from flask import request, send_file

from coopchain.auth.access import (
    PAY,
    READ,
    api_requires,
    current_org_id,
    current_principal,
    current_user_id,
)
from coopchain.db import get_session
from coopchain.payments import settlement as settling
from coopchain.payments.settle_schemas import (
    SettlementOut,
    SettlementPreviewOut,
    SettlementTermsIn,
    StatementOut,
)
from coopchain.payments.statement_docs import signed_statement_pdf, statement_xlsx
from coopchain.payments.statement_views import statement_for
from coopchain.web.api import OPENAPI_SCHEMAS, api_blueprint, document, json_body
from coopchain.web.downloads import XLSX, send_xlsx

OPENAPI_SCHEMAS.update(
    SettlementTermsIn=SettlementTermsIn,
    SettlementPreviewOut=SettlementPreviewOut,
    SettlementOut=SettlementOut,
    StatementOut=StatementOut,
)
REMAINDER_RULE = (
    "largest remainder: each share rounded down to the cent, the cents left go to the largest "
    "remainders, ties to the lower delivery id"
)
TERMS_QUERY = {
    "price": {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"},
    "price_currency": {"type": "string", "default": "USD"},
    "price_unit": {"type": "string", "enum": ["lb", "kg"], "default": "lb"},
    "exchange_rate": {"type": "string"},
    "rate_on": {"type": "string", "format": "date"},
    "costs_per_kg": {"type": "string"},
    "currency": {"type": "string", "default": "PEN"},
}
document(
    "/api/v1/shipments/{reference}/settlement",
    "get",
    "Preview a shipped shipment's settlement from the terms in the query: the total and each "
    "delivery's share by the delivered kg traced into it (nothing is written)",
    response="SettlementPreviewOut",
    text_params=("reference",),
    query=TERMS_QUERY,
)
document(
    "/api/v1/shipments/{reference}/settlement/preview",
    "post",
    "Preview a settlement from the terms in the body (nothing is written)",
    body="SettlementTermsIn",
    response="SettlementPreviewOut",
    text_params=("reference",),
    status="200",
)
document(
    "/api/v1/shipments/{reference}/settlement",
    "post",
    "Confirm the settlement (one live settlement per shipment; a ledger TransactionEvent)",
    body="SettlementTermsIn",
    response="SettlementOut",
    text_params=("reference",),
)
document(
    "/api/v1/producers/{producer_id}/statement",
    "get",
    "A producer's statement for a season (harvest year): lines, running balance and totals",
    response="StatementOut",
    params=("producer_id",),
    query={"season": {"type": "integer"}},
)
for ext, kind in (("pdf", "application/pdf"), ("xlsx", XLSX)):
    operation = document(
        f"/api/v1/producers/{{producer_id}}/statement.{ext}",
        "get",
        f"The producer's statement for a season as {ext.upper()}",
        params=("producer_id",),
        query={"season": {"type": "integer"}},
    )
    operation["responses"]["200"]["content"] = {
        kind: {"schema": {"type": "string", "format": "binary"}}
    }


def _terms(raw: dict) -> dict:
    data = SettlementTermsIn().load(raw)
    return {key: value for key, value in data.items() if value is not None}


def _preview_out(result) -> dict:
    terms = result.terms
    return SettlementPreviewOut().dump(
        {
            "shipment": result.shipment.reference,
            "price": terms.price,
            "price_currency": terms.price_currency,
            "price_unit": terms.price_unit,
            "price_per_kg": result.price_per_kg,
            "exchange_rate": terms.exchange_rate,
            "rate_on": terms.rate_on,
            "costs_per_kg": terms.costs_per_kg,
            "currency": terms.currency,
            "shipped_kg": result.shipped_kg,
            "traced_kg": result.traced_kg,
            "total": result.total,
            "remainder_rule": REMAINDER_RULE,
            "shares": [share.__dict__ for share in result.shares],
        }
    )


@api_blueprint.get("/shipments/<reference>/settlement")
@api_requires(PAY)
def settlement_preview_get(reference: str):
    settling.shipment_of(get_session(), current_org_id(), reference)  # 404 before the terms
    result = settling.preview(
        get_session(), current_org_id(), reference, _terms(request.args.to_dict())
    )
    return _preview_out(result)


@api_blueprint.post("/shipments/<reference>/settlement/preview")
@api_requires(PAY)
def settlement_preview_post(reference: str):
    settling.shipment_of(get_session(), current_org_id(), reference)  # 404 before the body
    result = settling.preview(get_session(), current_org_id(), reference, _terms(json_body()))
    return _preview_out(result)


@api_blueprint.post("/shipments/<reference>/settlement")
@api_requires(PAY)
def settlement_confirm(reference: str):
    db = get_session()
    settling.shipment_of(db, current_org_id(), reference)  # 404 before the body
    terms = _terms(json_body())
    made = settling.confirm(db, current_org_id(), current_user_id(), reference, terms)
    out = _preview_out(settling.preview(db, current_org_id(), reference, terms))
    return out | {"id": made.id, "voided_at": None}, 201


@api_blueprint.get("/producers/<int:producer_id>/statement")
@api_requires(READ)
def producer_statement_json(producer_id: int):
    statement, data, seasons = statement_for(producer_id)
    return StatementOut().dump(
        {
            "producer_id": producer_id,
            "member_code": data["member_code"],
            "name": data["name"],
            "season": data["season"],
            "currency": data["currency"],
            "seasons": seasons,
            "lines": data["lines"],
            "totals": {key: str(value) for key, _label, value in data["totals"]},
        }
    )


@api_blueprint.get("/producers/<int:producer_id>/statement.pdf")
@api_requires(READ)
def producer_statement_pdf(producer_id: int):
    _statement_row, data, _seasons = statement_for(producer_id)
    principal = current_principal()
    pdf = signed_statement_pdf(
        get_session(), principal.organization_id, data, principal.organization_locale
    )
    name = f"statement-{data['member_code']}-{data['season']}.pdf"
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", download_name=name)


@api_blueprint.get("/producers/<int:producer_id>/statement.xlsx")
@api_requires(READ)
def producer_statement_xlsx(producer_id: int):
    _statement_row, data, _seasons = statement_for(producer_id)
    return send_xlsx(statement_xlsx(data), f"statement-{data['member_code']}-{data['season']}.xlsx")
