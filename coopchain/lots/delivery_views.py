"""Intake pages: the delivery tickets written at the collection centre, often on a phone.

The intake form works without JavaScript (the server lists the chosen producer's plots when it
shows the form again); with JavaScript it fills the plot list as soon as the producer is
chosen, narrows the product forms to the plot's crop and shows the net weight live.
"""

import re
from decimal import Decimal, InvalidOperation

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError, fields, pre_load, validate

from coopchain.auth.access import (
    READ,
    REGISTRY_WRITE,
    current_org_id,
    current_principal,
    current_user_id,
    requires,
)
from coopchain.clock import today
from coopchain.db import discard_changes, get_session, settings_of
from coopchain.errors import DomainError
from coopchain.farms.models import Plot
from coopchain.farms.plots import get_plot, plots_of_producers
from coopchain.farms.producers import active_producer_names, get_producer
from coopchain.formatting import money
from coopchain.forms import handle_form
from coopchain.lots import intake_warnings, rules, services
from coopchain.lots.blueprint import bp
from coopchain.lots.intake_lookup import resolve_producer, suggest_ticket
from coopchain.lots.models import ProductForm
from coopchain.lots.page_helpers import can_write as _can_write
from coopchain.lots.page_helpers import page_helpers as _helpers
from coopchain.lots.schemas import DeliveryIn, VoidIn
from coopchain.payments.core import delivery_value
from coopchain.payments.intake import may_pay_advance, record_intake_advance
from coopchain.payments.rules import unit_of
from coopchain.schemas import PageSchema

_DECIMAL_FIELDS = (
    "gross_kg",
    "tare_kg",
    "moisture_pct",
    "price_per_kg",
    "price_entered",
    "advance_amount",
)
#: "52,5": phone keyboards in a Spanish locale offer a decimal comma (inputmode="decimal").
_DECIMAL_COMMA = re.compile(r"^\s*-?\d*,\d+\s*$")


class DeliveryForm(DeliveryIn):
    """The intake form: the producer by member code or full name, a decimal comma accepted,
    and the clerk's confirmation of the warnings shown (the codes, and the tick)."""

    producer_code = fields.Str(validate=validate.Length(1, 120), load_default=None)
    save_anyway = fields.Bool(load_default=False)
    warnings_seen = fields.Str(validate=validate.Length(max=200), load_default="")

    @pre_load
    def _form_conventions(self, data, **_kwargs):
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for name in _DECIMAL_FIELDS:
            value = data.get(name)
            if isinstance(value, str) and _DECIMAL_COMMA.match(value):
                data[name] = value.replace(",", ".")
        code = data.get("producer_code")
        if isinstance(code, str) and " — " in code:  # a whole datalist label was pasted
            data["producer_code"] = code.split(" — ", 1)[0]
        return data


def _producer(org_id: int, typed: str | None):
    """The producer typed (code, label or name), or None when none or several match."""
    try:
        return resolve_producer(get_session(), org_id, typed)
    except DomainError:
        return None


def _plots_of(org_id: int, typed: str | None) -> list[Plot]:
    producer = _producer(org_id, typed)
    if producer is None:
        return []
    return plots_of_producers(get_session(), org_id, [producer.id])


def _decimal(text: str | None) -> Decimal | None:
    text = (text or "").strip()
    if _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def _net_preview(form) -> Decimal | None:
    """The net weight shown again on a re-shown form (the stored one is the service's)."""
    gross, tare = _decimal(form.get("gross_kg")), _decimal(form.get("tare_kg"))
    try:
        return rules.net_kg(gross, tare or Decimal(0)) if gross is not None else None
    except (InvalidOperation, ValueError, TypeError):  # nan, infinity, absurd exponents
        return None


def _forms_of(crop: str) -> list[str]:
    return [form.value for form in rules.FORM_CHAINS.get(crop, ())]


# --- list and detail --------------------------------------------------------------------------


@bp.get("/deliveries")
@requires(READ)
def delivery_list():
    try:
        args = PageSchema().load(request.args.to_dict())
    except ValidationError:
        args = {"page": 1, "per_page": 25, "q": None}
    rows, total = services.list_deliveries(
        get_session(), current_org_id(), args["q"], args["page"], args["per_page"]
    )
    return render_template(
        "lots/delivery_list.html",
        rows=rows,
        total=total,
        page=args["page"],
        pages=max(1, -(-total // args["per_page"])),
        q=args["q"] or "",
        can_write=_can_write(),
        **_helpers(),
    )


@bp.get("/deliveries/<int:delivery_id>")
@requires(READ)
def delivery_detail(delivery_id: int):
    db, org = get_session(), current_org_id()
    delivery = services.get_delivery(db, org, delivery_id)
    producer = get_producer(db, org, delivery.producer_id)
    plot = get_plot(db, org, delivery.plot_id)
    lot = services.lot_of_delivery(db, delivery)
    return render_template(
        "lots/delivery_detail.html",
        delivery=delivery,
        producer=producer,
        plot=plot,
        lot=lot,
        total=delivery_value(delivery),
        describe_warning=intake_warnings.describe,
        can_write=_can_write(),
        **_helpers(),
    )


# --- intake -----------------------------------------------------------------------------------


@bp.route("/deliveries/new", methods=["GET", "POST"])
@requires(REGISTRY_WRITE)
def delivery_new():
    db, org = get_session(), current_org_id()
    chosen = request.form.get("producer_code") if request.method == "POST" else None
    asked = request.args.get("producer", "").strip()
    defaults = {
        "tare_kg": "0",
        "delivered_on": today().isoformat(),
        "ticket_number": suggest_ticket(db, org),
    }
    if asked:
        defaults["producer_code"] = asked
    # The producer typed (a code, a label or a name), once for the plots and the name shown.
    typed_producer = _producer(org, chosen if request.method == "POST" else asked)
    plots = plots_of_producers(db, org, [typed_producer.id]) if typed_producer else []
    if len(plots) == 1:
        defaults["plot_id"] = str(plots[0].id)
    # Which product forms to offer before JavaScript narrows them: the chosen plot's crop, or
    # the crop all the producer's plots share, or every form.
    picked = request.form.get("plot_id") or defaults.get("plot_id")
    crops = {p.crop for p in plots if str(p.id) == picked} or {p.crop for p in plots}
    forms = _forms_of(crops.pop()) if len(crops) == 1 else [f.value for f in ProductForm]
    if len(forms) == 1:
        defaults["product_form"] = forms[0]

    shown: dict = {"warnings": [], "advance": None}
    advance_allowed = may_pay_advance(current_principal().role, settings_of(db))
    price_units = settings_of(db).price_units
    current_form = request.form.get("product_form") or defaults.get("product_form") or ""

    def save(data):
        acknowledged = (
            set(data.pop("warnings_seen").split(",")) if data.pop("save_anyway") else set()
        )
        producer = resolve_producer(db, org, data.get("producer_code"))
        if producer is not None:
            data["producer_code"] = producer.member_code
        try:
            delivery = services.register_delivery(db, org, current_user_id(), data, acknowledged)
        except intake_warnings.IntakeWarnings as exc:
            shown["warnings"] = exc.warnings
            raise
        shown["advance"] = record_intake_advance(
            db, org, current_user_id(), delivery, data, allowed=advance_allowed
        )
        return delivery

    def on_success(delivery):
        lot = services.lot_of_delivery(db, delivery)
        message = _(
            "Delivery %(ticket)s recorded: lot %(lot)s.",
            ticket=delivery.ticket_number,
            lot=lot.code,
        )
        if delivery.intake_warnings:
            message += " " + _(
                "Recorded with its warnings: %(codes)s.",
                codes=", ".join(intake_warnings.codes_of(delivery.intake_warnings)),
            )
        advance = shown["advance"]
        if advance is not None:
            message += " " + _(
                "Advance %(number)s paid: %(amount)s.",
                number=advance.number,
                amount=money(advance.amount, advance.currency),
            )
        flash(message, "success")
        if advance is not None:
            return redirect(url_for("payments.payment_detail", number=advance.number))
        return redirect(url_for("lots.delivery_detail", delivery_id=delivery.id))

    producers = active_producer_names(get_session(), org)
    return handle_form(
        "lots/delivery_form.html",
        DeliveryForm(exclude=("producer_id",)),
        save,
        on_success,
        defaults=defaults,
        intake=shown,
        describe_warning=intake_warnings.describe,
        producers=producers,
        chosen=typed_producer,
        plots=plots,
        forms=forms,
        all_forms=[f.value for f in ProductForm],
        crop_forms={crop: _forms_of(crop) for crop in rules.FORM_CHAINS},
        crop_labels={crop: _(crop) for crop in rules.FORM_CHAINS},  # values, in i18n_terms
        net_preview=_net_preview(request.form) if request.method == "POST" else None,
        today=today().isoformat(),
        price_unit=unit_of(price_units, current_form),
        price_units={form.value: unit_of(price_units, form.value) for form in ProductForm},
        advance_allowed=advance_allowed,
        payment_methods=["cash", "bank_transfer", "yape", "plin"],
        **_helpers(),
    )


@bp.get("/deliveries/plots")
@requires(READ)
def delivery_plot_options():
    plots = _plots_of(current_org_id(), request.args.get("producer"))
    return jsonify(
        [{"id": p.id, "name": p.name, "crop": p.crop, "forms": _forms_of(p.crop)} for p in plots]
    )


@bp.post("/deliveries/<int:delivery_id>/void")
@requires(REGISTRY_WRITE)
def delivery_void(delivery_id: int):
    db, org = get_session(), current_org_id()
    delivery = services.get_delivery(db, org, delivery_id)  # 404 for another org's ticket
    back = url_for("lots.delivery_detail", delivery_id=delivery.id)
    raw = {k: v for k, v in request.form.items() if k in VoidIn().fields}
    try:
        data = VoidIn().load(raw)
        services.void_delivery(db, org, current_user_id(), delivery.id, data["reason"])
        lot = services.lot_of_delivery(db, delivery)
    except ValidationError:
        flash(_("Give a reason to void the delivery."), "error")
        return redirect(back), 303
    except DomainError as exc:
        discard_changes()  # a redirect is a success status: make sure nothing half-done commits
        flash(exc.message, "error")
        return redirect(back), 303
    flash(
        _(
            "Delivery %(ticket)s voided; lot %(lot)s voided with it.",
            ticket=delivery.ticket_number,
            lot=lot.code,
        ),
        "success",
    )
    return redirect(back), 303
