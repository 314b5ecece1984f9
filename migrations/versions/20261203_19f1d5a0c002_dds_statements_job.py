"""dds statements: the job that filed them

Issue 19 §1. A large shipment's statement is filed by a job, part by part, each part committed
as the EU accepts it; a worker that dies in between leaves the job to another, which must know
which parts it already filed (and not count them as someone else's live filing). Nullable:
parts filed from a request have no job.

Revision ID: 19f1d5a0c002
Revises: 19e0a9b2c001
Create Date: 2026-12-03 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "19f1d5a0c002"
down_revision: str | None = "19e0a9b2c001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dds_statements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_dds_statements_job_id_jobs"), "jobs", ["job_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("dds_statements", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_dds_statements_job_id_jobs"), type_="foreignkey")
        batch_op.drop_column("job_id")
