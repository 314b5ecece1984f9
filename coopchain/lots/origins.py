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
The queries are in lot_graph.py (the ancestry) and delivery_facts.py (each delivery's facts).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from coopchain.farms import rules as farm_rules
from coopchain.farms.rules import OrganicStatus
from coopchain.lots import rules
from coopchain.lots.delivery_facts import _delivery_info
from coopchain.lots.lot_graph import _ancestry_in, load_graph
from coopchain.lots.models import Lot


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
