"""directory_link.entry_id: the directory entry's lasting id, so a renamed entry stays its account

Revision ID: cc164ddec7bb
Revises: b8e2d4f6a1c3
Create Date: 2026-12-06 18:00:00.000000

A link was keyed on the login and the DN only: when the university renames someone's uid (and
with it the DN, uid=...,ou=people,...), the sync took the person for gone and deactivated the
account, and their next sign-in found no link. The entry's id (DESK_LDAP_ENTRY_ID_ATTRIBUTE,
OpenLDAP's entryUUID) survives a rename. Nullable: existing links get theirs at their next sync
or sign-in, from the directory (nothing to compute here); unique, since one entry is one
account. The downgrade drops it (the links keep their login and DN).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "cc164ddec7bb"
down_revision = "b8e2d4f6a1c3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("directory_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entry_id", sa.String(length=128), nullable=True))
        batch_op.create_index(batch_op.f("ix_directory_link_entry_id"), ["entry_id"], unique=True)


def downgrade():
    with op.batch_alter_table("directory_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_link_entry_id"))
        batch_op.drop_column("entry_id")
