"""What happened to a lot's quantity: the lot page's and the API's account of it."""

from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session

from coopchain.lots.models import Bag, Lot, Transformation, TransformationInput


def consumption_of(session: Session, lot: Lot) -> dict:
    """What happened to a lot's quantity: live transformations that took from it and bags."""
    taken = list(
        session.execute(
            select(Transformation, TransformationInput.quantity_kg)
            .join(TransformationInput, TransformationInput.transformation_id == Transformation.id)
            .where(TransformationInput.lot_id == lot.id)
            .order_by(Transformation.id)
        )
    )
    bags = list(session.scalars(select(Bag).where(Bag.lot_id == lot.id).order_by(Bag.serial)))
    # Start from 0.000 so "nothing consumed" has the grams like every other quantity.
    consumed = sum((q for t, q in taken if t.voided_at is None), Decimal("0.000")) + sum(
        (b.net_kg for b in bags if b.voided_at is None), Decimal("0.000")
    )
    return {"transformations": taken, "bags": bags, "consumed_kg": consumed}
