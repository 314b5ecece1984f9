"""lot origin shares: the grams of each lot that came from each delivery

Issue 19 §2. A lot's origins were its quantity shared out by the stored fractions on every
call: thousands of integer divisions and a sort on each page, certificate and scan. A lot's
quantity never changes once made, so the grams are written with the fraction (share_g) and the
existing rows are filled here with the arithmetic of coopchain/lots/rules.py share_out_grams
(copied, so this migration keeps doing what it did whatever that module becomes): each
delivery's floor of grams × share, the grams left over going one each to the largest
remainders, ties broken by the delivery id as text. Works on SQLite and PostgreSQL.

Revision ID: 19e0a9b2c001
Revises: 19c0a11d0001
Create Date: 2026-12-03 00:30:00.000000
"""

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op


revision: str = "19e0a9b2c001"
down_revision: str | None = "19c0a11d0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lot_origin_shares", schema=None) as batch_op:
        batch_op.add_column(sa.Column("share_g", sa.BigInteger(), nullable=True))
    _backfill(op.get_bind())
    with op.batch_alter_table("lot_origin_shares", schema=None) as batch_op:
        batch_op.alter_column("share_g", existing_type=sa.BigInteger(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("lot_origin_shares", schema=None) as batch_op:
        batch_op.drop_column("share_g")


_lots = sa.table("lots", sa.column("id", sa.Integer), sa.column("quantity_kg", sa.Numeric(12, 3)))
_shares = sa.table(
    "lot_origin_shares",
    sa.column("lot_id", sa.Integer),
    sa.column("origin_lot_id", sa.Integer),
    sa.column("delivery_id", sa.Integer),
    sa.column("share_num", sa.Text),
    sa.column("share_g", sa.BigInteger),
)


def share_out_grams(grams: int, weights: dict[int, int]) -> dict[int, int]:
    """{delivery id: grams} of `grams` shared in proportion to integer `weights`."""
    whole = sum(weights.values())
    floors, remainders = {}, {}
    for key, weight in weights.items():
        floors[key], remainders[key] = divmod(grams * weight, whole)
    left = grams - sum(floors.values())
    for key in sorted(weights, key=lambda k: (remainders[k], str(k)), reverse=True)[:left]:
        floors[key] += 1
    return floors


def _backfill(connection) -> None:
    lot_ids = [row[0] for row in connection.execute(sa.select(_shares.c.lot_id).distinct())]
    update = (
        _shares.update()
        .where(
            _shares.c.lot_id == sa.bindparam("b_lot"),
            _shares.c.origin_lot_id == sa.bindparam("b_origin"),
        )
        .values(share_g=sa.bindparam("b_grams"))
    )
    for start in range(0, len(lot_ids), 500):
        chunk = lot_ids[start : start + 500]
        grams_of = {
            lot_id: int(Decimal(quantity) * 1000)
            for lot_id, quantity in connection.execute(
                sa.select(_lots.c.id, _lots.c.quantity_kg).where(_lots.c.id.in_(chunk))
            )
        }
        rows: dict[int, list] = {}
        for lot_id, origin, delivery_id, num in connection.execute(
            sa.select(
                _shares.c.lot_id,
                _shares.c.origin_lot_id,
                _shares.c.delivery_id,
                _shares.c.share_num,
            ).where(_shares.c.lot_id.in_(chunk))
        ):
            rows.setdefault(lot_id, []).append((origin, delivery_id, int(num)))
        batch = []
        for lot_id, found in rows.items():
            grams = share_out_grams(grams_of[lot_id], {d: num for _o, d, num in found})
            batch += [
                {"b_lot": lot_id, "b_origin": origin, "b_grams": grams[delivery_id]}
                for origin, delivery_id, _num in found
            ]
        if batch:
            connection.execute(update, batch)
