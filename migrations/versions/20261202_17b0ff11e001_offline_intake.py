"""offline intake: a device-generated client id on deliveries, unique per organisation

Revision ID: 17b0ff11e001
Revises: 19b0b0e1a001
Create Date: 2026-12-02 12:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '17b0ff11e001'
down_revision: str | None = '19b0b0e1a001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.create_index('ix_deliveries_client_id', ['organization_id', 'client_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_client_id')
        batch_op.drop_column('client_id')
