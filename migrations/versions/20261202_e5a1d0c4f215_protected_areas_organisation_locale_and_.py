"""protected areas, organisation locale and public profile, intake warnings

Revision ID: e5a1d0c4f215
Revises: c3b9f1e07d52
Create Date: 2026-12-02 07:52:54.975740
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import coopchain.timeutil


revision: str = 'e5a1d0c4f215'
down_revision: str | None = 'c3b9f1e07d52'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('protected_areas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('geometry', sa.JSON(), nullable=False),
    sa.Column('approximate', sa.Boolean(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('uploaded_at', coopchain.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_protected_areas_organization_id_organizations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_protected_areas_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protected_areas'))
    )
    with op.batch_alter_table('protected_areas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_protected_areas_organization_id'), ['organization_id'], unique=False)

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intake_warnings', sa.JSON(), server_default='[]', nullable=False))

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sqlmodel.sql.sqltypes.AutoString(length=10), server_default='es_PE', nullable=False))
        batch_op.add_column(sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True))
        batch_op.add_column(sa.Column('public_story', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True))
        batch_op.add_column(sa.Column('public_photo', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('public_photo_type', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('public_photo_type')
        batch_op.drop_column('public_photo')
        batch_op.drop_column('public_story')
        batch_op.drop_column('region')
        batch_op.drop_column('locale')

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('intake_warnings')

    with op.batch_alter_table('protected_areas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_protected_areas_organization_id'))

    op.drop_table('protected_areas')
