"""the resolved tickets by their resolution date, for the report's activity

The report counts the tickets resolved in a period, per queue and per technician, and takes
the median time to resolve them: a range of `resolved_at`, which no index covered (tickets
never resolved, or cancelled, have none and stay out of the index).

Revision ID: d7f9b1c3e5a7
Revises: c6e8a0b2d4f6
Create Date: 2026-12-06 05:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d7f9b1c3e5a7"
down_revision = "c6e8a0b2d4f6"
branch_labels = None
depends_on = None

RESOLVED = "resolved_at IS NOT NULL"


def upgrade():
    op.create_index(
        "ix_ticket_resolved_at",
        "ticket",
        ["resolved_at"],
        postgresql_where=sa.text(RESOLVED),
        sqlite_where=sa.text(RESOLVED),
    )


def downgrade():
    op.drop_index("ix_ticket_resolved_at", table_name="ticket")
