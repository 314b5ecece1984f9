"""How many kilograms each delivery contributed to a shipment, in the form it was DELIVERED.

`origins_of` answers "how many kg of this lot come from each delivery" in the lot's own form
(green coffee, for a shipment). A settlement pays for what the producer delivered (parchment,
cherry), so here the same lot graph (lots/lot_graph.load_graph, the one origins_of walks) is
walked back from the shipment's bags with every transformation's recorded yield undone:
a transformation consumed Σ inputs and made Σ outputs = Σ inputs − loss; the kg of its
outputs that reached the shipment stand for (Σ inputs / Σ outputs) times as many kg of its
inputs, shared among the inputs by what it took of each. At an origin lot the result is the
delivered kg behind the shipment. With no loss on the way it equals origins_of's kg.

Exact fractions throughout; callers round (kg to the gram, money to the cent) once at the end.
"""

from collections import defaultdict
from fractions import Fraction

from sqlalchemy import select
from sqlmodel import Session

from coopchain.db import in_organization
from coopchain.lots.lot_graph import load_graph
from coopchain.lots.models import Bag, Transformation


def shipped_kg_by_lot(session: Session, shipment_id: int) -> dict[int, Fraction]:
    """{lot id: Σ net kg of the shipment's live bags filled from it}."""
    rows = session.execute(
        select(Bag.lot_id, Bag.net_kg).where(
            Bag.shipment_id == shipment_id, Bag.voided_at.is_(None)
        )
    )
    kg: dict[int, Fraction] = defaultdict(Fraction)
    for lot_id, net_kg in rows:
        kg[lot_id] += Fraction(net_kg)
    return dict(kg)


def delivered_kg_behind(
    session: Session, org_id: int, kg_by_lot: dict[int, Fraction]
) -> dict[int, Fraction]:
    """{delivery id: kg of its delivered form behind `kg_by_lot`} (see the module's note)."""
    lots: dict = {}
    inputs: dict[int, list] = {}
    for lot_id in kg_by_lot:
        graph = load_graph(session, org_id, ancestry_of=lot_id)
        lots.update(graph.lots)
        inputs.update(graph.inputs)
    losses = _losses(session, org_id, list(inputs))
    behind: dict[int, Fraction] = defaultdict(Fraction)
    for lot_id, kg in kg_by_lot.items():
        behind[lot_id] += kg
    # A transformation's inputs all have lower ids than its outputs (lot ids only grow), so
    # walking lots by descending id, once its oldest output is visited every output's kg is
    # known and can be spread over its inputs before any input is visited (as in origins.py).
    oldest_output: dict[int, int] = {}
    for lot_id, row in lots.items():
        if row.transformation_id is not None:
            current = oldest_output.get(row.transformation_id, lot_id)
            oldest_output[row.transformation_id] = min(current, lot_id)
    reached: dict[int, Fraction] = defaultdict(Fraction)
    delivered: dict[int, Fraction] = defaultdict(Fraction)
    for lot_id in sorted(lots, reverse=True):
        row = lots[lot_id]
        kg = behind.get(lot_id, Fraction(0))
        if row.delivery_id is not None:
            if kg:
                delivered[row.delivery_id] += kg
            continue
        transformation_id = row.transformation_id
        if transformation_id is None:
            continue
        reached[transformation_id] += kg
        if lot_id != oldest_output[transformation_id] or not reached[transformation_id]:
            continue
        took = inputs.get(transformation_id, ())
        consumed = sum((Fraction(q) for _lot, q in took), Fraction(0))
        made = consumed - Fraction(losses.get(transformation_id, 0))
        if made <= 0:
            continue
        # Undo the yield: each kg made stood for consumed/made kg taken, shared by input.
        per_kg_taken = reached[transformation_id] / made
        for input_id, q in took:
            behind[input_id] += per_kg_taken * Fraction(q)
    return dict(delivered)


def _losses(session: Session, org_id: int, transformation_ids: list[int]) -> dict[int, object]:
    if not transformation_ids:
        return {}
    return dict(
        session.execute(
            select(Transformation.id, Transformation.loss_kg).where(
                in_organization(Transformation, org_id),
                Transformation.id.in_(transformation_ids),
            )
        ).all()
    )
