"""epcis: the organisation's GLN and GS1 Company Prefix (SGLN locations in EPCIS 2.0)

Revision ID: 18b0e9c15001
Revises: f16a2b3c4d50
Create Date: 2026-12-02 12:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '18b0e9c15001'
down_revision: str | None = 'f16a2b3c4d50'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gln', sqlmodel.sql.sqltypes.AutoString(length=13), nullable=True))
        batch_op.add_column(sa.Column('gs1_company_prefix', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('gs1_company_prefix')
        batch_op.drop_column('gln')
