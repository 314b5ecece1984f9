"""EUDR due diligence statements: the EU Information System account per organisation (key
encrypted) and the statements filed per shipment (uuid, status, reference/verification numbers)

Revision ID: 18a0dd500001
Revises: 18b0e9c15001
Create Date: 2026-12-02 12:38:48.962033
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import coopchain.timeutil


revision: str = '18a0dd500001'
down_revision: str | None = '18b0e9c15001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('eudr_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('operator_role', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('activity_type', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('country_of_activity', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    sa.Column('eori', sqlmodel.sql.sqltypes.AutoString(length=17), nullable=True),
    sa.Column('represented_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('represented_eori', sqlmodel.sql.sqltypes.AutoString(length=17), nullable=True),
    sa.Column('geo_location_confidential', sa.Boolean(), nullable=False),
    sa.Column('environment', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('client_id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('auth_key_encrypted', sa.Text(), nullable=True),
    sa.Column('updated_at', coopchain.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_eudr_accounts_organization_id_organizations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_eudr_accounts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eudr_accounts')),
    sa.UniqueConstraint('organization_id', name=op.f('uq_eudr_accounts_organization_id'))
    )
    op.create_table('dds_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('part', sa.Integer(), nullable=False),
    sa.Column('part_count', sa.Integer(), nullable=False),
    sa.Column('internal_reference', sqlmodel.sql.sqltypes.AutoString(length=35), nullable=False),
    sa.Column('uuid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('reference_number', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('verification_number', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('submitted_at', coopchain.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('checked_at', coopchain.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('amended_at', coopchain.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', coopchain.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_dds_statements_organization_id_organizations')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_dds_statements_shipment_id_shipments')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_dds_statements_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dds_statements')),
    sa.UniqueConstraint('uuid', name=op.f('uq_dds_statements_uuid'))
    )
    with op.batch_alter_table('dds_statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dds_statements_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dds_statements_shipment_id'), ['shipment_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dds_statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dds_statements_shipment_id'))
        batch_op.drop_index(batch_op.f('ix_dds_statements_organization_id'))

    op.drop_table('dds_statements')
    op.drop_table('eudr_accounts')
