"""Intake tickets typed on a device without a connection and sent later (the offline intake).

The device gives each ticket an id of its own (crypto.randomUUID) and may send it any number
of times: a lost answer, a flaky line, two tabs resending at once. The id is unique per
organisation (Delivery.client_id), so the same ticket is recorded once and every later send
answers "already recorded" with the same delivery. A ticket that can no longer be recorded as
typed (its number taken meanwhile, its producer suspended, its plot changed, warnings to
confirm) is answered "needs attention" with the reason: nothing is written and nothing is lost,
the device keeps it until the clerk fixes and resends it.

Services only (DESIGN.md §3): scoped by organisation, a ledger event per delivery (through
services.register_delivery), flush and never commit.
"""

import hashlib
import json
import re

from flask_babel import gettext as _
from marshmallow import ValidationError, fields, pre_load, validate
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from coopchain.db import in_organization, owned
from coopchain.errors import DomainError
from coopchain.farms.models import Plot, Producer, ProducerStatus
from coopchain.lots import intake_warnings, rules, services
from coopchain.lots.models import Delivery, Lot
from coopchain.lots.schemas import DeliveryIn

#: Tickets per request: a day's work (200+) goes in a few requests on a poor line.
MAX_BATCH = 50
#: What crypto.randomUUID() makes (RFC 4122 version 4), in any case.
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", re.I)
_DECIMAL_COMMA = re.compile(r"^\s*-?\d*,\d+\s*$")
_DECIMALS = ("gross_kg", "tare_kg", "moisture_pct", "price_entered")

#: Why a ticket needs the clerk (the device shows the message; the code drives its buttons).
TICKET_TAKEN = "ticket_taken"
PRODUCER_INACTIVE = "producer_inactive"
PRODUCER_UNKNOWN = "producer_unknown"
PLOT_CHANGED = "plot_changed"
WARNINGS = "warnings"
INVALID = "invalid"
OTHER_ORGANIZATION = "other_organization"


#: The intake fields a device does not send: the producer travels by member code, the price as
#: entered, and no advance (paying needs the office online).
_NOT_FROM_DEVICES = (
    "producer_id",
    "price_per_kg",
    "price_unit",
    "advance_amount",
    "advance_method",
    "advance_cci",
    "advance_reference",
)


class OfflineTicketIn(DeliveryIn):
    """A ticket as the device kept it: the intake fields, the device's id, the organisation
    and plot version it was typed against, and the warning codes the clerk confirmed after a
    first answer."""

    client_id = fields.Str(required=True, validate=validate.Regexp(_UUID))
    organization = fields.Str(required=True, validate=validate.Length(1, 40))
    producer_code = fields.Str(required=True, validate=validate.Length(1, 32))
    plot_version = fields.Str(validate=validate.Length(max=64), load_default=None)
    acknowledged = fields.List(
        fields.Str(validate=validate.Length(1, 40)), validate=validate.Length(max=20)
    )
    typed_at = fields.DateTime(load_default=None)

    @pre_load
    def _device_conventions(self, data, **_kwargs):
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for name in _DECIMALS:  # "52,5" from a phone keyboard in a Spanish locale
            value = data.get(name)
            if isinstance(value, str) and _DECIMAL_COMMA.match(value):
                data[name] = value.replace(",", ".")
        return data


def plot_version(plot: Plot) -> str:
    """A short fingerprint of what the clerk chose a plot by (owner, name, crop, boundary): a
    ticket typed against another version is shown to the clerk, not recorded blindly."""
    facts = [plot.producer_id, plot.name, plot.crop, plot.geometry]
    digest = hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


def offline_lists(session: Session, org_id: int) -> list[dict]:
    """The active producers with their plots, as the device keeps them for a day offline."""
    producers = list(
        session.scalars(
            owned(Producer, org_id)
            .where(Producer.status == ProducerStatus.ACTIVE)
            .order_by(Producer.member_code)
        )
    )
    plots: dict[int, list[dict]] = {p.id: [] for p in producers}
    for plot in session.scalars(owned(Plot, org_id).order_by(Plot.producer_id, Plot.name)):
        if plot.producer_id in plots:
            plots[plot.producer_id].append(
                {
                    "id": plot.id,
                    "name": plot.name,
                    "crop": plot.crop,
                    "forms": [form.value for form in rules.FORM_CHAINS.get(plot.crop, ())],
                    "version": plot_version(plot),
                }
            )
    return [{"code": p.member_code, "name": p.full_name, "plots": plots[p.id]} for p in producers]


def _recorded(session: Session, delivery: Delivery, duplicate: bool) -> dict:
    lot_code = session.scalar(select(Lot.code).where(Lot.delivery_id == delivery.id))
    return {
        "client_id": delivery.client_id,
        "status": "recorded",
        "duplicate": duplicate,
        "delivery_id": delivery.id,
        "ticket_number": delivery.ticket_number,
        "lot": lot_code,
        "warnings": [intake_warnings.describe(w) for w in delivery.intake_warnings],
    }


def _attention(client_id, reason: str, message: str, fields_=None, warnings=None) -> dict:
    return {
        "client_id": client_id,
        "status": "attention",
        "reason": reason,
        "message": message,
        "fields": fields_ or {},
        "warnings": warnings or [],
    }


def _by_client_id(session: Session, org_id: int, client_id: str) -> Delivery | None:
    return session.scalar(
        select(Delivery).where(
            in_organization(Delivery, org_id), Delivery.client_id == client_id.lower()
        )
    )


def _conflict(session: Session, org_id: int, data: dict) -> dict | None:
    """The reason a valid ticket cannot be recorded as typed any more, or None."""
    cid = data["client_id"]
    producer = session.scalar(
        owned(Producer, org_id).where(Producer.member_code == data["producer_code"])
    )
    if producer is None:
        return _attention(
            cid,
            PRODUCER_UNKNOWN,
            _("No producer has the member code %(code)s.", code=data["producer_code"]),
            {"producer_code": [_("No such producer.")]},
        )
    if producer.status != ProducerStatus.ACTIVE:
        # Outside the internal control system while suspended or withdrawn (DOMAIN.md §3).
        return _attention(
            cid,
            PRODUCER_INACTIVE,
            _(
                "%(name)s (%(code)s) is no longer an active member: check with the office "
                "before recording this delivery.",
                name=producer.full_name,
                code=producer.member_code,
            ),
            {"producer_code": [_("This producer is not an active member.")]},
        )
    plot = session.scalar(owned(Plot, org_id).where(Plot.id == data["plot_id"]))
    moved = plot is None or plot.producer_id != producer.id
    if moved or (data["plot_version"] and data["plot_version"] != plot_version(plot)):
        return _attention(
            cid,
            PLOT_CHANGED,
            _(
                "The plot changed since this device loaded it (owner, name, crop or "
                "boundary): choose the plot again and send."
            ),
            {"plot_id": [_("Choose the plot again.")]},
        )
    if services.ticket_taken(session, org_id, [data["ticket_number"]]):
        return _attention(
            cid,
            TICKET_TAKEN,
            _(
                "Ticket %(n)s was recorded meanwhile for another delivery: give this one "
                "its own number and send.",
                n=data["ticket_number"],
            ),
            {"ticket_number": [_("Already used in this organisation.")]},
        )
    return None


def send_ticket(
    session: Session, org_id: int, org_code: str, user_id: int | None, raw: object
) -> dict:
    """Record one ticket from a device, or say why not; the same client id is recorded once."""
    guess = raw.get("client_id") if isinstance(raw, dict) else None
    cid = guess if isinstance(guess, str) and _UUID.match(guess) else None
    try:
        data = OfflineTicketIn(exclude=_NOT_FROM_DEVICES).load(raw)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
        return _attention(cid, INVALID, _("Some fields are not valid."), messages)
    data["client_id"] = cid = data["client_id"].lower()
    if data.pop("organization") != org_code:
        return _attention(
            cid,
            OTHER_ORGANIZATION,
            _("This ticket was typed for another organisation: switch to it to send it."),
        )
    existing = _by_client_id(session, org_id, cid)
    if existing is not None:
        return _recorded(session, existing, duplicate=True)
    found = _conflict(session, org_id, data)
    if found is not None:
        return found
    acknowledged = set(data.pop("acknowledged", None) or ())
    for name in ("plot_version", "typed_at"):
        data.pop(name)
    try:
        with session.begin_nested():
            delivery = services.register_delivery(session, org_id, user_id, data, acknowledged)
    except IntegrityError:
        # Sent twice at once: the other request recorded it first (the unique client id), or
        # another delivery took the ticket number in the same instant.
        existing = _by_client_id(session, org_id, cid)
        if existing is not None:
            return _recorded(session, existing, duplicate=True)
        return _conflict(session, org_id, data) or _attention(
            cid, TICKET_TAKEN, _("Already used in this organisation.")
        )
    except intake_warnings.IntakeWarnings as exc:
        return _attention(
            cid,
            WARNINGS,
            exc.message,
            warnings=[
                {"code": w["code"], "text": intake_warnings.describe(w)} for w in exc.warnings
            ],
        )
    except DomainError as exc:
        return _attention(cid, INVALID, exc.message, exc.fields)
    return _recorded(session, delivery, duplicate=False)


def send_tickets(
    session: Session, org_id: int, org_code: str, user_id: int | None, tickets: list
) -> list[dict]:
    """Each ticket's answer, in order; one ticket's trouble never holds back the others."""
    if not isinstance(tickets, list) or not 1 <= len(tickets) <= MAX_BATCH:
        message = _("Send between 1 and %(n)s tickets at a time.", n=MAX_BATCH)
        raise DomainError(message, {"tickets": [message]})
    return [send_ticket(session, org_id, org_code, user_id, raw) for raw in tickets]
