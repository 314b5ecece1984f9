"""What origins.py tells about each delivery: ticket, plot, producer and the agreements in
force on the delivery date, read as plain columns in a few queries however many deliveries a lot
has.

Every read runs on the session's connection (Core rows), not through session.execute: these are
columns, never entities, and the ORM's per-row handling was a third of the shares' read and a
tenth of a 20,000-origin lot's plots and producers. Pending changes are flushed first, as
session.execute would.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, select

from coopchain.db import among, flushed_connection, in_organization
from coopchain.farms import rules as farm_rules
from coopchain.farms.models import (
    Agreement,
    AgreementProducer,
    AgreementStatusChange,
    Plot,
    Producer,
)
from coopchain.lots import origin_shares
from coopchain.lots.lot_graph import ancestry_query
from coopchain.lots.models import Delivery, Lot, LotOriginShare
from coopchain.plain_select import PlainSelect

_DELIVERY_COLUMNS = (
    Delivery.id,
    Delivery.ticket_number,
    Delivery.delivered_on,
    Delivery.product_form,
    Delivery.net_kg,
    Delivery.producer_id,
    Delivery.plot_id,
    Lot.code.label("lot_code"),
)


#: share_rows' rows: a delivery as _DELIVERY_COLUMNS reads it, then the grams of the lot that
#: came from it and whether some lot on the way was downgraded.
GRAMS, DOWNGRADED = 8, 9


def _shares_select(lot_condition):
    return (
        select(*_DELIVERY_COLUMNS, LotOriginShare.share_g, LotOriginShare.downgraded)
        .join(Delivery, Delivery.id == LotOriginShare.delivery_id)
        .join(Lot, Lot.id == LotOriginShare.origin_lot_id)
        .where(in_organization(LotOriginShare, bindparam("org_id")), lot_condition)
    )


#: One made lot's shares: the read behind every lot page, certificate and scan.
_ONE_LOTS_SHARES = PlainSelect(lambda: _shares_select(LotOriginShare.lot_id == bindparam("lot_id")))


def share_rows(session, org_id, lots) -> dict[int, list[tuple]]:
    """{lot id: [share row (GRAMS, DOWNGRADED)]} for `lots` (Lot rows or tuples with id,
    delivery_id and quantity_kg): the materialised shares of made lots joined to their
    deliveries in one indexed read (origin_shares.py), and a delivery lot's own delivery."""
    found: dict[int, list[tuple]] = {lot.id: [] for lot in lots}
    made = [lot.id for lot in lots if lot.delivery_id is None]
    if len(made) == 1:
        found[made[0]] = _ONE_LOTS_SHARES.rows(session, org_id=org_id, lot_id=made[0])
    else:
        for start in range(0, len(made), 900):  # SQLite's bound-parameter limit
            query = shares_query(org_id, made[start : start + 900])
            # .all(): one fetchall; iterating the result fetched row by row on psycopg.
            for row in flushed_connection(session).execute(query).all():
                found[row[-1]].append(tuple(row))
    origins = [lot.id for lot in lots if lot.delivery_id is not None]
    for start in range(0, len(origins), 900):
        query = (
            select(Lot.id, Lot.quantity_kg, Lot.downgraded, *_DELIVERY_COLUMNS)
            .join(Delivery, Delivery.id == Lot.delivery_id)
            .where(in_organization(Lot, org_id), Lot.id.in_(origins[start : start + 900]))
        )
        for lot_id, quantity, downgraded, *delivery in flushed_connection(session).execute(query):
            found[lot_id].append((*delivery, origin_shares.grams(quantity), downgraded))
    return found


def shares_query(org_id: int, lot_ids: list[int]):
    """The stored shares of made lots joined to their deliveries (share_rows' read), each row
    ending (after DOWNGRADED) with its lot's id."""
    return (
        _shares_select(LotOriginShare.lot_id.in_(lot_ids))
        .add_columns(LotOriginShare.lot_id)
        .params(org_id=org_id)
    )


def status_rows(session, org_id, lots):
    """(lot id, downgraded on the way, delivered on, plot conversion start) per origin of each
    of `lots`: share_rows' read, with only what the organic status needs."""
    made = [lot.id for lot in lots if lot.delivery_id is None]
    origins = [lot.id for lot in lots if lot.delivery_id is not None]
    columns = (Delivery.delivered_on, Plot.organic_conversion_start)
    for chunk in _id_chunks(session, made):
        yield from flushed_connection(session).execute(
            select(LotOriginShare.lot_id, LotOriginShare.downgraded, *columns)
            .join(Delivery, Delivery.id == LotOriginShare.delivery_id)
            .join(Plot, Plot.id == Delivery.plot_id)
            .where(
                in_organization(LotOriginShare, org_id),
                among(session, LotOriginShare.lot_id, chunk),
            )
        )
    for chunk in _id_chunks(session, origins):
        yield from flushed_connection(session).execute(
            select(Lot.id, Lot.downgraded, *columns)
            .join(Delivery, Delivery.id == Lot.delivery_id)
            .join(Plot, Plot.id == Delivery.plot_id)
            .where(in_organization(Lot, org_id), among(session, Lot.id, chunk))
        )


def _id_chunks(session, ids: list[int]):
    """`ids` in as few lists as one query may take: all at once on PostgreSQL (one array
    parameter, db.among; the dashboard asks for the ten thousand lots of a season, and twelve
    IN lists of 900 ids were most of its time), 900 at a time under SQLite's bound-parameter
    limit."""
    if session.get_bind().dialect.name == "postgresql":
        if ids:
            yield ids
        return
    for start in range(0, len(ids), 900):
        yield ids[start : start + 900]


def delivery_rows(session, org_id, delivery_ids: list[int], ancestry_of=None) -> list[tuple]:
    """The deliveries as _DELIVERY_COLUMNS reads them: plain tuples, not ORM entities or result
    Rows (attribute access on a Row costs about a microsecond, and a lot of 2,000 origins reads
    some 40,000 of them)."""
    if not delivery_ids:
        return []
    query = select(*_DELIVERY_COLUMNS).join(Lot, Lot.delivery_id == Delivery.id)
    query = query.where(in_organization(Delivery, org_id))
    if ancestry_of is not None:
        # One lot: its deliveries are those of its ancestry (no list of 2,000 ids to bind).
        ancestry = ancestry_query(ancestry_of)
        wanted = set(delivery_ids)
        deliveries = [
            row
            for row in flushed_connection(session).execute(
                query.join(ancestry, ancestry.c.lot_id == Lot.id)
            )
            if row.id in wanted
        ]
    else:
        deliveries = []
        for start in range(0, len(delivery_ids), 900):  # SQLite's bound-parameter limit
            chunk = delivery_ids[start : start + 900]
            deliveries += (
                flushed_connection(session).execute(query.where(Delivery.id.in_(chunk))).all()
            )
    return [tuple(row) for row in deliveries]


@dataclass(slots=True)
class Facts:
    """What a lot's origins tell about their deliveries, each fact read once: {plot id: plot
    row}, {producer id: producer row} and {delivery id: numbers of the agreements in force that
    day (a tuple, shared between deliveries)}. Looked up per origin rather than gathered into a
    tuple per delivery: a lot of 20,000 origins spent a tenth of its time making those."""

    plots: dict
    producers: dict
    in_force: dict


def read_facts(session, deliveries: list[tuple]) -> Facts:
    """The Facts of delivery tuples as _DELIVERY_COLUMNS reads them."""
    if not deliveries:
        return Facts({}, {}, {})
    found = flushed_connection(session).execute(
        select(
            Plot.id,
            Plot.name,
            Plot.computed_area_ha,  # Plot.area_ha: the polygon's area, else the declared
            Plot.declared_area_ha,
            Plot.altitude_m,
            Plot.crop,
            Plot.organic_conversion_start,
        ).where(among(session, Plot.id, {d[6] for d in deliveries}))
    )
    plots = {
        plot_id: (
            plot_id,
            name,
            computed if computed is not None else declared,
            altitude,
            crop,
            conversion_start,
            farm_rules.organic_since(conversion_start),
        )
        for plot_id, name, computed, declared, altitude, crop, conversion_start in found
    }
    producers, agreements = _producers_and_agreements(session, {d[5] for d in deliveries})
    return Facts(plots, producers, _agreements_in_force_on_delivery(deliveries, agreements))


def facts_of(session, deliveries: list[tuple]) -> dict[int, tuple]:
    """{delivery id: (delivery tuple, plot row, producer row, agreements in force that day)}
    for delivery tuples as _DELIVERY_COLUMNS reads them."""
    facts = read_facts(session, deliveries)
    plots, producers, in_force = facts.plots, facts.producers, facts.in_force
    return {d[0]: (d, plots[d[6]], producers[d[5]], in_force[d[0]]) for d in deliveries}


def _producers_and_agreements(session, producer_ids: set[int]) -> tuple[dict, dict]:
    """({producer id: producer row}, {producer id: [(agreement number, periods in force)]}) in
    one query: each producer with its agreements and their status changes (a handful each).
    Each agreement's periods in force are worked out once (farm_rules.agreement_periods)."""
    producers: dict[int, tuple] = {}
    found: dict[int, list] = {}
    query = (
        select(
            Producer.id,
            Producer.member_code,
            Producer.first_name,
            Producer.last_name,
            Producer.public_name_consent,
            Producer.community,
            Agreement.id,
            Agreement.number,
            Agreement.signed_on,
            Agreement.valid_until,
            AgreementStatusChange.effective_on,
            AgreementStatusChange.status,
        )
        .select_from(Producer)
        .outerjoin(AgreementProducer, AgreementProducer.producer_id == Producer.id)
        .outerjoin(Agreement, Agreement.id == AgreementProducer.agreement_id)
        .outerjoin(AgreementStatusChange, AgreementStatusChange.agreement_id == Agreement.id)
        .where(among(session, Producer.id, producer_ids))
    )
    for row in flushed_connection(session).execute(query):
        producer_id, code, first, last, consent, community = row[:6]
        agreement_id, number, signed_on, valid_until, effective_on, status = row[6:]
        if producer_id not in producers:
            producers[producer_id] = (producer_id, code, f"{first} {last}", consent, community)
        if agreement_id is None:
            continue
        agreement = found.setdefault(
            agreement_id, [producer_id, number, signed_on, valid_until, []]
        )
        if effective_on is not None:
            agreement[4].append((effective_on, status))
    agreements: dict[int, list] = defaultdict(list)
    for producer_id, number, signed_on, valid_until, history in found.values():
        periods = farm_rules.agreement_periods(signed_on, valid_until, history)
        agreements[producer_id].append((number, periods))
    for held in agreements.values():
        held.sort()  # the numbers listed in order, as Python sorts them on both databases
    return producers, agreements


def _agreements_in_force_on_delivery(deliveries: list[tuple], agreements) -> dict[int, tuple]:
    """{delivery id: numbers of the producer's agreements in force on the delivery date, as a
    tuple} (deliveries as _DELIVERY_COLUMNS reads them; `agreements` as
    _producers_and_agreements gives them). This runs for every delivery of a lot (20,000 in a
    big one), so farm_rules.in_periods is written out and the usual producer, with one
    agreement in force over one period, is answered without building anything."""
    simple = {
        producer_id: ((held[0][0],), *held[0][1][0])
        for producer_id, held in agreements.items()
        if len(held) == 1 and len(held[0][1]) == 1
    }
    answers: dict[tuple[int, date], tuple] = {}  # many tickets share producer and day
    result = {}
    for delivery in deliveries:  # delivery tuples, perhaps with more after them (share rows)
        delivery_id, on, producer_id = delivery[0], delivery[2], delivery[5]
        one = simple.get(producer_id)
        if one is not None:
            result[delivery_id] = one[0] if one[1] <= on <= one[2] else ()
            continue
        key = (producer_id, on)
        numbers = answers.get(key)
        if numbers is None:
            found = []
            for number, periods in agreements.get(producer_id, ()):
                for first, last in periods:
                    if first <= on <= last:
                        found.append(number)
                        break
            numbers = answers[key] = tuple(found)
        result[delivery_id] = numbers
    return result
