"""Which ledger events make a lot or a shipment, and the facts their EPCIS form needs (bag lots,
plot geolocation, shipment papers), read from the database for the pure builder (epcis.py).

A lot is made by its ancestry (lots/lot_graph.py): the deliveries of its origin lots, the
transformations between them, and its own bags. A shipment is made by the lots of the bags it
carries and its own events (created, bags in and out of the container, shipped, delivered).
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, false, func, or_, select
from sqlmodel import Session

from coopchain.auth.models import Organization
from coopchain.clock import cooperative_zone, utcnow
from coopchain.db import in_organization, owned
from coopchain.farms.geometry import geometry_centroid
from coopchain.farms.models import Plot
from coopchain.ledger import epcis
from coopchain.ledger.epcis_ids import Identities, geo_uri
from coopchain.ledger.models import LedgerEvent
from coopchain.lots.lot_graph import load_graph
from coopchain.lots.models import Bag, Lot
from coopchain.lots.services import get_lot
from coopchain.shipments.models import Shipment
from coopchain.shipments.services import get_shipment

#: IN lists are cut to this many values (SQLite allows 32,766 variables per statement; a lot
#: of a large federation has tens of thousands of origin lots).
CHUNK = 500
LOT_KINDS = ("delivery.registered", "delivery.voided", "bags.created")
TRANSFORMATION_KINDS = (*epcis.TRANSFORMATION_KINDS, "transformation.voided")
SHIPMENT_KINDS = tuple(k for k in epcis.EXPORTED_KINDS if k.startswith("shipment."))


def _chunks(values: Iterable, size: int = CHUNK):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def identities(session: Session, org_id: int, base_url: str) -> Identities:
    org = session.get(Organization, org_id)
    return Identities(base_url, org.code, org.gtin, org.gln, org.gs1_company_prefix)


def _row(event: LedgerEvent) -> epcis.Row:
    return epcis.Row(
        seq=event.seq,
        kind=event.kind,
        subject_type=event.subject_type,
        subject_id=event.subject_id,
        recorded_at=event.event_time,
        hash=event.hash,
        data=(event.payload or {}).get("data") or {},
    )


def _ancestry(session: Session, org_id: int, lot: Lot) -> tuple[set[str], set[str]]:
    """Codes of the lot and every lot it was made from; ids of the transformations that made
    them."""
    graph = load_graph(session, org_id, ancestry_of=lot.id)
    codes = {row.code for row in graph.lots.values()}
    made_by = {str(row.transformation_id) for row in graph.lots.values() if row.transformation_id}
    return codes, made_by


def _events_about(session, org_id, lot_codes, transformation_ids, shipment_refs=()) -> list:
    conditions = []
    for part in _chunks(sorted(lot_codes)):
        conditions.append(
            and_(
                LedgerEvent.subject_type == "lot",
                LedgerEvent.subject_id.in_(part),
                LedgerEvent.kind.in_(LOT_KINDS),
            )
        )
    for part in _chunks(sorted(transformation_ids)):
        conditions.append(
            and_(
                LedgerEvent.subject_type == "transformation",
                LedgerEvent.subject_id.in_(part),
                LedgerEvent.kind.in_(TRANSFORMATION_KINDS),
            )
        )
    if shipment_refs:
        conditions.append(
            and_(
                LedgerEvent.subject_type == "shipment",
                LedgerEvent.subject_id.in_(list(shipment_refs)),
                LedgerEvent.kind.in_(SHIPMENT_KINDS),
            )
        )
    if not conditions:
        return []
    found: dict[int, LedgerEvent] = {}
    # One query per chunk group keeps every statement under the variable limit.
    for group in _chunks(conditions, 20):
        for event in session.scalars(owned(LedgerEvent, org_id).where(or_(*group))):
            found[event.seq] = event
    return [found[seq] for seq in sorted(found)]


def lot_rows(session: Session, org_id: int, lot: Lot) -> list[LedgerEvent]:
    codes, made_by = _ancestry(session, org_id, lot)
    return _events_about(session, org_id, codes, made_by)


def shipment_rows(session: Session, org_id: int, shipment: Shipment) -> list[LedgerEvent]:
    carried = session.scalars(
        owned(Lot, org_id)
        .join(Bag, Bag.lot_id == Lot.id)
        .where(Bag.shipment_id == shipment.id)
        .distinct()
    ).all()
    codes, made_by = set(), set()
    for lot in carried:
        lot_codes, lot_made_by = _ancestry(session, org_id, lot)
        codes |= lot_codes
        made_by |= lot_made_by
    return _events_about(session, org_id, codes, made_by, [shipment.reference])


def facts_for(session: Session, org_id: int, rows: list[LedgerEvent], base_url: str):
    """The bag lots, plots and shipments these events name."""
    facts = epcis.Facts(identities(session, org_id, base_url), cooperative_zone())
    serials, plot_ids, references = set(), set(), set()
    for event in rows:
        data = (event.payload or {}).get("data") or {}
        if event.kind == "delivery.registered" and data.get("plot_id") is not None:
            plot_ids.add(int(data["plot_id"]))
        elif event.kind in ("shipment.bags_added", "shipment.bags_removed"):
            serials.update(data.get("childEPCs", []))
        if event.subject_type == "shipment":
            references.add(event.subject_id)
    for part in _chunks(sorted(references)):
        for shipment in session.scalars(
            owned(Shipment, org_id).where(Shipment.reference.in_(part))
        ):
            on_board = session.scalars(
                select(Bag.serial)
                .where(in_organization(Bag, org_id), Bag.shipment_id == shipment.id)
                .order_by(Bag.serial)
            ).all()
            serials.update(on_board)
            facts.shipments[shipment.reference] = {
                "container": shipment.container_number,
                "bill_of_lading": shipment.bill_of_lading,
                "serials": list(on_board),
            }
    for part in _chunks(sorted(serials)):
        facts.bag_lots.update(
            session.execute(
                select(Bag.serial, Lot.code)
                .join(Lot, Lot.id == Bag.lot_id)
                .where(in_organization(Bag, org_id), Bag.serial.in_(part))
            ).all()
        )
    api = f"{base_url.rstrip('/')}/api/v1/plots"
    for part in _chunks(sorted(plot_ids)):
        for plot_id, geometry in session.execute(
            select(Plot.id, Plot.geometry).where(in_organization(Plot, org_id), Plot.id.in_(part))
        ):
            centre = geometry_centroid(geometry)
            facts.plots[str(plot_id)] = {
                "geo": geo_uri(*centre) if centre else None,
                "geojson": f"{api}/{plot_id}",
            }
    return facts


def _document(session, org_id, rows, base_url) -> dict:
    facts = facts_for(session, org_id, rows, base_url)
    return epcis.epcis_document(epcis.events_of([_row(e) for e in rows], facts), utcnow())


def lot_document(session: Session, org_id: int, code: str, base_url: str) -> dict:
    """The EPCISDocument of the events that made lot `code` (NotFound for another's)."""
    lot = get_lot(session, org_id, code)
    return _document(session, org_id, lot_rows(session, org_id, lot), base_url)


def shipment_document(session: Session, org_id: int, reference: str, base_url: str) -> dict:
    shipment = get_shipment(session, org_id, reference)
    return _document(session, org_id, shipment_rows(session, org_id, shipment), base_url)


def query_events(
    session: Session,
    org_id: int,
    base_url: str,
    *,
    page: int,
    per_page: int,
    since: datetime | None = None,
    until: datetime | None = None,
    event_type: str | None = None,
    biz_step: str | None = None,
    lot_code: str | None = None,
) -> tuple[list[dict], int]:
    """One page of the organisation's supply-chain events as standalone EPCIS events, oldest
    first, and how many match. Times filter on recordTime (when the ledger recorded them),
    which is what a system pulling new events since its last pull asks."""
    query = owned(LedgerEvent, org_id).where(
        LedgerEvent.kind.in_(sorted(epcis.kinds_of(event_type, biz_step)))
    )
    if since is not None:
        query = query.where(LedgerEvent.event_time >= since)
    if until is not None:
        query = query.where(LedgerEvent.event_time < until)
    if lot_code is not None:
        seqs = [e.seq for e in lot_rows(session, org_id, get_lot(session, org_id, lot_code))]
        chunks = [LedgerEvent.seq.in_(part) for part in _chunks(seqs)]
        query = query.where(or_(*chunks) if chunks else false())
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(
        query.order_by(LedgerEvent.seq).offset((page - 1) * per_page).limit(per_page)
    ).all()
    originals = _voided_originals(session, org_id, [r for r in rows if r.kind in epcis.VOID_KINDS])
    facts = facts_for(session, org_id, [*rows, *originals.values()], base_url)
    items = []
    for event in rows:
        row = _row(event)
        if event.kind in epcis.VOID_KINDS:
            original = originals.get(event.seq)
            if original is None:  # its original is not a supply-chain event: nothing to show
                continue
            items.append(epcis.epcis_event(_row(original), facts, voided_by=row))
        else:
            items.append(epcis.epcis_event(row, facts))
    return [epcis.standalone(item) for item in items], total


def _voided_originals(session, org_id, voids: list[LedgerEvent]) -> dict[int, LedgerEvent]:
    """void's seq → the event it voids (the latest of that subject before it)."""
    found = {}
    for void in voids:
        original_kind = epcis.VOID_KINDS[void.kind]
        kinds = [original_kind] if original_kind else list(epcis.TRANSFORMATION_KINDS)
        original = session.scalar(
            owned(LedgerEvent, org_id)
            .where(
                LedgerEvent.subject_type == void.subject_type,
                LedgerEvent.subject_id == void.subject_id,
                LedgerEvent.kind.in_(kinds),
                LedgerEvent.seq < void.seq,
            )
            .order_by(LedgerEvent.seq.desc())
            .limit(1)
        )
        if original is not None:
            found[void.seq] = original
    return found
