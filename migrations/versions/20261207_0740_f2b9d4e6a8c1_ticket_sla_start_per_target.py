"""ticket: when each SLA target started counting (first response, resolution)

One start per ticket (`sla_started_at`, c8f2d6a4e1b3) covered a policy given after a ticket's
creation, not a target added to a policy it already had: a resolution target added to a policy
with only a first-response one gave every open ticket of that type a resolution due date
counted from its creation, so the older ones were past it at once and the next sweep breached
and escalated them all. Each target now keeps its own start: `first_response_started_at` and
`resolution_started_at` (None: the ticket has no such target).

Upgrade: a ticket with dates of a target had it from `sla_started_at` when set, else from its
creation (what its dates were counted from); `sla_started_at` goes. Downgrade: the earlier of
the two starts becomes `sla_started_at` again (one start for both: what that code knew).

Revision ID: f2b9d4e6a8c1
Revises: d7e3a9c1f5b8
Create Date: 2026-12-07 07:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f2b9d4e6a8c1"
down_revision = "d7e3a9c1f5b8"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("first_response_started_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("resolution_started_at", sa.DateTime(timezone=True), nullable=True)
        )
    # One statement: each row is written once.
    op.execute(
        "UPDATE ticket SET"
        " first_response_started_at = CASE WHEN first_response_due_at IS NOT NULL"
        " THEN COALESCE(sla_started_at, created_at) END,"
        " resolution_started_at = CASE WHEN resolution_due_at IS NOT NULL"
        " THEN COALESCE(sla_started_at, created_at) END"
        " WHERE first_response_due_at IS NOT NULL OR resolution_due_at IS NOT NULL"
    )
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("sla_started_at")


def downgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla_started_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE ticket SET sla_started_at = CASE"
        " WHEN first_response_started_at IS NULL THEN resolution_started_at"
        " WHEN resolution_started_at IS NULL THEN first_response_started_at"
        " WHEN first_response_started_at < resolution_started_at"
        " THEN first_response_started_at ELSE resolution_started_at END"
    )
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("resolution_started_at")
        batch_op.drop_column("first_response_started_at")
