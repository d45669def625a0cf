"""reports: a BRIN index on the tickets' creation date

The SLA and satisfaction reports count the tickets created in a period; an admin's report has
no queue to narrow it and read the whole history (about 0.3 s at 1,000,000 tickets,
bench/reports.py). Tickets are written in creation order, so a BRIN index (a summary per range
of 32 pages) finds the period's pages for next to no cost per insert. minmax-multi ops keep a
range narrow when an old ticket, updated, moves to a recent page; autosummarize summarises a
range once it is full instead of at the next vacuum. SQLite: an index that is never used.

Revision ID: b8d0f2a4c6e8
Revises: a7b9c1d3e5f7
Create Date: 2026-12-03 13:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b8d0f2a4c6e8"
down_revision = "a7b9c1d3e5f7"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index(
            "brin_ticket_created_at",
            ["created_at"],
            unique=False,
            postgresql_using="brin",
            postgresql_ops={"created_at": "timestamptz_minmax_multi_ops"},
            postgresql_with={"pages_per_range": 32, "autosummarize": "on"},
            sqlite_where=sa.text("0 = 1"),
        )


def downgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index("brin_ticket_created_at")
