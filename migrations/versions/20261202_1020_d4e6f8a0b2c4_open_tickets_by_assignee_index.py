"""queue lists: an index for a technician's open tickets (assignee and status filters)

Revision ID: d4e6f8a0b2c4
Revises: c3d5e7f9a1b3
Create Date: 2026-12-02 10:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d4e6f8a0b2c4"
down_revision = "c3d5e7f9a1b3"
branch_labels = None
depends_on = None

# Must match desk.queues.models.OPEN_PREDICATE.
OPEN_PREDICATE = "status IN ('assigned', 'in_progress', 'new', 'reopened', 'waiting_on_requester')"


def upgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_open_queue_assignee_status_due",
            ["queue_id", "assignee_id", "status", "resolution_due_at", "id"],
            unique=False,
            postgresql_where=sa.text(OPEN_PREDICATE),
            sqlite_where=sa.text(OPEN_PREDICATE),
        )


def downgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_open_queue_assignee_status_due")
