"""the open tickets' due-date index also covers the first answer's deadline

The queue overview counts each queue's tickets due soon and breached from this index alone
(an index-only scan of the open tickets). Those counts now include a first answer that is
overdue or due soon (desk.sla.state), which reads three more columns: without them in the
index, the overview read every open ticket's row from the table (60,000 at 1,000,000
tickets). Recreated with them; PostgreSQL only (SQLite has no INCLUDE: its index is unchanged).

Revision ID: ea78276ad03f
Revises: 3a7c9e1b5d2f
Create Date: 2026-12-06 11:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ea78276ad03f"
down_revision = "3a7c9e1b5d2f"
branch_labels = None
depends_on = None

# Must match desk.tickets.models.OPEN_PREDICATE.
OPEN_PREDICATE = "status IN ('assigned', 'in_progress', 'new', 'reopened', 'waiting_on_requester')"
COVERED = ["status", "assignee_id", "resolution_warn_at", "sla_paused_since", "priority"]
FIRST_RESPONSE = ["first_response_due_at", "first_response_warn_at", "first_responded_at"]


def _recreate(include: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_ticket_open_queue_due", table_name="ticket")
    op.create_index(
        "ix_ticket_open_queue_due",
        "ticket",
        ["queue_id", "resolution_due_at", "id"],
        postgresql_where=sa.text(OPEN_PREDICATE),
        postgresql_include=include,
    )


def upgrade():
    _recreate(COVERED + FIRST_RESPONSE)


def downgrade():
    _recreate(COVERED)
