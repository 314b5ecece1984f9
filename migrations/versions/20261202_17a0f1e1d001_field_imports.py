"""field imports: column mappings saved per form, submissions imported (idempotent
re-imports), and uploads kept between the steps of the import page

Revision ID: 17a0f1e1d001
Revises: 18a0dd500001
Create Date: 2026-12-02 12:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import coopchain.timeutil


revision: str = '17a0f1e1d001'
down_revision: str | None = '18a0dd500001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('field_import_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('form_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('updated_at', coopchain.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_field_import_mappings_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_field_import_mappings')),
    sa.UniqueConstraint('organization_id', 'form_key', name=op.f('uq_field_import_mappings_organization_id_form_key'))
    )
    with op.batch_alter_table('field_import_mappings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_field_import_mappings_organization_id'), ['organization_id'], unique=False)

    op.create_table('field_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', coopchain.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_field_uploads_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_field_uploads')),
    sa.UniqueConstraint('token', name=op.f('uq_field_uploads_token'))
    )
    with op.batch_alter_table('field_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_field_uploads_organization_id'), ['organization_id'], unique=False)

    op.create_table('field_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('form_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('plot_id', sa.Integer(), nullable=False),
    sa.Column('accuracies', sa.JSON(), nullable=False),
    sa.Column('imported_at', coopchain.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_field_submissions_organization_id_organizations')),
    sa.ForeignKeyConstraint(['plot_id'], ['plots.id'], name=op.f('fk_field_submissions_plot_id_plots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_field_submissions')),
    sa.UniqueConstraint('organization_id', 'submission_id', name=op.f('uq_field_submissions_organization_id_submission_id'))
    )
    with op.batch_alter_table('field_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_field_submissions_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_field_submissions_plot_id'), ['plot_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('field_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_field_submissions_plot_id'))
        batch_op.drop_index(batch_op.f('ix_field_submissions_organization_id'))

    op.drop_table('field_submissions')
    with op.batch_alter_table('field_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_field_uploads_organization_id'))

    op.drop_table('field_uploads')
    with op.batch_alter_table('field_import_mappings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_field_import_mappings_organization_id'))

    op.drop_table('field_import_mappings')
