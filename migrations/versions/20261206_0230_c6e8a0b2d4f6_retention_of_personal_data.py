"""retention of personal data: when a ticket was erased, when an account ended and was erased

The retention sweep (desk.privacy) reads the finished tickets not yet erased by their last
change, the deactivated accounts not yet anonymised by the day they ended, and the messages
about no ticket by age (three partial indexes: what was erased leaves the first two).
Accounts already inactive get today as their day: their period starts now rather than at an
unknown date.

Revision ID: c6e8a0b2d4f6
Revises: b5d7f9a1c3e4
Create Date: 2026-12-06 02:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c6e8a0b2d4f6"
down_revision = "b5d7f9a1c3e4"
branch_labels = None
depends_on = None

ERASABLE = "erased_at IS NULL AND status IN ('cancelled', 'closed', 'resolved')"
ENDED = "is_active = false AND erased_at IS NULL"


def upgrade():
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_ticket_erasable",
        "ticket",
        ["updated_at"],
        postgresql_where=sa.text(ERASABLE),
        sqlite_where=sa.text(ERASABLE),
    )
    with op.batch_alter_table("user") as batch_op:
        batch_op.add_column(sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_user_ended",
        "user",
        ["deactivated_at"],
        postgresql_where=sa.text(ENDED),
        sqlite_where=sa.text(ENDED),
    )
    op.create_index(
        "ix_notification_untied",
        "notification",
        ["created_at"],
        postgresql_where=sa.text("ticket_id IS NULL"),
        sqlite_where=sa.text("ticket_id IS NULL"),
    )
    op.execute(
        sa.text(
            'UPDATE "user" SET deactivated_at = CURRENT_TIMESTAMP WHERE is_active = :no'
        ).bindparams(no=False)
    )


def downgrade():
    op.drop_index("ix_notification_untied", table_name="notification")
    op.drop_index("ix_user_ended", table_name="user")
    with op.batch_alter_table("user") as batch_op:
        batch_op.drop_column("erased_at")
        batch_op.drop_column("deactivated_at")
    op.drop_index("ix_ticket_erasable", table_name="ticket")
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.drop_column("erased_at")
