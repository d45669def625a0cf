"""queue lists: an index for a queue's open tickets in creation order

Sorted by creation date, the default view (open tickets) read ix_ticket_queue_created, which
holds the queue's whole history: at 1,000,000 tickets PostgreSQL dropped 47,000 closed rows to
fill a page of open ones (140–180 ms; bench/queue_plans.py). A partial index over the open
tickets, like ix_ticket_open_queue_due for the due-date sort, returns them in page order.

Revision ID: a7b9c1d3e5f7
Revises: f6a8b0c2d4e6
Create Date: 2026-12-03 11:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7b9c1d3e5f7"
down_revision = "f6a8b0c2d4e6"
branch_labels = None
depends_on = None

# Must match desk.tickets.models.OPEN_PREDICATE.
OPEN_PREDICATE = "status IN ('assigned', 'in_progress', 'new', 'reopened', 'waiting_on_requester')"


def upgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_open_queue_created",
            ["queue_id", "created_at", "id"],
            unique=False,
            postgresql_where=sa.text(OPEN_PREDICATE),
            sqlite_where=sa.text(OPEN_PREDICATE),
        )


def downgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_open_queue_created")
