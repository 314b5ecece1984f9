"""lot origin shares: each made lot's exact share of every delivery it descends from

Issue 19 §2. The new table is filled for every existing lot made by a live transformation,
with the arithmetic coopchain/lots/origin_shares.py uses when a transformation is written
(copied here so this migration keeps doing what it did whatever that module becomes): lots in
ascending id order (a transformation's outputs are newer than its inputs), each output holding
its inputs in proportion to the grams taken of them, as exact integer fractions over one
denominator per lot. Works on SQLite and PostgreSQL (plain selects and inserts).

Revision ID: 19a0041c1001
Revises: 20a051c00001
Create Date: 2026-12-02 12:45:00.000000
"""

from collections.abc import Sequence
from decimal import Decimal
from math import gcd, lcm

import sqlalchemy as sa
from alembic import op


revision: str = '19a0041c1001'
down_revision: str | None = '20a051c00001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('lot_origin_shares',
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('origin_lot_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('plot_id', sa.Integer(), nullable=False),
    sa.Column('share_num', sa.Text(), nullable=False),
    sa.Column('share_den', sa.Text(), nullable=False),
    sa.Column('downgraded', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], name=op.f('fk_lot_origin_shares_delivery_id_deliveries')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_lot_origin_shares_lot_id_lots')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_lot_origin_shares_organization_id_organizations')),
    sa.ForeignKeyConstraint(['origin_lot_id'], ['lots.id'], name=op.f('fk_lot_origin_shares_origin_lot_id_lots')),
    sa.ForeignKeyConstraint(['plot_id'], ['plots.id'], name=op.f('fk_lot_origin_shares_plot_id_plots')),
    sa.PrimaryKeyConstraint('lot_id', 'origin_lot_id', name=op.f('pk_lot_origin_shares'))
    )
    with op.batch_alter_table('lot_origin_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lot_origin_shares_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lot_origin_shares_origin_lot_id'), ['origin_lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lot_origin_shares_plot_id'), ['plot_id'], unique=False)

    _backfill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('lot_origin_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lot_origin_shares_plot_id'))
        batch_op.drop_index(batch_op.f('ix_lot_origin_shares_origin_lot_id'))
        batch_op.drop_index(batch_op.f('ix_lot_origin_shares_organization_id'))

    op.drop_table('lot_origin_shares')


_lots = sa.table(
    'lots',
    sa.column('id', sa.Integer),
    sa.column('organization_id', sa.Integer),
    sa.column('delivery_id', sa.Integer),
    sa.column('transformation_id', sa.Integer),
    sa.column('downgraded', sa.Boolean),
    sa.column('voided_at', sa.DateTime),
)
_deliveries = sa.table('deliveries', sa.column('id', sa.Integer), sa.column('plot_id', sa.Integer))
_inputs = sa.table(
    'transformation_inputs',
    sa.column('transformation_id', sa.Integer),
    sa.column('lot_id', sa.Integer),
    sa.column('quantity_kg', sa.Numeric(12, 3)),
)
_shares = sa.table(
    'lot_origin_shares',
    sa.column('lot_id', sa.Integer),
    sa.column('origin_lot_id', sa.Integer),
    sa.column('organization_id', sa.Integer),
    sa.column('delivery_id', sa.Integer),
    sa.column('plot_id', sa.Integer),
    sa.column('share_num', sa.Text),
    sa.column('share_den', sa.Text),
    sa.column('downgraded', sa.Boolean),
)


def _compose(parts, downgraded):
    """(den, {origin lot id: [num, downgraded]}) of a lot made from [(grams, (den, rows))]."""
    total = sum(taken for taken, _shares in parts)
    common = lcm(*(den for _taken, (den, _rows) in parts))
    rows = {}
    for taken, (den, shares) in parts:
        factor = taken * (common // den)
        for origin, (num, down) in shares.items():
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
    return den, rows


def _backfill(connection) -> None:
    plot_of = dict(connection.execute(sa.select(_deliveries.c.id, _deliveries.c.plot_id)).all())
    inputs = {}
    for tid, lot_id, quantity in connection.execute(
        sa.select(_inputs.c.transformation_id, _inputs.c.lot_id, _inputs.c.quantity_kg)
    ):
        inputs.setdefault(tid, []).append((lot_id, int(Decimal(quantity) * 1000)))
    computed, delivery_of, batch = {}, {}, []
    for lot_id, org_id, delivery_id, tid, downgraded, voided_at in connection.execute(
        sa.select(
            _lots.c.id,
            _lots.c.organization_id,
            _lots.c.delivery_id,
            _lots.c.transformation_id,
            _lots.c.downgraded,
            _lots.c.voided_at,
        ).order_by(_lots.c.id)
    ).all():
        if delivery_id is not None:
            computed[lot_id] = (1, {lot_id: [1, bool(downgraded)]})
            delivery_of[lot_id] = delivery_id
            continue
        if tid not in inputs:
            continue
        parts = [(g, computed[i]) for i, g in inputs[tid] if i in computed]
        computed[lot_id] = den, rows = _compose(parts, bool(downgraded))
        if voided_at is not None:
            continue  # a voided lot keeps no shares
        batch += [
            {
                'lot_id': lot_id,
                'origin_lot_id': origin,
                'organization_id': org_id,
                'delivery_id': delivery_of[origin],
                'plot_id': plot_of[delivery_of[origin]],
                'share_num': str(num),
                'share_den': str(den),
                'downgraded': down,
            }
            for origin, (num, down) in rows.items()
        ]
        if len(batch) >= 5000:
            connection.execute(_shares.insert(), batch)
            batch = []
    if batch:
        connection.execute(_shares.insert(), batch)
