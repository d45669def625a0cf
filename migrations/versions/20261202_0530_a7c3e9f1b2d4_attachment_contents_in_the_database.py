"""attachment contents in the database: every web host serves them, a rollback removes them

Revision ID: a7c3e9f1b2d4
Revises: 1a819c4904a0
Create Date: 2026-12-02 05:30:00.000000

Files written under DESK_UPLOAD_DIR by earlier versions are read into the new table (a file
already missing stays missing: its download answers 404, as before); the disk copies are left
in place for the operator to delete once the upgrade is checked. The downgrade writes the
contents back to files under new random names.
"""

import secrets
from pathlib import Path

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7c3e9f1b2d4"
down_revision = "1a819c4904a0"
branch_labels = None
depends_on = None


def _upload_dir() -> Path:
    from flask import current_app

    return Path(current_app.config["UPLOAD_DIR"])


def upgrade():
    op.create_table(
        "attachment_content",
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachment.id"],
            name=op.f("fk_attachment_content_attachment_id_attachment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attachment_id", name=op.f("pk_attachment_content")),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, storage_key FROM attachment")).all()
    if rows:
        root = _upload_dir()
        insert = sa.text("INSERT INTO attachment_content (attachment_id, data) VALUES (:i, :d)")
        for attachment_id, key in rows:
            path = root / key[:2] / key
            if path.is_file():
                connection.execute(insert, {"i": attachment_id, "d": path.read_bytes()})
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_attachment_storage_key"), type_="unique")
        batch_op.drop_column("storage_key")


def downgrade():
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("storage_key", sa.String(length=80), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT a.id, c.data FROM attachment a "
            "LEFT JOIN attachment_content c ON c.attachment_id = a.id"
        )
    ).all()
    root = _upload_dir() if rows else None
    for attachment_id, data in rows:
        key = secrets.token_hex(20)
        if data is not None:
            path = root / key[:2] / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        connection.execute(
            sa.text("UPDATE attachment SET storage_key = :k WHERE id = :i"),
            {"k": key, "i": attachment_id},
        )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.alter_column("storage_key", existing_type=sa.String(length=80), nullable=False)
        batch_op.create_unique_constraint(op.f("uq_attachment_storage_key"), ["storage_key"])
    op.drop_table("attachment_content")
