"""queue list indexes: keyset pages by due date, creation and assignee; open-ticket overview

Revision ID: a5b7ca485167
Revises: 245afc1f3fb9
Create Date: 2026-11-21 06:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a5b7ca485167"
down_revision = "245afc1f3fb9"
branch_labels = None
depends_on = None

# Must match desk.queues.listing.open_clause / desk.queues.models.OPEN_PREDICATE.
OPEN_PREDICATE = "status IN ('assigned', 'in_progress', 'new', 'reopened', 'waiting_on_requester')"


def upgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_queue_due", ["queue_id", "resolution_due_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_ticket_queue_created", ["queue_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_ticket_queue_assignee_due",
            ["queue_id", "assignee_id", "resolution_due_at", "id"],
            unique=False,
        )
        # Partial on both engines; the covering columns (INCLUDE) exist only on PostgreSQL.
        batch_op.create_index(
            "ix_ticket_open_queue_due",
            ["queue_id", "resolution_due_at", "id"],
            unique=False,
            postgresql_where=sa.text(OPEN_PREDICATE),
            sqlite_where=sa.text(OPEN_PREDICATE),
            postgresql_include=[
                "status",
                "assignee_id",
                "resolution_warn_at",
                "sla_paused_since",
                "priority",
            ],
        )


def downgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_open_queue_due")
        batch_op.drop_index("ix_ticket_queue_assignee_due")
        batch_op.drop_index("ix_ticket_queue_created")
        batch_op.drop_index("ix_ticket_queue_due")
