"""Staff pages to settle a shipped shipment: enter the final price, preview the split by
traced kilograms, confirm, pay each producer once, or void with a reason (PAY roles only).

Thin (DESIGN.md §3): the numbers the treasurer types are read in the organisation's locale
here; every rule is in settlement.py / settlement_pay.py.
"""

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from coopchain.auth.access import PAY, current_org_id, current_user_id, requires
from coopchain.clock import today
from coopchain.db import discard_changes, get_session, owned
from coopchain.errors import Conflict, DomainError
from coopchain.farms.models import Producer
from coopchain.formatting import kg as format_kg
from coopchain.formatting import money, read_decimal
from coopchain.forms import form_errors
from coopchain.lots.models import Delivery
from coopchain.payments import settlement as settling
from coopchain.payments.models import PaymentMethod
from coopchain.payments.settle_blueprint import bp
from coopchain.payments.settlement_pay import pay_settlement
from coopchain.shipments.models import Shipment

TERM_FIELDS = (
    "price",
    "price_currency",
    "price_unit",
    "exchange_rate",
    "rate_on",
    "costs_per_kg",
    "currency",
)
NUMBERS = ("price", "exchange_rate", "costs_per_kg")
DEFAULTS = {"price_currency": "USD", "price_unit": "lb", "currency": "PEN", "costs_per_kg": "0"}


def typed_terms(source) -> dict:
    """The terms as typed; numbers read as staff type them ("3,25" or "3.25"). A number that
    cannot be read is passed on as typed, so the service names the field."""
    terms = {name: (source.get(name) or "").strip() for name in TERM_FIELDS}
    for name in NUMBERS:
        if terms[name]:
            try:
                terms[name] = str(read_decimal(terms[name]))
            except ValueError:
                pass
    return {name: value for name, value in terms.items() if value} | {
        name: value for name, value in DEFAULTS.items() if not terms.get(name)
    }


def shipment_of(reference: str) -> Shipment:
    return settling.shipment_of(get_session(), current_org_id(), reference)


def _producers(ids) -> dict[int, Producer]:
    return {
        p.id: p
        for p in get_session().scalars(
            owned(Producer, current_org_id()).where(Producer.id.in_(list(ids)))
        )
    }


def _page(reference: str, *, preview=None, errors=None, action=None, status=200):
    db = get_session()
    shipment = shipment_of(reference)
    settlements = []
    for row in settling.settlements_of(db, current_org_id(), shipment.id):
        lines = settling.lines_of(db, row)
        paid = settling.paid_producers(db, row.id)
        producers = _producers({line.producer_id for line in lines})
        tickets = dict(
            db.execute(
                select(Delivery.id, Delivery.ticket_number).where(
                    Delivery.id.in_([line.delivery_id for line in lines])
                )
            ).all()
        )
        settlements.append(
            {"row": row, "lines": lines, "paid": paid, "producers": producers, "tickets": tickets}
        )
    shares_by = _producers({s.producer_id for s in preview.shares}) if preview else {}
    return render_template(
        "payments/settlement.html",
        shipment=shipment,
        preview=preview,
        preview_producers=shares_by,
        settlements=settlements,
        settleable=shipment.status in settling.SETTLEABLE,
        live=next((s for s in settlements if s["row"].voided_at is None), None),
        values=typed_terms(request.values) if request.values else dict(DEFAULTS),
        errors=errors or {},
        action=action,
        methods=[m.value for m in PaymentMethod],
        today=today().isoformat(),
        kg=format_kg,
        money=money,
    ), status


@bp.get("/shipments/<reference>/settlement")
@requires(PAY)
def settlement_page(reference: str):
    """The form; with the terms in the query (?price=…) also the preview (nothing written)."""
    if "price" not in request.args:
        return _page(reference)
    try:
        result = settling.preview(
            get_session(), current_org_id(), reference, typed_terms(request.args)
        )
    except DomainError as exc:
        status = 409 if isinstance(exc, Conflict) else 422
        return _page(reference, errors=form_errors(exc), action="preview", status=status)
    return _page(reference, preview=result)


def _refused(reference: str, exc: DomainError, action: str):
    discard_changes()
    status = 409 if isinstance(exc, Conflict) else 422
    return _page(reference, errors=form_errors(exc), action=action, status=status)


@bp.post("/shipments/<reference>/settlement")
@requires(PAY)
def settlement_confirm(reference: str):
    try:
        made = settling.confirm(
            get_session(), current_org_id(), current_user_id(), reference, typed_terms(request.form)
        )
    except DomainError as exc:
        return _refused(reference, exc, "preview")
    flash(_("Settlement confirmed: %(total)s.", total=money(made.total, made.currency)), "success")
    return redirect(url_for("settle.settlement_page", reference=reference, _anchor="settlements"))


def _settlement_reference(settlement_id: int) -> str:
    db = get_session()
    row = settling.get_settlement(db, current_org_id(), settlement_id)
    return db.scalar(select(Shipment.reference).where(Shipment.id == row.shipment_id))


@bp.post("/settlements/<int:settlement_id>/pay")
@requires(PAY)
def settlement_pay(settlement_id: int):
    reference = _settlement_reference(settlement_id)
    try:
        paid_on = date.fromisoformat(request.form.get("paid_on", "").strip() or today().isoformat())
    except ValueError:
        exc = DomainError(_("Enter a date (YYYY-MM-DD)."), {"paid_on": [_("Enter a date.")]})
        return _refused(reference, exc, "pay")
    try:
        payments = pay_settlement(
            get_session(),
            current_org_id(),
            current_user_id(),
            settlement_id,
            method=request.form.get("method", ""),
            paid_on=paid_on,
            reference=request.form.get("reference") or None,
        )
    except DomainError as exc:
        return _refused(reference, exc, "pay")
    flash(_("%(count)s payments recorded.", count=len(payments)), "success")
    return redirect(url_for("settle.settlement_page", reference=reference, _anchor="settlements"))


@bp.post("/settlements/<int:settlement_id>/void")
@requires(PAY)
def settlement_void(settlement_id: int):
    reference = _settlement_reference(settlement_id)
    try:
        settling.void(
            get_session(),
            current_org_id(),
            current_user_id(),
            settlement_id,
            request.form.get("reason", ""),
        )
    except DomainError as exc:
        return _refused(reference, exc, "void")
    flash(_("Settlement voided."), "success")
    return redirect(url_for("settle.settlement_page", reference=reference))
