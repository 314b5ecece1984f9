"""The lot graph: a lot and every lot it was made from, with the transformations between them,
loaded in two queries (origins.py shares kilograms out over it; quality/lot_quality.py weighs
cupping scores over it).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select
from sqlmodel import Session

from coopchain.db import among, in_organization
from coopchain.lots.models import Lot, Transformation, TransformationInput


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
    query = select(*_LOT_COLUMNS).where(in_organization(Lot, org_id))
    if ancestry_of is not None:
        ancestry = ancestry_query(ancestry_of)
        query = query.join(ancestry, ancestry.c.lot_id == Lot.id)
    # Named tuples, not result Rows: their attributes are read thousands of times below. Core
    # rows fetched at once: the ORM's per-row handling was a third of reading 2,000 lots.
    connection = session.connection()
    graph = _Graph({row[0]: _LotRow(*row) for row in connection.execute(query).all()})
    query = (
        select(
            TransformationInput.transformation_id,
            TransformationInput.lot_id,
            TransformationInput.quantity_kg,
            Transformation.kind,
        )
        .join(Transformation, Transformation.id == TransformationInput.transformation_id)
        .where(in_organization(Transformation, org_id))
    )
    if ancestry_of is not None:
        made_by = {row.transformation_id for row in graph.lots.values() if row.transformation_id}
        if not made_by:
            return graph
        query = query.where(among(session, TransformationInput.transformation_id, made_by))
    for transformation_id, lot_id, quantity_kg, kind in connection.execute(query).all():
        graph.inputs[transformation_id].append((lot_id, quantity_kg))
        # Shares are computed on whole grams: exact integers.
        graph.consumers[lot_id].append((transformation_id, int(quantity_kg * 1000)))
        graph.kinds[transformation_id] = kind
    return graph
