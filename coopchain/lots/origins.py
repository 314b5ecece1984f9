"""A lot's origins: which deliveries, plots and producers it came from, and how many kg each.

This is the one function (`origins_of`) behind the lot page, the API, the spreadsheets,
certificates and QR pages, so they can never disagree (issue: lots).

How (issue 19 §2): each lot's exact share of every delivery it descends from is written with the
transformation that makes it (origin_shares.py), so a lot's origins are one indexed read of those
shares joined to their deliveries (delivery_facts.share_rows), then the facts of those deliveries
(plots, producers, agreements) in a few more. The shares carry the lot's kilograms already shared
out to the gram (written with them), so they add up to the lot exactly. A voided lot has no
stored shares: its origins are recomputed from its ancestry with the same arithmetic
(origin_shares.recompute).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import NamedTuple

from sqlmodel import Session

from coopchain.farms import rules as farm_rules
from coopchain.farms.rules import OrganicStatus
from coopchain.lots import origin_shares, rules
from coopchain.lots.delivery_facts import (
    DOWNGRADED,
    GRAMS,
    Facts,
    delivery_rows,
    read_facts,
    share_rows,
    status_rows,
)
from coopchain.lots.lot_graph import load_graph
from coopchain.lots.models import Lot
from coopchain.lots.rules import GRAM


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


# Named tuples, not frozen dataclasses: a lot page builds thousands of nodes and edges, and a
# frozen dataclass sets each field through object.__setattr__ (several times slower).
class GraphNode(NamedTuple):
    lot_id: int
    code: str
    product_form: str
    quantity_kg: Decimal
    is_origin: bool
    #: 0 for the lot itself, 1 for its inputs, …
    depth: int


class GraphEdge(NamedTuple):
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
    if lot.voided_at is not None:
        result = _recomputed(session, lot)
    else:
        result = _from_rows(session, lot, share_rows(session, lot.organization_id, [lot])[lot.id])
    if with_graph:
        graph = load_graph(session, lot.organization_id, ancestry_of=lot.id)
        result.nodes, result.edges = _graph(lot.id, graph.lots, graph.inputs, graph.kinds)
    return result


def origins_of_many(session: Session, org_id: int, lots: list[Lot]) -> dict[int, LotOrigins]:
    """{lot id: origins} for many lots at once (exports): the same answer as origins_of, with
    the shares of all the lots read together."""
    live = [lot for lot in lots if lot.voided_at is None]
    rows = share_rows(session, org_id, live)
    deliveries = {row[0]: row for found in rows.values() for row in found}
    facts = read_facts(session, list(deliveries.values()))
    result = {lot.id: _from_rows(session, lot, rows[lot.id], facts) for lot in live}
    for lot in lots:
        if lot.voided_at is not None:
            result[lot.id] = _recomputed(session, lot)
    return result


def organic_statuses(session: Session, org_id: int, lots: list[Lot]) -> dict[int, OrganicStatus]:
    """{lot id: organic status}: exactly origins_of_many(...)[id].organic_status (the same
    shares, the same rule: DOMAIN.md §3), reading only each origin's delivery date, plot
    conversion start and downgrade flag, for pages that show only the status of thousands of
    lots (the dashboard's stock, a merge's organic check)."""
    live = [lot for lot in lots if lot.voided_at is None]
    found: dict[int, list] = {lot.id: [lot.downgraded] for lot in live}
    for lot_id, downgraded, on, conversion_start in status_rows(session, org_id, live):
        row = found[lot_id]
        row[0] = row[0] or downgraded
        row.append(farm_rules.organic_status(conversion_start, on))
    result = {
        lot_id: OrganicStatus.CONVENTIONAL
        if row[0] or len(row) == 1
        else rules.worst_organic_status(row[1:])
        for lot_id, row in found.items()
    }
    for lot in lots:
        if lot.voided_at is not None:
            result[lot.id] = _recomputed(session, lot).organic_status
    return result


def _from_rows(session, lot: Lot, rows: list[tuple], facts: Facts | None = None) -> LotOrigins:
    """Origins from share_rows' rows of one lot."""
    if facts is None:
        facts = read_facts(session, rows)
    downgraded = lot.downgraded or any(row[DOWNGRADED] for row in rows)
    return _lot_origins(lot.id, lot.quantity_kg, rows, facts, downgraded)


def _recomputed(session, lot: Lot) -> LotOrigins:
    """A voided lot's origins, rebuilt from its ancestry (its stored shares were deleted)."""
    computed, lots = origin_shares.recompute(session, lot.organization_id, ancestry_of=lot.id)
    if lot.delivery_id is not None:
        weights, downgraded = {lot.delivery_id: 1}, lot.downgraded
    else:
        shares = computed.get(lot.id, origin_shares.Shares())
        weights = {lots[o].delivery_id: num for o, (num, _down) in shares.rows.items()}
        downgraded = lot.downgraded or any(down for _num, down in shares.rows.values())
    grams = rules.share_out_grams(lot.quantity_kg, weights)
    found = delivery_rows(session, lot.organization_id, list(weights), ancestry_of=lot.id)
    rows = [(*delivery, grams[delivery[0]], False) for delivery in found]
    return _lot_origins(lot.id, lot.quantity_kg, rows, read_facts(session, found), downgraded)


def _lot_origins(lot_id, quantity_kg, rows, facts: Facts, downgraded) -> LotOrigins:
    """`rows`: share rows (delivery tuple, GRAMS, DOWNGRADED), the grams adding up to the lot."""
    # Largest first, then by date and ticket: two stable sorts on whole grams and on the
    # delivery's (date, ticket), far cheaper than one sort on a (-kg, date, ticket) tuple of
    # Decimals per origin (20,000 of them in a big export lot). In Python, not in SQL: the
    # tickets' order must not depend on the database's collation.
    ordered = sorted(rows, key=itemgetter(2, 1))
    ordered.sort(key=itemgetter(GRAMS), reverse=True)
    plots, producers, in_force = facts.plots, facts.producers, facts.in_force
    origins = [_origin(row, plots[row[6]], producers[row[5]], in_force[row[0]]) for row in ordered]
    status = (
        OrganicStatus.CONVENTIONAL
        if downgraded or not origins
        else rules.worst_organic_status({origin.organic_status for origin in origins})
    )
    return LotOrigins(lot_id, quantity_kg, origins, status, downgraded)


def _origin(row: tuple, plot: tuple, producer: tuple, agreements: tuple) -> Origin:
    """Positional, in Origin's field order: built thousands of times for one lot, and keyword
    arguments cost a third more."""
    delivery_id, ticket, delivered_on, form, net_kg, _producer_id, _plot_id, lot_code = row[:8]
    plot_id, plot_name, area_ha, altitude, crop, conversion_start, organic_since = plot
    producer_id, producer_code, producer_name, consent, community = producer
    return Origin(
        delivery_id,
        ticket,
        delivered_on,
        form,
        net_kg,
        lot_code,
        plot_id,
        plot_name,
        area_ha,
        altitude,
        crop,
        producer_id,
        producer_code,
        producer_name,
        consent,
        community,
        farm_rules.organic_status(conversion_start, delivered_on),
        organic_since,
        bool(agreements),
        agreements,
        Decimal(row[GRAMS]) * GRAM,
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
