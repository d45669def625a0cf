"""tickets: people in copy of a ticket

A requester or the ticket's staff put someone in copy: they see the ticket (never its
internal notes), write to it and hear of its replies and its end. The index on the user
serves every visibility check ("the tickets I am in copy of").

Revision ID: f3b5c7d9e1a2
Revises: e2a4b6c8d0f1
Create Date: 2026-12-05 19:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f3b5c7d9e1a2"
down_revision = "e2a4b6c8d0f1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ticket_watcher",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["user.id"],
            name=op.f("fk_ticket_watcher_added_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
            name=op.f("fk_ticket_watcher_ticket_id_ticket"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_ticket_watcher_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", "user_id", name=op.f("pk_ticket_watcher")),
    )
    op.create_index(op.f("ix_ticket_watcher_user_id"), "ticket_watcher", ["user_id"])


def downgrade():
    op.drop_index(op.f("ix_ticket_watcher_user_id"), table_name="ticket_watcher")
    op.drop_table("ticket_watcher")
