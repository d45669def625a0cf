"""identity: directory links, CAS sessions, sync runs, conflicts, mapping; break-glass flag

Revision ID: ea8b13c0af28
Revises: c3d4e5f6a701
Create Date: 2026-12-02 00:32:21.196324

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "ea8b13c0af28"
down_revision = "c3d4e5f6a701"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "directory_affiliation",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("is_staff", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_directory_affiliation")),
    )
    op.create_table(
        "directory_attribute",
        sa.Column("field", sa.String(length=30), nullable=False),
        sa.Column(
            "names",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("field", name=op.f("pk_directory_attribute")),
    )
    op.create_table(
        "directory_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cn", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_group")),
        sa.UniqueConstraint("cn", name=op.f("uq_directory_group_cn")),
    )
    op.create_table(
        "directory_group_queue",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("is_lead", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["directory_group.id"],
            name=op.f("fk_directory_group_queue_group_id_directory_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"],
            ["queue.id"],
            name=op.f("fk_directory_group_queue_queue_id_queue"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "queue_id", name=op.f("pk_directory_group_queue")),
    )
    with op.batch_alter_table("directory_group_queue", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_directory_group_queue_queue_id"), ["queue_id"], unique=False
        )

    op.create_table(
        "cas_session",
        sa.Column("ticket", sa.String(length=256), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_cas_session_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ticket", name=op.f("pk_cas_session")),
    )
    with op.batch_alter_table("cas_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cas_session_user_id"), ["user_id"], unique=False)

    op.create_table(
        "directory_conflict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=30), nullable=False),
        sa.Column("local_value", sa.String(length=500), nullable=False),
        sa.Column("directory_value", sa.String(length=500), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_directory_conflict_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_conflict")),
    )
    with op.batch_alter_table("directory_conflict", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_directory_conflict_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "directory_link",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=128), nullable=False),
        sa.Column("dn", sa.String(length=512), nullable=False),
        sa.Column("entity", sa.String(length=128), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "applied",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_gone", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_directory_link_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_directory_link")),
        sa.UniqueConstraint("login", name=op.f("uq_directory_link_login")),
    )
    with op.batch_alter_table("directory_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_directory_link_last_synced_at"), ["last_synced_at"], unique=False
        )

    op.create_table(
        "directory_sync",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column(
            "counts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user.id"],
            name=op.f("fk_directory_sync_actor_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_sync")),
    )
    with op.batch_alter_table("directory_sync", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_directory_sync_started_at"), ["started_at"], unique=False
        )

    with op.batch_alter_table("user", schema=None) as batch_op:
        # Existing accounts are not break-glass until an admin says so.
        batch_op.add_column(
            sa.Column("is_break_glass", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("is_break_glass")

    with op.batch_alter_table("directory_sync", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_sync_started_at"))

    op.drop_table("directory_sync")
    with op.batch_alter_table("directory_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_link_last_synced_at"))

    op.drop_table("directory_link")
    with op.batch_alter_table("directory_conflict", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_conflict_user_id"))

    op.drop_table("directory_conflict")
    with op.batch_alter_table("cas_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cas_session_user_id"))

    op.drop_table("cas_session")
    with op.batch_alter_table("directory_group_queue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_group_queue_queue_id"))

    op.drop_table("directory_group_queue")
    op.drop_table("directory_group")
    op.drop_table("directory_attribute")
    op.drop_table("directory_affiliation")
