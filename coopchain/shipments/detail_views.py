"""Staff pages for one shipment: its page (status, running totals, lots and bags, allocation)
and the actions taken from it (advance the status, allocate and release bags).
"""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from marshmallow import ValidationError

from coopchain.auth.access import (
    PAY,
    READ,
    REGISTRY_WRITE,
    current_org_id,
    current_principal,
    current_user_id,
    requires,
)
from coopchain.certs.models import SubjectKind
from coopchain.certs.registry import latest_valid_certificate
from coopchain.clock import today
from coopchain.db import discard_changes, get_session
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.farms.models import Crop
from coopchain.formatting import kg as format_kg
from coopchain.forms import form_errors, load_form, typed_codes
from coopchain.lots.origins import origins_of
from coopchain.shipments import packing, services
from coopchain.shipments.models import NEXT_STATUS, Shipment, ShipmentStatus
from coopchain.shipments.schemas import AdvanceIn
from coopchain.shipments.views import _helpers, bp, can_write
from coopchain.trace.scans import shipment_scans

#: Bags listed per page on a shipment's page (the packing list has them all).
BAGS_PER_PAGE = 100
#: The bag list starts folded when the shipment carries more than this.
BAGS_SHOWN_OPEN = 30
#: Lots offered for allocation (any code may still be typed).
LOT_SUGGESTIONS = 50
#: The button that moves a shipment on, by the status it moves to.
ADVANCE_LABELS = {
    ShipmentStatus.LOADING: _l("Mark as loading"),
    ShipmentStatus.SHIPPED: _l("Mark as shipped"),
    ShipmentStatus.DELIVERED: _l("Mark as delivered"),
}
#: Pages about the shipment that other packages serve (not downloads).
OTHER_PAGES = (
    ("certs.shipment_compliance", _l("Compliance check")),
    ("certs.shipment_certificates", _l("Certificates")),
)


# --- a shipment's page ------------------------------------------------------------------------


def _downloads(shipment: Shipment, bags: int) -> list[tuple[str, str]]:
    """The documents as buttons, downloaded with the staff session (no API token): packing
    list, and once bags are on board their labels and (coffee) the EUDR GeoJSON; the
    certificate once one is issued."""
    ref = shipment.reference
    links = [
        (url_for("shipments.packing_list_pdf", reference=ref), _("Packing list (PDF)")),
        (url_for("shipments.packing_list_xlsx", reference=ref), _("Packing list (.xlsx)")),
    ]
    if bags:
        links += [
            (url_for("trace.shipment_labels", reference=ref), _("Bag labels (A4 sheet)")),
            (
                url_for("trace.shipment_labels", reference=ref, layout="single"),
                _("Bag labels (one per label)"),
            ),
        ]
        if shipment.crop == Crop.COFFEE:  # pitahaya is outside the EUDR (DOMAIN.md §2)
            links.append((url_for("certs.shipment_eudr", reference=ref), _("EUDR GeoJSON")))
        links.append((url_for("ledger.shipment_epcis", reference=ref), _("EPCIS 2.0 (JSON-LD)")))
    try:
        certificate = latest_valid_certificate(
            get_session(), shipment.organization_id, SubjectKind.SHIPMENT, ref
        )
    except NotFound:
        certificate = None
    if certificate is not None:
        links.append(
            (
                url_for("certs.certificate_pdf", number=certificate.number),
                _("Certificate %(number)s (PDF)", number=certificate.number),
            )
        )
        # The signed bundle needs the certificate (certs/bundle.py).
        links.append(
            (
                url_for("certs.shipment_bundle_zip", reference=ref),
                _("Document bundle, signed (.zip)"),
            )
        )
    return links


def _documents(shipment: Shipment) -> list[tuple[str, str]]:
    pages = [
        (url_for(endpoint, reference=shipment.reference), str(label))
        for endpoint, label in OTHER_PAGES
        if endpoint in current_app.view_functions
    ]
    # Coffee is an EUDR commodity (DOMAIN.md §2): its due diligence statement has a page.
    if shipment.crop == "coffee" and "eudr.dds_page" in current_app.view_functions:
        pages.append(
            (
                url_for("eudr.dds_page", reference=shipment.reference),
                _("Due diligence statement"),
            )
        )
    # Who pays settles a shipment once it has left (payments/settlement_views.py).
    if current_principal().role in PAY and shipment.allocation_frozen:
        pages.append(
            (url_for("settle.settlement_page", reference=shipment.reference), _("Settlement"))
        )
    return pages


def _page_number(name: str) -> int:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and int(value) > 0 else 1


def _detail_page(shipment: Shipment, *, action=None, errors=None, status: int = 200):
    db = get_session()
    totals = services.totals_of(db, shipment)
    bags = services.bags_of(db, shipment)
    serials_by_lot: dict[int, list[str]] = {}
    for bag, lot in bags:
        serials_by_lot.setdefault(lot.id, []).append(bag.serial)
    lines = [
        {
            "line": line,
            "organic_status": origins_of(db, line.lot).organic_status.value,
            "serial_runs": packing.serial_runs(serials_by_lot.get(line.lot.id, [])),
        }
        for line in totals.lines
    ]
    bag_pages = max(1, -(-len(bags) // BAGS_PER_PAGE))
    bag_page = min(_page_number("bag_page"), bag_pages)
    start = (bag_page - 1) * BAGS_PER_PAGE
    target = NEXT_STATUS.get(ShipmentStatus(shipment.status))
    open_allocation = can_write() and not shipment.allocation_frozen
    return render_template(
        "shipments/shipment_detail.html",
        shipment=shipment,
        totals=totals,
        lines=lines,
        bags=bags[start : start + BAGS_PER_PAGE],
        bag_count=len(bags),
        bag_page=bag_page,
        bag_pages=bag_pages,
        bags_open=len(bags) <= BAGS_SHOWN_OPEN or action == "release" or "bag_page" in request.args,
        next_status=target,
        advance_label=ADVANCE_LABELS.get(target) if target else None,
        documents=_documents(shipment),
        downloads=_downloads(shipment, totals.bags),
        suggestions=services.lot_suggestions(get_session(), shipment, LOT_SUGGESTIONS)
        if open_allocation
        else [],
        open_allocation=open_allocation,
        scans=shipment_scans(db, shipment.organization_id, shipment.id),
        today=today().isoformat(),
        action=action,
        values=request.form.to_dict(flat=True) if action else {},
        errors=errors or {},
        **_helpers(),
    ), status


@bp.get("/shipments/<reference>")
@requires(READ)
def shipment_detail(reference: str):
    return _detail_page(services.get_shipment(get_session(), current_org_id(), reference))


def _act(reference: str, action: str, do, done):
    """Do an action and redirect; or show the shipment page again with the errors in the
    action's form (422; 409 when the shipment's state forbids it): nothing is written."""
    db = get_session()
    services.get_shipment(
        db, current_org_id(), reference
    )  # 404 for another organisation's shipment
    try:
        return done(do(db))
    except ValidationError as exc:
        errors = {name: [str(m) for m in messages] for name, messages in exc.messages.items()}
        status = 422
    except DomainError as exc:
        errors = form_errors(exc)
        status = 409 if isinstance(exc, Conflict) else 422
    discard_changes()
    shipment = services.get_shipment(db, current_org_id(), reference)  # re-read after the rollback
    return _detail_page(shipment, action=action, errors=errors, status=status)


def _to_shipment(reference: str, anchor: str | None = None):
    return redirect(url_for("shipments.shipment_detail", reference=reference, _anchor=anchor))


@bp.post("/shipments/<reference>/advance")
@requires(REGISTRY_WRITE)
def shipment_advance(reference: str):
    def do(db):
        # The API's schema: a valid date, not in the future, today when left blank.
        data = load_form(AdvanceIn())
        return services.advance_status(
            db, current_org_id(), current_user_id(), reference, data["on"]
        )

    def done(shipment):
        flash(
            _(
                "Shipment %(reference)s is now %(status)s.",
                reference=shipment.reference,
                status=_(shipment.status),
            ),
            "success",
        )
        return _to_shipment(shipment.reference)

    return _act(reference, "advance", do, done)


@bp.post("/shipments/<reference>/allocate")
@requires(REGISTRY_WRITE)
def shipment_allocate(reference: str):
    def do(db):
        lot_codes = typed_codes(
            " ".join(request.form.getlist("lot_pick") + [request.form.get("lot_codes", "")])
        )
        serials = typed_codes(request.form.get("serials"))
        return services.allocate(
            db, current_org_id(), current_user_id(), reference, lot_codes=lot_codes, serials=serials
        )

    def done(added):
        if added:
            flash(
                ngettext(
                    "%(num)s bag added (%(kg)s kg).",
                    "%(num)s bags added (%(kg)s kg).",
                    len(added),
                    kg=format_kg(sum(bag.net_kg for bag in added)),
                ),
                "success",
            )
        else:
            flash(_("Those bags were already on this shipment."), "success")
        return _to_shipment(reference, "bags")

    return _act(reference, "allocate", do, done)


@bp.post("/shipments/<reference>/release")
@requires(REGISTRY_WRITE)
def shipment_release(reference: str):
    def do(db):
        serials = typed_codes(" ".join(request.form.getlist("serials")))
        lot_code = request.form.get("lot_code", "").strip()
        if lot_code:
            # "Remove this lot": every bag of the lot that this shipment carries.
            shipment = services.get_shipment(db, current_org_id(), reference)
            serials += [
                bag.serial for bag, lot in services.bags_of(db, shipment) if lot.code == lot_code
            ]
        return services.release(db, current_org_id(), current_user_id(), reference, serials)

    def done(released):
        flash(
            ngettext(
                "%(num)s bag removed from the shipment (%(kg)s kg).",
                "%(num)s bags removed from the shipment (%(kg)s kg).",
                len(released),
                kg=format_kg(sum(bag.net_kg for bag in released)),
            ),
            "success",
        )
        return _to_shipment(reference, "bags")

    return _act(reference, "release", do, done)
