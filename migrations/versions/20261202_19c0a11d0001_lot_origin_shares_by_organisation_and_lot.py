"""lot origin shares: one index on (organisation, lot) instead of the organisation alone

Issue 19 §2. Every read of the shares is scoped to an organisation and names the lots it wants
(origins.origins_of, organic_statuses). With only an index on organization_id, SQLite chose it
and walked every share of the organisation to find one lot's: the cost of a lot's origins grew
with the organisation's history rather than with the lot.

Revision ID: 19c0a11d0001
Revises: 19a0041c1001
Create Date: 2026-12-02 16:10:00.000000
"""

from collections.abc import Sequence

from alembic import op


revision: str = '19c0a11d0001'
down_revision: str | None = '19a0041c1001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('lot_origin_shares', schema=None) as batch_op:
        batch_op.create_index(
            'ix_lot_origin_shares_organization_lot', ['organization_id', 'lot_id'], unique=False
        )
        batch_op.drop_index(batch_op.f('ix_lot_origin_shares_organization_id'))


def downgrade() -> None:
    with op.batch_alter_table('lot_origin_shares', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_lot_origin_shares_organization_id'), ['organization_id'], unique=False
        )
        batch_op.drop_index('ix_lot_origin_shares_organization_lot')
