"""notifications: the outbox table (e-mail and in-app rows) and per-event e-mail preferences

Revision ID: b0afa84d0d06
Revises: a5b7ca485167
Create Date: 2026-11-21 05:24:07.695628

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "b0afa84d0d06"
down_revision = "a5b7ca485167"
branch_labels = None
depends_on = None

EVENTS = (
    "submitted",
    "assigned",
    "transferred",
    "replied",
    "commented",
    "waiting",
    "resolved",
    "closed",
    "sla_warning",
    "sla_breached",
    "reminder",
)


def _event() -> sa.Enum:
    return sa.Enum(*EVENTS, name="notificationevent", native_enum=False, length=24)


def upgrade():
    op.create_table(
        "notification_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event", _event(), nullable=False),
        sa.Column("email_enabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_notification_preference_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "event", name=op.f("pk_notification_preference")),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", _event(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum("email", "inapp", name="channel", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sending",
                "sent",
                "failed",
                name="deliverystatus",
                native_enum=False,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["user.id"],
            name=op.f("fk_notification_recipient_id_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
            name=op.f("fk_notification_ticket_id_ticket"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notification_dedupe_key")),
    )
    open_rows = sa.text("status IN ('pending', 'sending', 'failed')")
    inapp_rows = sa.text("channel = 'inapp'")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        # Partial: sent e-mails (most rows) leave the sweep's index and never enter the bell's.
        batch_op.create_index(
            "ix_notification_inbox",
            ["recipient_id", "read_at"],
            unique=False,
            postgresql_where=inapp_rows,
            sqlite_where=inapp_rows,
        )
        batch_op.create_index(
            "ix_notification_status_due",
            ["status", "next_attempt_at"],
            unique=False,
            postgresql_where=open_rows,
            sqlite_where=open_rows,
        )
        batch_op.create_index(batch_op.f("ix_notification_ticket_id"), ["ticket_id"], unique=False)


def downgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_ticket_id"))
        batch_op.drop_index("ix_notification_status_due")
        batch_op.drop_index("ix_notification_inbox")
    op.drop_table("notification")
    op.drop_table("notification_preference")
