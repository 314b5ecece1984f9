"""Lots and deliveries: lookups, codes, intake and its voiding (transformations.py, bags.py
and offline_intake.py hold the rest); DESIGN.md §3: scoped, a ledger event per write, no commit.
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from coopchain.auth.models import Organization
from coopchain.bulk_insert import insert_all
from coopchain.clock import today, utcnow
from coopchain.db import in_organization, owned, settings_of
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.farms.models import Plot, Producer, ProducerStatus
from coopchain.farms.registry_common import like_pattern
from coopchain.ledger.services import append, append_many
from coopchain.lots import intake_warnings, rules
from coopchain.lots.models import (
    Delivery,
    Lot,
    LotStatus,
    Sequence,
)
from coopchain.payments.rules import intake_price_fields

MAX_MOISTURE_PCT = Decimal("70")


# --- counters and codes ---------------------------------------------------------------------


def reserve_numbers(session: Session, org_id: int, name: str, count: int = 1) -> int:
    """Reserve `count` consecutive numbers of a counter; returns the first.

    The counter row is locked (FOR UPDATE on PostgreSQL) so two clerks never get the same
    number; a counter's first use races on its unique key and the loser re-reads it."""
    query = (
        owned(Sequence, org_id)
        .where(Sequence.name == name)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    counter = session.scalar(query)
    if counter is None:
        try:
            with session.begin_nested():
                counter = Sequence(organization_id=org_id, name=name, last_value=0)
                session.add(counter)
        except IntegrityError:
            counter = session.scalar(query)
    first = counter.last_value + 1
    counter.last_value += count
    session.flush()
    return first


def peek_number(session: Session, org_id: int, name: str) -> int:
    """The number reserve_numbers would give next, reserving nothing (a job renders with it
    before taking the write lock, then reserves and compares: certs/registry.py)."""
    last = session.scalar(
        select(Sequence.last_value).where(in_organization(Sequence, org_id), Sequence.name == name)
    )
    return (last or 0) + 1


def _organization_code(session: Session, org_id: int) -> str:
    return session.scalar(select(Organization.code).where(Organization.id == org_id))


def new_lot_codes(session: Session, org_id: int, crop: str, year: int, count: int) -> list[str]:
    org_code = _organization_code(session, org_id)
    patterns = settings_of(session).lot_code_patterns
    pattern = patterns.get(org_code, {}).get(crop) or patterns["*"][crop]
    first = reserve_numbers(
        session, org_id, rules.counter_name(pattern, year=year, org=org_code), count
    )
    return [
        rules.format_code(pattern, year=year, org=org_code, seq=n)
        for n in range(first, first + count)
    ]


# --- lookups ----------------------------------------------------------------------------------


def get_lot(session: Session, org_id: int, code: str) -> Lot:
    lot = session.scalar(owned(Lot, org_id).where(Lot.code == code))
    if lot is None:
        raise NotFound(str(_l("No lot with code %(code)s.", code=code)))
    return lot


def lock_lots(session: Session, org_id: int, lot_ids: Iterable[int]) -> dict[int, Lot]:
    """Lock lots for consumption, in id order so two merges cannot deadlock (DESIGN.md §4),
    and re-read them so the available quantity is the committed one."""
    lots = session.scalars(
        owned(Lot, org_id)
        .where(Lot.id.in_(sorted(set(lot_ids))))
        .order_by(Lot.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {lot.id: lot for lot in lots}


def list_lots(
    session: Session,
    org_id: int,
    *,
    q: str | None = None,
    product_form: str | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> tuple[list[Lot], int]:
    query = owned(Lot, org_id)
    if q:
        query = query.where(func.lower(Lot.code).like(like_pattern(q.strip()), escape="\\"))
    if product_form:
        query = query.where(Lot.product_form == product_form)
    if status == LotStatus.VOIDED:
        query = query.where(Lot.voided_at.is_not(None))
    elif status == LotStatus.AVAILABLE:
        query = query.where(Lot.voided_at.is_(None), Lot.available_kg > 0)
    elif status == LotStatus.DEPLETED:
        query = query.where(Lot.voided_at.is_(None), Lot.available_kg == 0)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(
        query.order_by(Lot.id.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    return list(items), total


# --- deliveries -------------------------------------------------------------------------------


def get_delivery(session: Session, org_id: int, delivery_id: int) -> Delivery:
    delivery = session.scalar(
        select(Delivery).where(Delivery.id == delivery_id, in_organization(Delivery, org_id))
    )
    if delivery is None:
        raise NotFound(str(_l("No such delivery.")))
    return delivery


def lot_of_delivery(session: Session, delivery: Delivery) -> Lot:
    return session.scalar(select(Lot).where(Lot.delivery_id == delivery.id))


def list_deliveries(
    session: Session, org_id: int, q: str | None, page: int, per_page: int
) -> tuple[list[tuple[Delivery, Producer, Plot, Lot]], int]:
    query = (
        select(Delivery, Producer, Plot, Lot)
        .join(Producer, Producer.id == Delivery.producer_id)
        .join(Plot, Plot.id == Delivery.plot_id)
        .join(Lot, Lot.delivery_id == Delivery.id)
        .where(in_organization(Delivery, org_id))
    )
    if q:
        like = like_pattern(q.strip())
        query = query.where(
            or_(
                func.lower(Delivery.ticket_number).like(like, escape="\\"),
                func.lower(Producer.member_code).like(like, escape="\\"),
                func.lower(Producer.first_name + " " + Producer.last_name).like(like, escape="\\"),
                func.lower(Lot.code).like(like, escape="\\"),
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(
        query.order_by(Delivery.delivered_on.desc(), Delivery.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return [tuple(row) for row in rows], total


def delivery_rule_errors(data: dict, producer: Producer | None, plot: Plot | None) -> dict:
    """{field: [message]} for the intake rules (issue: lots); empty when the ticket is fine."""
    errors: dict[str, list[str]] = {}

    def refuse(name, message):
        errors.setdefault(name, []).append(str(message))

    if producer is None:
        refuse(
            "producer_id" if data.get("producer_id") else "producer_code", _l("No such producer.")
        )
    elif producer.status != ProducerStatus.ACTIVE:
        # An inactive or withdrawn member is outside the internal control system (DOMAIN.md §3).
        refuse("producer_code", _l("This producer is not an active member."))
    if plot is None:
        refuse("plot_id", _l("No such plot."))
    elif producer is not None and plot.producer_id != producer.id:
        refuse("plot_id", _l("This plot belongs to another producer."))
    elif not rules.form_belongs_to_crop(plot.crop, data["product_form"]):
        refuse("product_form", _l("This plot grows %(crop)s, not this product.", crop=_(plot.crop)))
    if data["delivered_on"] > today():
        refuse("delivered_on", _l("Cannot be in the future."))
    moisture = data.get("moisture_pct")
    if moisture is not None and not (0 <= moisture <= MAX_MOISTURE_PCT):
        refuse("moisture_pct", _l("Moisture must be between 0 and 70 %."))
    if data["tare_kg"] < 0:
        refuse("tare_kg", _l("Cannot be negative."))
    if rules.net_kg(data["gross_kg"], data["tare_kg"]) <= 0:
        refuse("tare_kg", _l("Net weight (gross − tare) must be above zero."))
    return errors


def register_delivery(
    session: Session, org_id: int, user_id: int | None, data: dict, acknowledged=None
) -> Delivery:
    """Record an intake ticket and the origin lot it creates (producer by id or member code);
    `acknowledged`: see intake_warnings.record."""
    by_id = data.get("producer_id") is not None
    producer = session.scalar(
        select(Producer).where(
            Producer.id == data["producer_id"]
            if by_id
            else Producer.member_code == data.get("producer_code"),
            in_organization(Producer, org_id),
        )
    )
    if producer is None:
        message = str(_l("No such producer."))
        raise DomainError(message, {"producer_id" if by_id else "producer_code": [message]})
    data = {**data, "producer_id": producer.id}
    plot = session.scalar(
        select(Plot).where(Plot.id == data["plot_id"], in_organization(Plot, org_id))
    )
    errors = delivery_rule_errors(data, producer, plot)
    if errors:
        raise DomainError(str(_l("The delivery was not recorded.")), errors)
    if ticket_taken(session, org_id, [data["ticket_number"]]):
        raise Conflict(
            str(_l("Ticket %(n)s is already recorded.", n=data["ticket_number"])),
            {"ticket_number": [str(_l("Already used in this organisation."))]},
        )
    return register_checked_deliveries(session, org_id, user_id, [(data, plot)], acknowledged)[0]


def ticket_taken(session: Session, org_id: int, tickets: list[str]) -> set[str]:
    taken: set[str] = set()
    for start in range(0, len(tickets), 900):  # stay under SQLite's bound-parameter limit
        taken.update(
            session.scalars(
                select(Delivery.ticket_number).where(
                    in_organization(Delivery, org_id),
                    Delivery.ticket_number.in_(tickets[start : start + 900]),
                )
            )
        )
    return taken


def register_checked_deliveries(
    session: Session, org_id: int, user_id: int | None, rows: list[tuple[dict, Plot]], ack=None
) -> list[Delivery]:
    """Insert deliveries whose rules were checked, with their lots and events, in bulk."""
    price_units = settings_of(session).price_units
    deliveries = insert_all(
        session,
        Delivery,
        [
            {
                "organization_id": org_id,
                "ticket_number": data["ticket_number"],
                "producer_id": plot.producer_id,
                "plot_id": plot.id,
                "crop": plot.crop,
                "product_form": data["product_form"],
                "gross_kg": rules.kg(data["gross_kg"]),
                "tare_kg": rules.kg(data["tare_kg"]),
                "net_kg": rules.net_kg(data["gross_kg"], data["tare_kg"]),
                "moisture_pct": data.get("moisture_pct"),
                "delivered_on": data["delivered_on"],
                **intake_price_fields(data, price_units),
                "notes": data.get("notes"),
                "user_id": user_id,
                "client_id": data.get("client_id"),
            }
            for data, plot in rows
        ],
    )
    codes = _codes_for(session, org_id, [(d.crop, d.delivered_on) for d in deliveries])
    lots = insert_all(
        session,
        Lot,
        [
            {
                "organization_id": org_id,
                "code": code,
                "crop": d.crop,
                "product_form": d.product_form,
                "quantity_kg": d.net_kg,
                "available_kg": d.net_kg,
                "produced_on": d.delivered_on,
                "delivery_id": d.id,
            }
            for d, code in zip(deliveries, codes, strict=True)
        ],
    )
    intake_warnings.record(session, org_id, deliveries, ack)
    append_many(
        session,
        org_id,
        [
            {
                "kind": "delivery.registered",
                "subject": ("lot", lot.code),
                "payload": {
                    "delivery_id": d.id,
                    "ticket_number": d.ticket_number,
                    "producer_id": d.producer_id,
                    "plot_id": d.plot_id,
                    "product_form": d.product_form,
                    "gross_kg": d.gross_kg,
                    "tare_kg": d.tare_kg,
                    "net_kg": d.net_kg,
                    "moisture_pct": d.moisture_pct,
                    "delivered_on": d.delivered_on,
                    "price_per_kg": d.price_per_kg,
                    **{name: getattr(d, name) for name in ("price_entered", "price_unit")},
                    "lot": lot.code,
                    "intake_warnings": d.intake_warnings,
                    **({"client_id": d.client_id} if d.client_id else {}),
                },
            }
            for d, lot in zip(deliveries, lots, strict=True)
        ],
        user_id=user_id,
    )
    return deliveries


def _codes_for(session: Session, org_id: int, wanted: list[tuple[str, date]]) -> list[str]:
    """Lot codes for (crop, date) pairs, reserving each counter's block once."""
    groups: dict[tuple[str, int], list[int]] = {}
    for index, (crop, day) in enumerate(wanted):
        groups.setdefault((crop, day.year), []).append(index)
    codes: list[str] = [""] * len(wanted)
    for (crop, year), indexes in sorted(groups.items()):
        for index, code in zip(
            indexes, new_lot_codes(session, org_id, crop, year, len(indexes)), strict=True
        ):
            codes[index] = code
    return codes


def void_delivery(
    session: Session, org_id: int, user_id: int | None, delivery_id: int, reason: str
) -> Delivery:
    """Undo a mistaken ticket. Only while its lot is untouched: once product moved on, the
    correction is a transformation, not a rewrite of history."""
    delivery = get_delivery(session, org_id, delivery_id)
    if delivery.voided_at is not None:
        raise Conflict(str(_l("This delivery is already voided.")))
    if not (reason or "").strip():
        raise DomainError(str(_l("Give a reason.")), {"reason": [str(_l("Required."))]})
    lot = lock_lots(session, org_id, [lot_of_delivery(session, delivery).id]).popitem()[1]
    if lot.available_kg != lot.quantity_kg:
        raise Conflict(
            str(
                _l(
                    "Lot %(code)s has already been used; undo what used it first.",
                    code=lot.code,
                )
            )
        )
    now = utcnow()
    delivery.voided_at, delivery.void_reason = now, reason.strip()
    lot.voided_at, lot.available_kg = now, Decimal("0")
    session.flush()
    append(
        session,
        org_id,
        "delivery.voided",
        ("lot", lot.code),
        {
            "delivery_id": delivery.id,
            "ticket_number": delivery.ticket_number,
            "errorDeclaration": {"declarationTime": now, "reason": reason.strip()},
        },
        action="DELETE",
        user_id=user_id,
    )
    return delivery
