"""directory_sync.reason: why a sync failed, as a kind and its data

Revision ID: a3d5f7b9c2e4
Revises: e1b4c7a9d2f6
Create Date: 2026-12-07 11:10:00.000000

A failed run said "directory unreachable" whatever stopped it; a group of the role mapping
missing from the directory is another failure, which names the groups. Kept as a kind and its
data, rendered in the reader's language on the admin page. Earlier runs stay NULL (shown as
before). Nullable, no default: no table rewrite.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "a3d5f7b9c2e4"
down_revision = "e1b4c7a9d2f6"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table("directory_sync") as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("reason_data", JSON, nullable=True))


def downgrade():
    with op.batch_alter_table("directory_sync") as batch_op:
        batch_op.drop_column("reason_data")
        batch_op.drop_column("reason")
