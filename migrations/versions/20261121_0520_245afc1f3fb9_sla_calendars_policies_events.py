"""SLA calendars, policies per request type, the once-only event ledger and sweep indexes

Revision ID: 245afc1f3fb9
Revises: 5c1a7e2b9d41
Create Date: 2026-11-21 05:20:24.732419

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "245afc1f3fb9"
down_revision = "5c1a7e2b9d41"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
SWEEP_COLUMNS = (
    "first_response_due_at",
    "first_response_warn_at",
    "resolution_due_at",
    "resolution_warn_at",
)


def upgrade():
    op.create_table(
        "sla_calendar",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("weekly_hours", JSON, nullable=False),
        sa.Column("holidays", JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_calendar")),
        sa.UniqueConstraint("name", name=op.f("uq_sla_calendar_name")),
    )
    op.create_table(
        "sla_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_type_id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("first_response_minutes", sa.Integer(), nullable=True),
        sa.Column("resolution_minutes", sa.Integer(), nullable=True),
        sa.Column("warning_percent", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["sla_calendar.id"],
            name=op.f("fk_sla_policy_calendar_id_sla_calendar"),
        ),
        sa.ForeignKeyConstraint(
            ["request_type_id"],
            ["request_type.id"],
            name=op.f("fk_sla_policy_request_type_id_request_type"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policy")),
        sa.UniqueConstraint("request_type_id", name=op.f("uq_sla_policy_request_type_id")),
    )
    with op.batch_alter_table("sla_policy", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sla_policy_calendar_id"), ["calendar_id"], unique=False
        )

    op.create_table(
        "sla_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
            name=op.f("fk_sla_event_ticket_id_ticket"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_event")),
        # The exactly-once gate of the sweep (INSERT ... ON CONFLICT DO NOTHING).
        sa.UniqueConstraint("ticket_id", "kind", "due_at", name=op.f("uq_sla_event_ticket_id")),
    )
    with op.batch_alter_table("queue", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_queue_calendar_id_sla_calendar"),
            "sla_calendar",
            ["calendar_id"],
            ["id"],
            ondelete="SET NULL",
        )

    # The sweep selects `column <= now` on each threshold: a range scan, not a table scan.
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        for column in SWEEP_COLUMNS:
            batch_op.create_index(f"ix_ticket_{column}", [column], unique=False)


def downgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        for column in SWEEP_COLUMNS:
            batch_op.drop_index(f"ix_ticket_{column}")

    with op.batch_alter_table("queue", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_queue_calendar_id_sla_calendar"), type_="foreignkey"
        )
        batch_op.drop_column("calendar_id")

    op.drop_table("sla_event")
    with op.batch_alter_table("sla_policy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sla_policy_calendar_id"))

    op.drop_table("sla_policy")
    op.drop_table("sla_calendar")
