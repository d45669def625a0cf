"""ticket.sla_started_at: when a policy given after the ticket's creation started its clock

A request type that gets an SLA policy while it has open tickets (it had none, or the policy
moved onto it) gave them due dates counted from their creation: every older ticket was past
its targets at once and the next sweep breached them all (e-mails, escalations, priorities
raised). Such a ticket now counts from the time the policy started applying to it, kept in
this column so a later change of the targets still counts from there. A nullable column, no
backfill: None means "from creation", which is what every existing ticket's dates are.

Revision ID: c8f2d6a4e1b3
Revises: b5e8c1f3a7d9
Create Date: 2026-12-06 22:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c8f2d6a4e1b3"
down_revision = "b5e8c1f3a7d9"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla_started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("sla_started_at")
