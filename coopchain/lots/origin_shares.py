"""Materialised origins (issue 19 §2): each lot's exact share of every delivery it descends
from, written in the transaction of the transformation that makes the lot and deleted when that
transformation is voided, so `origins.origins_of` reads a lot's origins in one indexed query
instead of walking its genealogy.

Every transformation mixes its inputs, so an output holds each input in proportion to what was
taken of it: share(out, d) = Σ_i (g_i / G) · share(i, d), with g_i the grams taken of input i and
G all grams taken (a split or a process has one input, so its outputs keep that input's shares).
A delivery's own lot is all that delivery (share 1) and has no rows. Shares are exact fractions
with one denominator per lot, the numerators adding up to it exactly; composing them is plain
integer arithmetic. `recompute` rebuilds every lot's shares from the genealogy alone, which is
what verify-ledger's reconciliation compares the rows with (ledger/reconcile_origins.py).
"""

from dataclasses import dataclass, field
from decimal import Decimal
from math import gcd, lcm

from sqlalchemy import delete, insert, select
from sqlmodel import Session

from coopchain.db import in_organization
from coopchain.lots import rules
from coopchain.lots.lot_graph import ancestry_query
from coopchain.lots.models import Delivery, Lot, LotOriginShare, Transformation, TransformationInput

#: Under SQLite's bound-parameter limit.
CHUNK = 900


@dataclass
class Shares:
    """A lot's shares: {origin lot id: [numerator, downgraded on the way]} over `den`."""

    den: int = 1
    rows: dict[int, list] = field(default_factory=dict)

    def text(self, origin_lot_id: int) -> str:
        return f"{self.rows[origin_lot_id][0]}/{self.den}"


def grams(kg) -> int:
    """Kilograms (exact to the gram, DESIGN.md §4) as whole grams."""
    return int(Decimal(kg) * 1000)


def of_delivery_lot(lot_id: int, downgraded: bool = False) -> Shares:
    return Shares(1, {lot_id: [1, downgraded]})


def compose(parts: list[tuple[int, Shares]], downgraded: bool) -> Shares:
    """The shares of a lot made from `parts` ([(grams taken, the input's shares)]); `downgraded`
    is the lot's own flag (DOMAIN.md §3: a downgrade holds for everything made from it)."""
    total = sum(taken for taken, _shares in parts)
    common = lcm(*(shares.den for _taken, shares in parts))
    rows: dict[int, list] = {}
    for taken, shares in parts:
        factor = taken * (common // shares.den)
        for origin, (num, down) in shares.rows.items():
            row = rows.get(origin)
            if row is None:
                rows[origin] = [num * factor, down or downgraded]
            else:
                row[0] += num * factor
                row[1] = row[1] or down
    den = total * common
    divisor = gcd(den, *(row[0] for row in rows.values()))
    if divisor > 1:
        den //= divisor
        for row in rows.values():
            row[0] //= divisor
    return Shares(den, rows)


def _chunks(ids):
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def stored(session: Session, org_id: int, lot_ids) -> tuple[dict[int, Shares], dict]:
    """({lot id: its stored shares}, {origin lot id: (delivery id, plot id)}) for made lots."""
    found: dict[int, Shares] = {}
    facts: dict[int, tuple[int, int]] = {}
    for chunk in _chunks(lot_ids):
        for lot_id, origin, delivery_id, plot_id, num, den, down in session.execute(
            select(
                LotOriginShare.lot_id,
                LotOriginShare.origin_lot_id,
                LotOriginShare.delivery_id,
                LotOriginShare.plot_id,
                LotOriginShare.share_num,
                LotOriginShare.share_den,
                LotOriginShare.downgraded,
            ).where(in_organization(LotOriginShare, org_id), LotOriginShare.lot_id.in_(chunk))
        ):
            shares = found.get(lot_id)
            if shares is None:
                shares = found[lot_id] = Shares(int(den))
            shares.rows[origin] = [int(num), down]
            facts[origin] = (delivery_id, plot_id)
    return found, facts


def _delivery_facts(session: Session, org_id: int, delivery_lot_ids) -> dict:
    """{origin lot id: (delivery id, plot id)} of delivery lots."""
    facts = {}
    for chunk in _chunks(delivery_lot_ids):
        for lot_id, delivery_id, plot_id in session.execute(
            select(Lot.id, Delivery.id, Delivery.plot_id)
            .join(Delivery, Delivery.id == Lot.delivery_id)
            .where(in_organization(Lot, org_id), Lot.id.in_(chunk))
        ):
            facts[lot_id] = (delivery_id, plot_id)
    return facts


def grams_of(quantity_kg, shares: Shares, delivery_of: dict) -> dict[int, int]:
    """{origin lot id: grams of a lot of `quantity_kg` that came from it}: the quantity shared
    out by the fractions to the gram, keyed (and ties broken) by delivery id as origins_of has
    always shared it out. `delivery_of`: {origin lot id: delivery id}."""
    by_delivery = rules.share_out_grams(
        quantity_kg, {delivery_of[origin]: num for origin, (num, _down) in shares.rows.items()}
    )
    return {origin: by_delivery[delivery_of[origin]] for origin in shares.rows}


def _rows(org_id: int, lot: Lot, shares: Shares, facts: dict) -> list[dict]:
    den = str(shares.den)
    grams = grams_of(lot.quantity_kg, shares, {origin: facts[origin][0] for origin in shares.rows})
    return [
        {
            "lot_id": lot.id,
            "origin_lot_id": origin,
            "organization_id": org_id,
            "delivery_id": facts[origin][0],
            "plot_id": facts[origin][1],
            "share_num": str(num),
            "share_den": den,
            "share_g": grams[origin],
            "downgraded": down,
        }
        for origin, (num, down) in shares.rows.items()
    ]


def record(session: Session, org_id: int, taken: list[tuple[Lot, Decimal]], made: list[Lot]):
    """Write the shares of the lots a transformation made (`taken`: [(input lot, kg taken)]),
    in the caller's transaction. Called by transformations._transform once the lots have ids."""
    if not made:
        return
    inputs, facts = stored(session, org_id, [lot.id for lot, _q in taken if not lot.is_origin])
    origins = [lot.id for lot, _q in taken if lot.is_origin]
    facts.update(_delivery_facts(session, org_id, origins))
    for lot, _q in taken:
        if lot.is_origin:
            inputs[lot.id] = of_delivery_lot(lot.id, lot.downgraded)
    parts = [(grams(q), inputs[lot.id]) for lot, q in taken]
    by_flag: dict[bool, Shares] = {}
    rows = []
    for lot in made:
        if lot.downgraded not in by_flag:
            by_flag[lot.downgraded] = compose(parts, lot.downgraded)
        rows += _rows(org_id, lot, by_flag[lot.downgraded], facts)
    if rows:
        session.execute(insert(LotOriginShare), rows)


def remove(session: Session, org_id: int, lot_ids: list[int]) -> None:
    """Delete the shares of lots being voided (transformations.void_transformation)."""
    for chunk in _chunks(lot_ids):
        session.execute(
            delete(LotOriginShare).where(
                in_organization(LotOriginShare, org_id), LotOriginShare.lot_id.in_(chunk)
            )
        )


def recompute(session: Session, org_id: int, ancestry_of: int | None = None):
    """Every lot's shares rebuilt from the genealogy alone, ignoring the stored rows:
    ({lot id: Shares} for each lot made by a transformation, {lot id: row} of the lots read).
    One lot's ancestry when `ancestry_of` is given, else the whole organisation. Lot ids only
    grow and outputs are newer than their inputs, so ascending ids visit inputs first."""
    query = select(
        Lot.id,
        Lot.code,
        Lot.delivery_id,
        Lot.transformation_id,
        Lot.downgraded,
        Lot.voided_at,
        Lot.quantity_kg,
    ).where(in_organization(Lot, org_id))
    if ancestry_of is not None:
        ancestry = ancestry_query(ancestry_of)
        query = query.join(ancestry, ancestry.c.lot_id == Lot.id)
    lots = {row[0]: row for row in session.execute(query)}
    inputs: dict[int, list[tuple[int, int]]] = {}
    made_by = {row.transformation_id for row in lots.values() if row.transformation_id}
    query = (
        select(
            TransformationInput.transformation_id,
            TransformationInput.lot_id,
            TransformationInput.quantity_kg,
        )
        .join(Transformation, Transformation.id == TransformationInput.transformation_id)
        .where(in_organization(Transformation, org_id))
    )
    for tid, lot_id, quantity in session.execute(query):
        if tid in made_by:
            inputs.setdefault(tid, []).append((lot_id, grams(quantity)))
    computed: dict[int, Shares] = {}
    for lot_id in sorted(lots):
        row = lots[lot_id]
        if row.delivery_id is not None:
            computed[lot_id] = of_delivery_lot(lot_id, row.downgraded)
        elif row.transformation_id in inputs:
            parts = [(g, computed[i]) for i, g in inputs[row.transformation_id] if i in computed]
            computed[lot_id] = compose(parts, row.downgraded)
    return {
        lot_id: shares for lot_id, shares in computed.items() if lots[lot_id].delivery_id is None
    }, lots
