"""Shipments: create and edit (each field checked in fields.py), move through their statuses,
allocate bags (DESIGN.md §3).

Scoped by organisation, a ledger event per write, flush and never commit. After *shipped* the
allocation is frozen (issue: shipments); descriptive fields stay editable, because the DDS
reference and verification numbers arrive from the importer after the ship has left.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.clock import today, utcnow
from coopchain.db import in_organization, owned
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.farms.registry_common import like_pattern
from coopchain.ledger.services import append, changes
from coopchain.lots.models import Bag, Lot
from coopchain.lots.services import get_lot
from coopchain.shipments.fields import EDITABLE, _refuse, clean_fields
from coopchain.shipments.models import NEXT_STATUS, Shipment, ShipmentStatus


def _snapshot(shipment: Shipment) -> dict:
    return {name: getattr(shipment, name) for name in EDITABLE}


# --- lookups ----------------------------------------------------------------------------------


def get_shipment(session: Session, org_id: int, reference: str, *, lock: bool = False):
    query = owned(Shipment, org_id).where(Shipment.reference == reference)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    shipment = session.scalar(query)
    if shipment is None:
        raise NotFound(str(_l("No shipment %(reference)s.", reference=reference)))
    return shipment


def list_shipments(session: Session, org_id: int, *, q=None, status=None, page=1, per_page=25):
    query = owned(Shipment, org_id)
    if q:
        pattern = like_pattern(q.strip())
        query = query.where(
            func.lower(Shipment.reference).like(pattern, escape="\\")
            | func.lower(Shipment.buyer_name).like(pattern, escape="\\")
            | func.lower(Shipment.container_number).like(pattern, escape="\\")
        )
    if status:
        query = query.where(Shipment.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(
        query.order_by(Shipment.id.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    return list(items), total


def bags_of(session: Session, shipment: Shipment) -> list[tuple[Bag, Lot]]:
    rows = session.execute(
        select(Bag, Lot)
        .join(Lot, Lot.id == Bag.lot_id)
        .where(Bag.shipment_id == shipment.id, Bag.voided_at.is_(None))
        .order_by(Lot.code, Bag.serial)
    )
    return [(bag, lot) for bag, lot in rows]


def lots_of(session: Session, shipment: Shipment) -> list[Lot]:
    return list(
        session.scalars(
            select(Lot)
            .where(
                Lot.id.in_(
                    select(Bag.lot_id).where(
                        Bag.shipment_id == shipment.id, Bag.voided_at.is_(None)
                    )
                )
            )
            .order_by(Lot.code)
        )
    )


@dataclass(frozen=True)
class LotLine:
    """One lot's part of the shipment: the packing list's row."""

    lot: Lot
    bags: int
    net_kg: Decimal
    first_serial: str
    last_serial: str


@dataclass(frozen=True)
class Totals:
    bags: int
    net_kg: Decimal
    lines: list[LotLine]


def totals_of(session: Session, shipment: Shipment) -> Totals:
    rows = session.execute(
        select(
            Bag.lot_id,
            func.count(Bag.id),
            func.sum(Bag.net_kg),
            func.min(Bag.serial),
            func.max(Bag.serial),
        )
        .where(Bag.shipment_id == shipment.id, Bag.voided_at.is_(None))
        .group_by(Bag.lot_id)
    ).all()
    lots = {
        lot.id: lot for lot in session.scalars(select(Lot).where(Lot.id.in_([r[0] for r in rows])))
    }
    lines = sorted(
        (
            LotLine(lots[lot_id], count, Decimal(total), first, last)
            for lot_id, count, total, first, last in rows
        ),
        key=lambda line: line.lot.code,
    )
    return Totals(
        bags=sum(line.bags for line in lines),
        net_kg=sum((line.net_kg for line in lines), Decimal("0.000")),
        lines=lines,
    )


def bag_counts(session: Session, ids: list[int]) -> dict[int, tuple[int, object]]:
    """{shipment id: (bags, net kg)} for the shipments on one page of the list."""
    if not ids:
        return {}
    rows = session.execute(
        select(Bag.shipment_id, func.count(Bag.id), func.sum(Bag.net_kg))
        .where(Bag.shipment_id.in_(ids), Bag.voided_at.is_(None))
        .group_by(Bag.shipment_id)
    )
    return {shipment_id: (count, total) for shipment_id, count, total in rows}


def lot_suggestions(session: Session, shipment: Shipment, limit: int = 50) -> list[tuple]:
    """Live lots of the shipment's crop with bags on no shipment: (lot, free bags, free kg)."""
    rows = session.execute(
        select(Lot, func.count(Bag.id), func.sum(Bag.net_kg))
        .join(Bag, Bag.lot_id == Lot.id)
        .where(
            in_organization(Lot, shipment.organization_id),
            Lot.crop == shipment.crop,
            Lot.voided_at.is_(None),
            Bag.voided_at.is_(None),
            Bag.shipment_id.is_(None),
        )
        .group_by(Lot.id)
        .order_by(Lot.code)
        .limit(limit)
    )
    return [(lot, count, total) for lot, count, total in rows]


# --- writes -----------------------------------------------------------------------------------


def create_shipment(session: Session, org_id: int, user_id, data: dict) -> Shipment:
    cleaned = clean_fields(data, creating=True)
    taken = session.scalar(
        select(Shipment.id).where(
            in_organization(Shipment, org_id), Shipment.reference == cleaned["reference"]
        )
    )
    if taken:
        raise _refuse({"reference": [str(_l("This reference is already used."))]})
    shipment = Shipment(organization_id=org_id, user_id=user_id, **cleaned)
    session.add(shipment)
    session.flush()
    append(
        session,
        org_id,
        "shipment.created",
        ("shipment", shipment.reference),
        {"crop": shipment.crop, **_snapshot(shipment)},
        event_type="TransactionEvent",
        user_id=user_id,
    )
    return shipment


def update_shipment(session: Session, org_id: int, user_id, reference: str, data: dict):
    shipment = get_shipment(session, org_id, reference, lock=True)
    cleaned = clean_fields(data, creating=False)
    before = _snapshot(shipment)
    for name, value in cleaned.items():
        setattr(shipment, name, value)
    diff = changes(before, _snapshot(shipment))
    if diff:
        shipment.updated_at = utcnow()
        session.flush()
        append(
            session,
            org_id,
            "shipment.updated",
            ("shipment", shipment.reference),
            {"changes": diff},
            event_type="TransactionEvent",
            action="OBSERVE",
            user_id=user_id,
        )
    return shipment


def advance_status(session: Session, org_id: int, user_id, reference: str, on: date | None = None):
    """planned → loading → shipped → delivered. Shipping needs bags and a valid container
    number, and freezes the allocation."""
    shipment = get_shipment(session, org_id, reference, lock=True)
    target = NEXT_STATUS.get(ShipmentStatus(shipment.status))
    if target is None:
        raise Conflict(str(_l("Shipment %(reference)s is delivered.", reference=reference)))
    on = on or today()
    if on > today():
        raise DomainError(
            str(_l("Some fields need attention.")),
            {"on": [str(_l("A date that is not in the future."))]},
        )
    if target == ShipmentStatus.SHIPPED:
        missing = []
        if not totals_of(session, shipment).bags:
            missing.append(str(_l("bags")))
        if not shipment.container_number:
            missing.append(str(_l("container number")))
        if missing:
            raise Conflict(
                str(_l("Before shipping, record: %(missing)s.", missing=", ".join(missing)))
            )
        shipment.shipped_on = on
    elif target == ShipmentStatus.DELIVERED:
        shipment.delivered_on = on
    shipment.status, shipment.updated_at = target, utcnow()
    session.flush()
    append(
        session,
        org_id,
        f"shipment.{target.value}",
        ("shipment", shipment.reference),
        {"status": target.value, "on": on, "container": shipment.container_number},
        event_type="TransactionEvent",
        action="OBSERVE",
        user_id=user_id,
    )
    return shipment


def _require_open_allocation(shipment: Shipment) -> None:
    if shipment.allocation_frozen:
        raise Conflict(
            str(
                _l(
                    "Shipment %(reference)s has left: its bags can no longer change.",
                    reference=shipment.reference,
                )
            )
        )


def allocate(session: Session, org_id: int, user_id, reference: str, *, lot_codes=(), serials=()):
    """Put whole lots' free bags and/or individual bags on the shipment. Every bag named must
    be live, of the shipment's crop, and not on another shipment; otherwise nothing changes."""
    shipment = get_shipment(session, org_id, reference, lock=True)
    _require_open_allocation(shipment)
    lot_codes = [c.strip() for c in lot_codes if c and c.strip()]
    serials = [s.strip() for s in serials if s and s.strip()]
    if not lot_codes and not serials:
        raise _refuse({"bags": [str(_l("Name at least one lot or bag."))]})
    errors: dict[str, list[str]] = {}
    wanted: dict[int, Bag] = {}
    for code in lot_codes:
        try:
            lot = get_lot(session, org_id, code)
        except NotFound as exc:
            errors.setdefault("lot_codes", []).append(exc.message)
            continue
        if lot.crop != shipment.crop:
            errors.setdefault("lot_codes", []).append(
                str(
                    _l(
                        "Lot %(code)s is %(crop)s, the shipment %(other)s.",
                        code=code,
                        crop=_l(lot.crop),
                        other=_l(shipment.crop),
                    )
                )
            )
            continue
        # Locked (PostgreSQL): two shipments taking the same free bag at once must not both
        # believe they got it (DESIGN.md §4).
        free = session.scalars(
            select(Bag)
            .where(Bag.lot_id == lot.id, Bag.voided_at.is_(None), Bag.shipment_id.is_(None))
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
        if not free:
            errors.setdefault("lot_codes", []).append(
                str(_l("Lot %(code)s has no free bags.", code=code))
            )
        wanted.update({bag.id: bag for bag in free})
    if serials:
        found = {
            bag.serial: (bag, lot)
            for bag, lot in session.execute(
                select(Bag, Lot)
                .join(Lot, Lot.id == Bag.lot_id)
                .where(in_organization(Bag, org_id), Bag.serial.in_(serials))
                .with_for_update(of=Bag)
                .execution_options(populate_existing=True)
            )
        }
        for serial in serials:
            bag, lot = found.get(serial, (None, None))
            problem = None
            if bag is None:
                problem = _l("No bag %(serial)s.", serial=serial)
            elif bag.voided_at is not None:
                problem = _l("Bag %(serial)s is voided.", serial=serial)
            elif bag.shipment_id not in (None, shipment.id):
                problem = _l("Bag %(serial)s is on another shipment.", serial=serial)
            elif lot.crop != shipment.crop:
                problem = _l(
                    "Bag %(serial)s is not %(crop)s.", serial=serial, crop=_l(shipment.crop)
                )
            if problem:
                errors.setdefault("serials", []).append(str(problem))
            else:
                wanted[bag.id] = bag
    if errors:
        raise _refuse(errors)
    added = [bag for bag in wanted.values() if bag.shipment_id != shipment.id]
    for bag in added:
        bag.shipment_id = shipment.id
    session.flush()
    if added:
        # EPCIS AggregationEvent: bags (children) into the consignment (parent) (DOMAIN.md §6).
        append(
            session,
            org_id,
            "shipment.bags_added",
            ("shipment", shipment.reference),
            {"childEPCs": sorted(b.serial for b in added), "container": shipment.container_number},
            event_type="AggregationEvent",
            action="ADD",
            user_id=user_id,
        )
    return added


def release(session: Session, org_id: int, user_id, reference: str, serials) -> list[Bag]:
    """Take bags off a shipment that has not left."""
    shipment = get_shipment(session, org_id, reference, lock=True)
    _require_open_allocation(shipment)
    serials = [s.strip() for s in serials if s and s.strip()]
    bags = session.scalars(
        select(Bag).where(Bag.shipment_id == shipment.id, Bag.serial.in_(serials))
    ).all()
    unknown = sorted(set(serials) - {b.serial for b in bags})
    if unknown or not serials:
        raise _refuse(
            {
                "serials": [
                    str(_l("Not on this shipment: %(serials)s.", serials=", ".join(unknown) or "—"))
                ]
            }
        )
    for bag in bags:
        bag.shipment_id = None
    session.flush()
    append(
        session,
        org_id,
        "shipment.bags_removed",
        ("shipment", shipment.reference),
        {"childEPCs": sorted(b.serial for b in bags)},
        event_type="AggregationEvent",
        action="DELETE",
        user_id=user_id,
    )
    return list(bags)
