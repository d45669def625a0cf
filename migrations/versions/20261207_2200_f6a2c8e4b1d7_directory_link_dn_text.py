"""directory_link.dn: a DN of any length

Revision ID: f6a2c8e4b1d7
Revises: c4e6a8b0d2f1
Create Date: 2026-12-07 22:00:00.000000

LDAP puts no limit on a DN (RFC 4514): an entry three branches deep under long branch names
passes 512 characters in OpenLDAP, and VARCHAR(512) made its first sign-in a 500 and every
night's directory sync fail on PostgreSQL. TEXT, as the other free-length fields; on
PostgreSQL a VARCHAR to TEXT change rewrites nothing. The downgrade cuts longer DNs to 512
characters (they could not be stored before).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f6a2c8e4b1d7"
down_revision = "c4e6a8b0d2f1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("directory_link") as batch_op:
        batch_op.alter_column(
            "dn", existing_type=sa.String(length=512), type_=sa.Text(), existing_nullable=False
        )


def downgrade():
    with op.batch_alter_table("directory_link") as batch_op:
        batch_op.alter_column(
            "dn",
            existing_type=sa.Text(),
            type_=sa.String(length=512),
            existing_nullable=False,
            postgresql_using="left(dn, 512)",
        )
