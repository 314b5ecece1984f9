"""The audit trail page: recent events and whether the chain verifies."""

from flask import Blueprint, render_template, request

from coopchain.auth.access import READ, current_principal, requires
from coopchain.db import get_session
from coopchain.ledger.anchors import check_anchors, current_head
from coopchain.ledger.reconcile import reconcile
from coopchain.ledger.services import events_page, verify_chain

bp = Blueprint("ledger", __name__)
PER_PAGE = 50


@bp.get("/ledger")
@requires(READ)
def ledger():
    db, org = get_session(), current_principal().organization_id
    page = max(1, request.args.get("page", 1, type=int))
    events, total = events_page(db, org, page, PER_PAGE)
    # Recomputing every hash and replaying every event grow with the ledger: only when asked.
    checked, broken, anchors, rows = None, None, [], None
    if request.args.get("verify"):
        checked, broken = verify_chain(db, org)
        anchors, rows = check_anchors(db, org), reconcile(db, org)
    return render_template(
        "ledger/list.html",
        events=events,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        checked=checked,
        broken=broken,
        anchors=anchors,
        rows=rows,
        head=current_head(db, org),
    )
