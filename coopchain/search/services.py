"""Everything one box can find: producers (by code, name, community; by national ID or phone
for roles that see private data), lots, bags, intake tickets and shipments, by what people read
on paper and labels. Every query is scoped to the organisation (db.owned)."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.db import owned
from coopchain.farms.producers import find_producers
from coopchain.lots.models import Bag, Delivery, Lot
from coopchain.search.folding import fold, like_pattern, loosely_like
from coopchain.shipments.models import Shipment

#: Results shown per group; the page says how many more there are.
GROUP_LIMIT = 20
#: The longest query worth running: anything longer is pasted text, not a search.
MAX_QUERY = 100


@dataclass
class Hit:
    """One result: what it is called, a line about it, and where it lives (endpoint, args)."""

    title: str
    detail: str
    endpoint: str
    args: dict
    day: date | None = None


@dataclass
class Group:
    kind: str
    total: int
    hits: list[Hit] = field(default_factory=list)


def _codes_like(column, q: str):
    """A code typed in any case, whole or in part ("caf-2026-0001"): codes are plain ASCII."""
    return func.lower(column).like(like_pattern(fold(q)), escape="\\")


def _group(session: Session, kind: str, query, order, to_hit) -> Group:
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(order).limit(GROUP_LIMIT)) if total else []
    return Group(kind, total, [to_hit(row) for row in rows])


def search_all(session: Session, org_id: int, q: str, private: bool) -> list[Group]:
    """The groups with at least one hit, in a fixed order (producers, lots, bags, tickets,
    shipments). National IDs and phones are searched only when `private` is true."""
    q = q.strip()[:MAX_QUERY]
    if not fold(q).split():
        return []
    producers = find_producers(session, org_id, q, private)
    groups = [
        Group(
            "producers",
            len(producers),
            [
                Hit(
                    f"{p.member_code} · {p.full_name}",
                    " · ".join(part for part in (p.community, p.sector) if part),
                    "farms.producer_detail",
                    {"producer_id": p.id},
                )
                for p in producers[:GROUP_LIMIT]
            ],
        ),
        _group(
            session,
            "lots",
            owned(Lot, org_id).where(_codes_like(Lot.code, q)),
            Lot.code,
            lambda lot: Hit(lot.code, str(lot.product_form), "lots.lot_detail", {"code": lot.code}),
        ),
        _group(
            session,
            "bags",
            owned(Bag, org_id).where(_codes_like(Bag.serial, q)),
            Bag.serial,
            lambda bag: Hit(bag.serial, "", "lots.lot_detail", {"code": _lot_code(session, bag)}),
        ),
        _group(
            session,
            "deliveries",
            owned(Delivery, org_id).where(_codes_like(Delivery.ticket_number, q)),
            Delivery.ticket_number,
            lambda d: Hit(
                d.ticket_number, "", "lots.delivery_detail", {"delivery_id": d.id}, d.delivered_on
            ),
        ),
        _group(
            session,
            "shipments",
            owned(Shipment, org_id).where(
                _codes_like(Shipment.reference, q) | loosely_like(Shipment.buyer_name, fold(q))
            ),
            Shipment.reference,
            lambda s: Hit(
                s.reference, s.buyer_name, "shipments.shipment_detail", {"reference": s.reference}
            ),
        ),
    ]
    return [group for group in groups if group.total]


def _lot_code(session: Session, bag: Bag) -> str:
    return session.get(Lot, bag.lot_id).code
