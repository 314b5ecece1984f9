"""payments, runs, premium rules, debts, settlements, premium fund; price units; treasurer

Revision ID: f16a2b3c4d50
Revises: e5a1d0c4f215
Create Date: 2026-12-02 08:50:47.394961
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import coopchain.timeutil


revision: str = 'f16a2b3c4d50'
down_revision: str | None = 'e5a1d0c4f215'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('payment_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('selection', sa.JSON(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('totals', sa.JSON(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', coopchain.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('voided_at', coopchain.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('void_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_payment_runs_organization_id_organizations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_payment_runs_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_runs')),
    sa.UniqueConstraint('organization_id', 'number', name=op.f('uq_payment_runs_organization_id_number'))
    )
    with op.batch_alter_table('payment_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_runs_organization_id'), ['organization_id'], unique=False)

    op.create_table('premium_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('crop', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('product_form', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('amount_per_kg', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('min_score', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('max_score', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', coopchain.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', coopchain.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_premium_rules_organization_id_organizations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_premium_rules_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_premium_rules'))
    )
    with op.batch_alter_table('premium_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_premium_rules_organization_id'), ['organization_id'], unique=False)

    op.create_table('fund_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('fund', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('exchange_rate', sa.Numeric(precision=16, scale=6), nullable=True),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('plan_item', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', coopchain.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('voided_at', coopchain.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('void_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_fund_entries_organization_id_organizations')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_fund_entries_shipment_id_shipments')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_fund_entries_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_entries'))
    )
    with op.batch_alter_table('fund_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fund_entries_organization_id'), ['organization_id'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('producer_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('cci', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('receipt_token', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', coopchain.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('voided_at', coopchain.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('void_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_payments_organization_id_organizations')),
    sa.ForeignKeyConstraint(['producer_id'], ['producers.id'], name=op.f('fk_payments_producer_id_producers')),
    sa.ForeignKeyConstraint(['run_id'], ['payment_runs.id'], name=op.f('fk_payments_run_id_payment_runs')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_payments_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('organization_id', 'number', name=op.f('uq_payments_organization_id_number')),
    sa.UniqueConstraint('receipt_token', name=op.f('uq_payments_receipt_token'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_producer_id'), ['producer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_run_id'), ['run_id'], unique=False)

    op.create_table('producer_debts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('producer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('principal', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('granted_on', sa.Date(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('schedule', sa.JSON(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', coopchain.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('voided_at', coopchain.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('void_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_producer_debts_organization_id_organizations')),
    sa.ForeignKeyConstraint(['producer_id'], ['producers.id'], name=op.f('fk_producer_debts_producer_id_producers')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_producer_debts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_producer_debts'))
    )
    with op.batch_alter_table('producer_debts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_producer_debts_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_producer_debts_producer_id'), ['producer_id'], unique=False)

    op.create_table('settlements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('price', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('price_currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('price_unit', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('exchange_rate', sa.Numeric(precision=16, scale=6), nullable=False),
    sa.Column('rate_on', sa.Date(), nullable=False),
    sa.Column('costs_per_kg', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', coopchain.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('voided_at', coopchain.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('void_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_settlements_organization_id_organizations')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_settlements_shipment_id_shipments')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_settlements_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlements'))
    )
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlements_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlements_shipment_id'), ['shipment_id'], unique=False)

    op.create_table('payment_allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('premium_rule_id', sa.Integer(), nullable=True),
    sa.Column('debt_id', sa.Integer(), nullable=True),
    sa.Column('settlement_id', sa.Integer(), nullable=True),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.ForeignKeyConstraint(['debt_id'], ['producer_debts.id'], name=op.f('fk_payment_allocations_debt_id_producer_debts')),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], name=op.f('fk_payment_allocations_delivery_id_deliveries')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_allocations_payment_id_payments')),
    sa.ForeignKeyConstraint(['premium_rule_id'], ['premium_rules.id'], name=op.f('fk_payment_allocations_premium_rule_id_premium_rules')),
    sa.ForeignKeyConstraint(['settlement_id'], ['settlements.id'], name=op.f('fk_payment_allocations_settlement_id_settlements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_allocations'))
    )
    with op.batch_alter_table('payment_allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_allocations_delivery_id'), ['delivery_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_allocations_payment_id'), ['payment_id'], unique=False)

    op.create_table('settlement_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('settlement_id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('producer_id', sa.Integer(), nullable=False),
    sa.Column('kg', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], name=op.f('fk_settlement_lines_delivery_id_deliveries')),
    sa.ForeignKeyConstraint(['producer_id'], ['producers.id'], name=op.f('fk_settlement_lines_producer_id_producers')),
    sa.ForeignKeyConstraint(['settlement_id'], ['settlements.id'], name=op.f('fk_settlement_lines_settlement_id_settlements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_lines'))
    )
    with op.batch_alter_table('settlement_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlement_lines_delivery_id'), ['delivery_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlement_lines_producer_id'), ['producer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlement_lines_settlement_id'), ['settlement_id'], unique=False)

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_unit', sqlmodel.sql.sqltypes.AutoString(length=5), server_default='kg', nullable=False))
        batch_op.add_column(sa.Column('price_entered', sa.Numeric(precision=12, scale=4), nullable=True))

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_transparency', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('market_reference_per_kg', sa.Numeric(precision=10, scale=2), nullable=True))
        batch_op.add_column(sa.Column('market_reference_on', sa.Date(), nullable=True))

    with op.batch_alter_table('producers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cci', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('producers', schema=None) as batch_op:
        batch_op.drop_column('cci')

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('market_reference_on')
        batch_op.drop_column('market_reference_per_kg')
        batch_op.drop_column('price_transparency')

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('price_entered')
        batch_op.drop_column('price_unit')

    with op.batch_alter_table('settlement_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_lines_settlement_id'))
        batch_op.drop_index(batch_op.f('ix_settlement_lines_producer_id'))
        batch_op.drop_index(batch_op.f('ix_settlement_lines_delivery_id'))

    op.drop_table('settlement_lines')
    with op.batch_alter_table('payment_allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_allocations_payment_id'))
        batch_op.drop_index(batch_op.f('ix_payment_allocations_delivery_id'))

    op.drop_table('payment_allocations')
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlements_shipment_id'))
        batch_op.drop_index(batch_op.f('ix_settlements_organization_id'))

    op.drop_table('settlements')
    with op.batch_alter_table('producer_debts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_producer_debts_producer_id'))
        batch_op.drop_index(batch_op.f('ix_producer_debts_organization_id'))

    op.drop_table('producer_debts')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_run_id'))
        batch_op.drop_index(batch_op.f('ix_payments_producer_id'))
        batch_op.drop_index(batch_op.f('ix_payments_organization_id'))

    op.drop_table('payments')
    with op.batch_alter_table('fund_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fund_entries_organization_id'))

    op.drop_table('fund_entries')
    with op.batch_alter_table('premium_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_premium_rules_organization_id'))

    op.drop_table('premium_rules')
    with op.batch_alter_table('payment_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_runs_organization_id'))

    op.drop_table('payment_runs')
