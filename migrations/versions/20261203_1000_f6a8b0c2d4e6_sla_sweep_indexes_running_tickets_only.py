"""SLA sweep: its four threshold indexes hold the running tickets only

The sweep reads `threshold <= now` among open tickets whose clock runs. Indexes on the whole
table held every closed ticket too: at 1,000,000 tickets the breach sweep walked 846,120 of
them at each run (0.54 s), and PostgreSQL chose ix_ticket_resolution_due_at over
ix_ticket_queue_due for a queue list of all statuses, skipping the other queues' rows one by
one. Partial indexes (open, not paused; first response: not yet answered) replace them.

Revision ID: f6a8b0c2d4e6
Revises: e5f7a9b1c3d5
Create Date: 2026-12-03 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f6a8b0c2d4e6"
down_revision = "e5f7a9b1c3d5"
branch_labels = None
depends_on = None

# Must match desk.sla.models.RUNNING_PREDICATE and AWAITING_RESPONSE_PREDICATE.
RUNNING = (
    "status IN ('assigned', 'in_progress', 'new', 'reopened', 'waiting_on_requester') "
    "AND sla_paused_since IS NULL"
)
AWAITING_RESPONSE = f"{RUNNING} AND first_responded_at IS NULL"
COLUMNS = {
    "first_response_warn_at": AWAITING_RESPONSE,
    "first_response_due_at": AWAITING_RESPONSE,
    "resolution_warn_at": RUNNING,
    "resolution_due_at": RUNNING,
}


def upgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        for column, predicate in COLUMNS.items():
            batch_op.drop_index(f"ix_ticket_{column}")
            batch_op.create_index(
                f"ix_ticket_running_{column}",
                [column],
                unique=False,
                postgresql_where=sa.text(predicate),
                sqlite_where=sa.text(predicate),
            )


def downgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.drop_index(f"ix_ticket_running_{column}")
            batch_op.create_index(f"ix_ticket_{column}", [column], unique=False)
