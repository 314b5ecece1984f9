"""A lot's origins: which deliveries, plots and producers it came from, and how many kg each.

This is the one function (`origins_of`) behind the lot page, the API, the spreadsheets and,
later, certificates and QR pages, so they can never disagree (issue: lots).

How: one recursive query collects the lot's ancestry (lot → the transformation that made it →
that transformation's inputs → …). Every transformation mixes its inputs, so each output has
the inputs' composition in proportion to the quantities consumed. Walking the ancestry from
the lot back to the deliveries, a lot's share of the target is the sum, over the
transformations that consumed it, of (their outputs' share × what they took of it / all they
took). Shares are exact fractions; kilograms are shared out to the gram so they add up to the
lot exactly. Lot ids only grow, and a transformation's outputs are always newer than its
inputs, so descending id order visits every consumer before what it consumed.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select
from sqlmodel import Session

from coopchain.farms import rules as farm_rules
from coopchain.farms.models import (
    Agreement,
    AgreementProducer,
    AgreementStatusChange,
    Plot,
    Producer,
)
from coopchain.farms.rules import OrganicStatus
from coopchain.lots import rules
from coopchain.lots.models import Delivery, Lot, Transformation, TransformationInput


@dataclass(slots=True)
class Origin:
    """One delivery's part in a lot, with what auditors and buyers ask about it."""

    delivery_id: int
    ticket_number: str
    delivered_on: date
    product_form: str
    delivered_kg: Decimal
    origin_lot_code: str
    plot_id: int
    plot_name: str
    plot_area_ha: Decimal | None
    altitude_m: int | None
    crop: str
    producer_id: int
    producer_code: str
    producer_name: str
    public_name_consent: bool
    community: str | None
    #: The plot's organic status on the delivery date (DOMAIN.md §3).
    organic_status: OrganicStatus
    organic_since: date | None
    #: The producer had an agreement in force on the delivery date (DOMAIN.md §1).
    agreement_active: bool
    #: Numbers of the producer's agreements in force on that date.
    agreement_numbers: tuple[str, ...]
    #: kg of this lot that come from this delivery.
    kg: Decimal


@dataclass(frozen=True)
class GraphNode:
    lot_id: int
    code: str
    product_form: str
    quantity_kg: Decimal
    is_origin: bool
    #: 0 for the lot itself, 1 for its inputs, …
    depth: int


@dataclass(frozen=True)
class GraphEdge:
    from_lot_id: int
    to_lot_id: int
    transformation_id: int
    kind: str
    kg: Decimal


@dataclass
class LotOrigins:
    lot_id: int
    quantity_kg: Decimal
    origins: list[Origin]
    #: Organic only if every origin plot was organic on its delivery date and no lot on the
    #: way was downgraded (DOMAIN.md §3).
    organic_status: OrganicStatus
    downgraded: bool
    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)

    @property
    def all_under_agreement(self) -> bool:
        return all(origin.agreement_active for origin in self.origins)

    @property
    def origins_without_agreement(self) -> list[Origin]:
        return [origin for origin in self.origins if not origin.agreement_active]

    def by_plot(self) -> list[dict]:
        """Origins summed per plot, largest first: the view a buyer or an auditor starts from."""
        plots: dict[int, dict] = {}
        for origin in self.origins:
            row = plots.setdefault(
                origin.plot_id,
                {"origin": origin, "deliveries": 0, "kg": Decimal("0"), "statuses": set()},
            )
            row["deliveries"] += 1
            row["kg"] += origin.kg
            row["statuses"].add(origin.organic_status)
            row["agreement_active"] = row.get("agreement_active", True) and origin.agreement_active
        rows = list(plots.values())
        for row in rows:
            row["organic_status"] = rules.worst_organic_status(row.pop("statuses"))
        return sorted(rows, key=lambda r: (-r["kg"], r["origin"].producer_code))

    @property
    def producer_count(self) -> int:
        return len({origin.producer_id for origin in self.origins})

    @property
    def plot_count(self) -> int:
        return len({origin.plot_id for origin in self.origins})


def ancestry_query(lot_id: int):
    """The lot and every lot it descends from, as a recursive CTE (both databases)."""
    ancestry = select(Lot.id.label("lot_id")).where(Lot.id == lot_id).cte(recursive=True)
    return ancestry.union(
        select(TransformationInput.lot_id)
        .join(Lot, Lot.transformation_id == TransformationInput.transformation_id)
        .join(ancestry, ancestry.c.lot_id == Lot.id)
    )


@dataclass
class _Graph:
    """Lots (id → row) and, per transformation, its inputs; consumers per input lot."""

    lots: dict
    inputs: dict[int, list[tuple[int, Decimal]]] = field(default_factory=lambda: defaultdict(list))
    consumers: dict[int, list[tuple[int, Decimal]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    kinds: dict[int, str] = field(default_factory=dict)


class _LotRow(NamedTuple):
    id: int
    code: str
    product_form: str
    quantity_kg: Decimal
    delivery_id: int | None
    transformation_id: int | None
    downgraded: bool


_LOT_COLUMNS = (
    Lot.id,
    Lot.code,
    Lot.product_form,
    Lot.quantity_kg,
    Lot.delivery_id,
    Lot.transformation_id,
    Lot.downgraded,
)


def load_graph(session: Session, org_id: int, ancestry_of: int | None = None) -> _Graph:
    """The ancestry of one lot (all the organisation's lots when None) and the inputs of the
    transformations that made them."""
    query = select(*_LOT_COLUMNS).where(Lot.organization_id == org_id)
    if ancestry_of is not None:
        ancestry = ancestry_query(ancestry_of)
        query = query.join(ancestry, ancestry.c.lot_id == Lot.id)
    # Named tuples, not result Rows: their attributes are read thousands of times below.
    graph = _Graph({row[0]: _LotRow(*row) for row in session.execute(query)})
    query = (
        select(
            TransformationInput.transformation_id,
            TransformationInput.lot_id,
            TransformationInput.quantity_kg,
            Transformation.kind,
        )
        .join(Transformation, Transformation.id == TransformationInput.transformation_id)
        .where(Transformation.organization_id == org_id)
    )
    if ancestry_of is not None:
        made_by = {row.transformation_id for row in graph.lots.values() if row.transformation_id}
        if not made_by:
            return graph
        query = query.where(TransformationInput.transformation_id.in_(made_by))
    for transformation_id, lot_id, quantity_kg, kind in session.execute(query):
        graph.inputs[transformation_id].append((lot_id, quantity_kg))
        # Shares are computed on whole grams: exact integers.
        graph.consumers[lot_id].append((transformation_id, int(quantity_kg * 1000)))
        graph.kinds[transformation_id] = kind
    return graph


def origins_of(session: Session, lot: Lot, *, with_graph: bool = False) -> LotOrigins:
    """The origins of `lot`; the lot must already be scoped to the caller's organisation."""
    graph = load_graph(session, lot.organization_id, ancestry_of=lot.id)
    shares = _origin_lot_shares(lot.id, graph.lots, graph.inputs, graph.consumers)
    info = _delivery_info(
        session,
        lot.organization_id,
        [graph.lots[lot_id].delivery_id for lot_id in shares],
        ancestry_of=lot.id,
    )
    result = _lot_origins(lot.id, lot.quantity_kg, graph.lots, graph.lots, shares, info)
    if with_graph:
        result.nodes, result.edges = _graph(lot.id, graph.lots, graph.inputs, graph.kinds)
    return result


def origins_of_many(session: Session, org_id: int, lots: list[Lot]) -> dict[int, LotOrigins]:
    """{lot id: origins} for many lots at once (exports): the same computation as origins_of,
    on the organisation's whole lot graph loaded in two queries instead of a few per lot."""
    graph = load_graph(session, org_id)
    shares_of = {}
    for lot in lots:
        ancestry = _ancestry_in(graph, lot.id)
        shares_of[lot.id] = (
            ancestry,
            _origin_lot_shares(lot.id, ancestry, graph.inputs, graph.consumers),
        )
    delivery_ids = {
        graph.lots[origin_id].delivery_id
        for _ancestry, shares in shares_of.values()
        for origin_id in shares
    }
    info = _delivery_info(session, org_id, list(delivery_ids))
    return {
        lot.id: _lot_origins(lot.id, lot.quantity_kg, graph.lots, ancestry, shares, info)
        for lot in lots
        for ancestry, shares in [shares_of[lot.id]]
    }


def _ancestry_in(graph: _Graph, lot_id: int) -> dict:
    """The lot and its ancestors, walked in memory on a loaded graph."""
    found, stack = {}, [lot_id]
    while stack:
        current = stack.pop()
        if current in found or current not in graph.lots:
            continue
        row = found[current] = graph.lots[current]
        if row.transformation_id is not None:
            stack.extend(input_id for input_id, _q in graph.inputs.get(row.transformation_id, ()))
    return found


def _lot_origins(lot_id, quantity_kg, all_lots, ancestry, shares, info) -> LotOrigins:
    delivery_kg = rules.share_out(
        quantity_kg, {all_lots[origin_id].delivery_id: share for origin_id, share in shares.items()}
    )
    origins = sorted(
        (_origin(info[delivery_id], kg) for delivery_id, kg in delivery_kg.items()),
        key=lambda o: (-o.kg, o.delivered_on, o.ticket_number),
    )
    downgraded = any(row.downgraded for row in ancestry.values())
    status = (
        OrganicStatus.CONVENTIONAL
        if downgraded or not origins
        else rules.worst_organic_status(origin.organic_status for origin in origins)
    )
    return LotOrigins(lot_id, quantity_kg, origins, status, downgraded)


#: Shares are fixed-point integers with 40 decimal digits: plain integer arithmetic (no gcd per
#: step, unlike Fraction), and an error below 1e-36 of a lot even after many steps, far under
#: the gram that share_out rounds to.
SHARE_SCALE = 10**40


def _origin_lot_shares(target_id, lots, inputs, consumers) -> dict[int, int]:
    """{origin lot id: its share of the target, in units of 1/SHARE_SCALE}."""
    transformation_share: dict[int, int] = defaultdict(int)
    consumed_by: dict[int, int] = {
        tid: sum(int(q * 1000) for _lot, q in rows) for tid, rows in inputs.items()
    }
    origin_shares: dict[int, int] = {}
    for lot_id in sorted(lots, reverse=True):
        if lot_id == target_id:
            share = SHARE_SCALE
        else:
            share = sum(
                transformation_share[tid] * grams // consumed_by[tid]
                for tid, grams in consumers.get(lot_id, ())
                if tid in transformation_share
            )
        row = lots[lot_id]
        if row.delivery_id is not None:
            origin_shares[lot_id] = share
        elif row.transformation_id is not None:
            transformation_share[row.transformation_id] += share
    return {lot_id: share for lot_id, share in origin_shares.items() if share > 0}


def _delivery_info(session, org_id, delivery_ids: list[int], ancestry_of=None) -> dict[int, tuple]:
    """{delivery id: (delivery row, plot row, producer row, agreements in force that day)}.

    Plain columns, not ORM entities, and plots and producers fetched once each rather than
    once per delivery: a lot of 2,000 deliveries has a few hundred plots."""
    if not delivery_ids:
        return {}
    query = (
        select(
            Delivery.id,
            Delivery.ticket_number,
            Delivery.delivered_on,
            Delivery.product_form,
            Delivery.net_kg,
            Delivery.producer_id,
            Delivery.plot_id,
            Lot.code.label("lot_code"),
        )
        .join(Lot, Lot.delivery_id == Delivery.id)
        .where(Delivery.organization_id == org_id)
    )
    if ancestry_of is not None:
        # One lot: its deliveries are those of its ancestry (no list of 2,000 ids to bind).
        ancestry = ancestry_query(ancestry_of)
        wanted = set(delivery_ids)
        deliveries = [
            row
            for row in session.execute(query.join(ancestry, ancestry.c.lot_id == Lot.id))
            if row.id in wanted
        ]
    else:
        deliveries = []
        for start in range(0, len(delivery_ids), 900):  # SQLite's bound-parameter limit
            chunk = delivery_ids[start : start + 900]
            deliveries += session.execute(query.where(Delivery.id.in_(chunk))).all()
    # Rows become plain tuples here: attribute access on a result Row costs about a
    # microsecond, and a lot of 2,000 origins reads some 40,000 of them.
    deliveries = [tuple(row) for row in deliveries]
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
        for plot_id, name, computed, declared, altitude, crop, conversion_start in session.execute(
            select(
                Plot.id,
                Plot.name,
                Plot.computed_area_ha,  # Plot.area_ha: the polygon's area, else the declared
                Plot.declared_area_ha,
                Plot.altitude_m,
                Plot.crop,
                Plot.organic_conversion_start,
            ).where(Plot.id.in_({d[6] for d in deliveries}))
        )
    }
    producers = {
        producer_id: (producer_id, code, f"{first} {last}", consent, community)
        for producer_id, code, first, last, consent, community in session.execute(
            select(
                Producer.id,
                Producer.member_code,
                Producer.first_name,
                Producer.last_name,
                Producer.public_name_consent,
                Producer.community,
            ).where(Producer.id.in_({d[5] for d in deliveries}))
        )
    }
    in_force = _agreements_in_force_on_delivery(session, deliveries)
    return {d[0]: (d, plots[d[6]], producers[d[5]], in_force[d[0]]) for d in deliveries}


def _origin(info: tuple, kg: Decimal) -> Origin:
    delivery, plot, producer, agreements = info
    delivery_id, ticket, delivered_on, form, net_kg, _producer_id, _plot_id, lot_code = delivery
    plot_id, plot_name, area_ha, altitude, crop, conversion_start, organic_since = plot
    producer_id, producer_code, producer_name, consent, community = producer
    return Origin(
        delivery_id=delivery_id,
        ticket_number=ticket,
        delivered_on=delivered_on,
        product_form=form,
        delivered_kg=net_kg,
        origin_lot_code=lot_code,
        plot_id=plot_id,
        plot_name=plot_name,
        plot_area_ha=area_ha,
        altitude_m=altitude,
        crop=crop,
        producer_id=producer_id,
        producer_code=producer_code,
        producer_name=producer_name,
        public_name_consent=consent,
        community=community,
        organic_status=farm_rules.organic_status(conversion_start, delivered_on),
        organic_since=organic_since,
        agreement_active=bool(agreements),
        agreement_numbers=tuple(agreements),
        kg=kg,
    )


def _agreements_in_force_on_delivery(session, deliveries: list[tuple]) -> dict[int, list[str]]:
    """{delivery id: numbers of the producer's agreements in force on the delivery date}
    (deliveries as the tuples _delivery_info makes)."""
    producer_ids = {d[5] for d in deliveries}
    agreements: dict[int, list] = defaultdict(list)
    by_id: set[int] = set()
    if producer_ids:
        for agreement in session.execute(
            select(
                Agreement.id,
                Agreement.number,
                Agreement.signed_on,
                Agreement.valid_until,
                AgreementProducer.producer_id,
            )
            .join(AgreementProducer, AgreementProducer.agreement_id == Agreement.id)
            .where(AgreementProducer.producer_id.in_(producer_ids))
        ):
            agreements[agreement.producer_id].append(agreement)
            by_id.add(agreement.id)
    history: dict[int, list[tuple[date, str]]] = defaultdict(list)
    if by_id:
        for change in session.execute(
            select(
                AgreementStatusChange.agreement_id,
                AgreementStatusChange.effective_on,
                AgreementStatusChange.status,
            ).where(AgreementStatusChange.agreement_id.in_(by_id))
        ):
            history[change.agreement_id].append((change.effective_on, change.status))
    answers: dict[tuple[int, date], list[str]] = {}  # many tickets share producer and day
    result = {}
    for delivery_id, _ticket, on, _form, _kg, producer_id, _plot, _code in deliveries:
        key = (producer_id, on)
        if key not in answers:
            answers[key] = sorted(
                a.number
                for a in agreements[producer_id]
                if farm_rules.agreement_active_on(
                    signed_on=a.signed_on, valid_until=a.valid_until, history=history[a.id], on=on
                )
            )
        result[delivery_id] = answers[key]
    return result


def _graph(target_id, lots, inputs, kinds) -> tuple[list[GraphNode], list[GraphEdge]]:
    """Nodes with their distance from the lot (the longest path, so columns read left to
    right from deliveries to the lot) and one edge per input consumed."""
    depth = {target_id: 0}
    for lot_id in sorted(lots, reverse=True):
        row = lots[lot_id]
        if lot_id not in depth or row.transformation_id is None:
            continue
        for input_id, _q in inputs.get(row.transformation_id, ()):
            depth[input_id] = max(depth.get(input_id, 0), depth[lot_id] + 1)
    nodes = [
        GraphNode(
            lot_id=lot_id,
            code=row.code,
            product_form=row.product_form,
            quantity_kg=row.quantity_kg,
            is_origin=row.delivery_id is not None,
            depth=depth[lot_id],
        )
        for lot_id, row in lots.items()
        if lot_id in depth
    ]
    edges = [
        GraphEdge(input_id, lot_id, row.transformation_id, kinds[row.transformation_id], q)
        for lot_id, row in lots.items()
        if row.transformation_id is not None and lot_id in depth
        for input_id, q in inputs.get(row.transformation_id, ())
    ]
    return nodes, edges
