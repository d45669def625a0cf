"""status: known disruptions of a service, the people who follow them, the tickets they caused

Staff publish a disruption (an outage, a slowdown) so that people see it before they file a
request about it; those affected follow it and are e-mailed when it is over; tickets staff
link to it are resolved then. The partial index serves the banner of every catalogue page
(the current ones, a handful of rows).

Revision ID: d1f3a5c7e9b2
Revises: c9e1a3b5d7f9
Create Date: 2026-12-05 15:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d1f3a5c7e9b2"
down_revision = "c9e1a3b5d7f9"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "disruption",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title_fr", sa.String(length=120), nullable=False),
        sa.Column("title_en", sa.String(length=120), nullable=False),
        sa.Column("details_fr", sa.Text(), nullable=False),
        sa.Column("details_en", sa.Text(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["category.id"],
            name=op.f("fk_disruption_category_id_category"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_disruption_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"],
            ["user.id"],
            name=op.f("fk_disruption_ended_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disruption")),
    )
    op.create_index("ix_disruption_category_id", "disruption", ["category_id"])
    op.create_index("ix_disruption_ended", "disruption", ["ended_at"])
    op.create_index(
        "ix_disruption_current",
        "disruption",
        ["started_at"],
        postgresql_where=sa.text("ended_at IS NULL"),
        sqlite_where=sa.text("ended_at IS NULL"),
    )
    op.create_table(
        "disruption_follower",
        sa.Column("disruption_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["disruption_id"],
            ["disruption.id"],
            name=op.f("fk_disruption_follower_disruption_id_disruption"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_disruption_follower_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("disruption_id", "user_id", name=op.f("pk_disruption_follower")),
    )
    op.create_index("ix_disruption_follower_user_id", "disruption_follower", ["user_id"])
    op.create_table(
        "disruption_ticket",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("disruption_id", sa.Integer(), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
            name=op.f("fk_disruption_ticket_ticket_id_ticket"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["disruption_id"],
            ["disruption.id"],
            name=op.f("fk_disruption_ticket_disruption_id_disruption"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_by_id"],
            ["user.id"],
            name=op.f("fk_disruption_ticket_linked_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_disruption_ticket")),
    )
    op.create_index("ix_disruption_ticket_disruption_id", "disruption_ticket", ["disruption_id"])


def downgrade():
    op.drop_index("ix_disruption_ticket_disruption_id", table_name="disruption_ticket")
    op.drop_table("disruption_ticket")
    op.drop_index("ix_disruption_follower_user_id", table_name="disruption_follower")
    op.drop_table("disruption_follower")
    op.drop_index("ix_disruption_current", table_name="disruption")
    op.drop_index("ix_disruption_ended", table_name="disruption")
    op.drop_index("ix_disruption_category_id", table_name="disruption")
    op.drop_table("disruption")
