"""JSON API for the audit ledger: the events, newest first, and a chain check."""

from flask import jsonify
from marshmallow import Schema, fields

from coopchain.auth.access import READ, api_requires, current_principal
from coopchain.db import get_session
from coopchain.ledger.anchors import check_anchors
from coopchain.ledger.reconcile import reconcile
from coopchain.ledger.services import events_page, verify_chain
from coopchain.web.api import OPENAPI_SCHEMAS, api_blueprint, document, page_args, paginated


class LedgerEventOut(Schema):
    seq = fields.Int()
    event_type = fields.Str()
    action = fields.Str(allow_none=True)
    kind = fields.Str()
    subject_type = fields.Str()
    subject_id = fields.Str()
    event_time = fields.DateTime()
    user_id = fields.Int(allow_none=True)
    payload = fields.Dict()
    prev_hash = fields.Str()
    hash = fields.Str()


OPENAPI_SCHEMAS["LedgerEventOut"] = LedgerEventOut
document("/api/v1/ledger", "get", "Audit events, newest first", list_of="LedgerEventOut")
document(
    "/api/v1/ledger/verify",
    "get",
    "Recompute the hash chain, check every certificate's recorded head, reconcile rows",
)


@api_blueprint.get("/ledger")
@api_requires(READ)
def ledger_list():
    args = page_args()
    items, total = events_page(
        get_session(), current_principal().organization_id, args["page"], args["per_page"]
    )
    return paginated(items, total, args, LedgerEventOut())


@api_blueprint.get("/ledger/verify")
@api_requires(READ)
def ledger_verify():
    db, org = get_session(), current_principal().organization_id
    checked, broken = verify_chain(db, org)
    anchors, rows = check_anchors(db, org), reconcile(db, org)
    return jsonify(
        ok=broken is None and not anchors and not rows.differences,
        checked=checked,
        first_broken=None
        if broken is None
        else {"seq": broken.seq, "kind": broken.kind, "reason": broken.reason},
        anchors_broken=[
            {"source": p.source, "seq": p.seq, "message": p.describe()} for p in anchors
        ],
        rows_checked=rows.rows_checked,
        rows_differing=[
            {"table": d.table, "row": d.row, "field": d.field, "message": d.describe()}
            for d in rows.differences[:100]
        ],
    )
