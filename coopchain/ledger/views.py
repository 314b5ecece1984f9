"""The audit trail page: the events in words (what, when, by whom, about what, with a link),
filtered by kind, days, subject and author, and whether the chain verifies."""

from flask import Blueprint, render_template, request, url_for
from marshmallow import ValidationError, fields, validate

from coopchain.auth.access import READ, current_principal, requires
from coopchain.clock import cooperative_zone
from coopchain.db import get_session
from coopchain.ledger import browse
from coopchain.ledger.anchors import check_anchors, current_head
from coopchain.ledger.reconcile import reconcile
from coopchain.ledger.services import verify_chain
from coopchain.schemas import LoadSchema

bp = Blueprint("ledger", __name__)
PER_PAGE = 50
#: The page's own query arguments: kept by the pager, so page 2 is page 2 of the same filter.
FILTER_ARGS = ("kind", "since", "until", "subject_type", "subject", "user")


class LedgerFilterIn(LoadSchema):
    kind = fields.Str(validate=validate.Length(max=60), load_default=None)
    since = fields.Date(load_default=None)
    until = fields.Date(load_default=None)
    subject_type = fields.Str(validate=validate.Length(max=40), load_default=None)
    subject = fields.Str(validate=validate.Length(max=64), load_default=None)
    user = fields.Int(validate=validate.Range(min=1, max=2**31 - 1), load_default=None)
    page = fields.Int(validate=validate.Range(min=1, max=10**6), load_default=1)
    verify = fields.Str(load_default=None)


#: Where each kind of subject is shown: (endpoint, argument, how the subject id becomes it).
_PAGES = {
    "lot": ("lots.lot_detail", "code", str),
    "shipment": ("shipments.shipment_detail", "reference", str),
    "certificate": ("certs.certificate_detail", "number", str),
    "transformation": ("lots.transformation_detail", "transformation_id", int),
    "cupping_session": ("quality.session_detail", "number", str),
    "forest_assessment": ("farms.forest_assessment_detail", "assessment_id", int),
    "plot": ("farms.plot_forest_evidence", "plot_id", int),
}


def subject_href(event, keys: dict) -> str | None:
    """The page of what the event is about, when there is one."""
    kind, ident = event.subject_type, event.subject_id
    if kind == "producer":
        producer_id = keys.get(("producer", ident))
        return url_for("farms.producer_detail", producer_id=producer_id) if producer_id else None
    if kind == "bag":
        lot_code = keys.get(("bag", ident))
        return url_for("lots.lot_detail", code=lot_code, _anchor="bags") if lot_code else None
    if kind not in _PAGES:
        return None
    endpoint, argument, convert = _PAGES[kind]
    if convert is int and not ident.isdigit():
        return None
    return url_for(endpoint, **{argument: convert(ident)})


@bp.get("/ledger")
@requires(READ)
def ledger():
    db, org = get_session(), current_principal().organization_id
    known = LedgerFilterIn().fields
    raw = {k: v for k, v in request.args.items() if k in known and v.strip()}
    try:
        args = LedgerFilterIn().load(raw)
        errors, status = {}, 200
    except ValidationError as exc:
        errors, status = exc.messages, 400
        args = LedgerFilterIn().load({})
    wanted = browse.EventFilter(
        kind=args["kind"],
        since=args["since"],
        until=args["until"],
        subject_type=args["subject_type"],
        subject_id=args["subject"],
        user_id=args["user"],
    )
    page = args["page"]
    events, total = browse.filtered_events(db, org, wanted, page, PER_PAGE)
    # Recomputing every hash and replaying every event grow with the ledger: only when asked.
    checked, broken, anchors, rows = None, None, [], None
    if args["verify"]:
        checked, broken = verify_chain(db, org)
        anchors, rows = check_anchors(db, org), reconcile(db, org)
    kept = {k: raw[k] for k in FILTER_ARGS if k in raw and k not in errors}
    keys = browse.subject_keys(db, org, events)
    return render_template(
        "ledger/list.html",
        events=events,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        page_url=lambda n: url_for("ledger.ledger", **kept, page=n),
        filters=raw,
        filtered=wanted.active,
        errors=errors,
        choices=browse.filter_choices(db, org),
        authors=browse.authors_of(db, events),
        event_name=browse.event_name,
        subject_name=browse.subject_name,
        subject_href=lambda event: subject_href(event, keys),
        checked=checked,
        broken=broken,
        anchors=anchors,
        rows=rows,
        head=current_head(db, org),
        head_zone=cooperative_zone().key,
    ), status
