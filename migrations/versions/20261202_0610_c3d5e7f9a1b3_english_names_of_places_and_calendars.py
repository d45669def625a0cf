"""site, building, floor and sla_calendar: an optional English name

Revision ID: c3d5e7f9a1b3
Revises: b2c4d6e8f0a1
Create Date: 2026-12-02 05:40:00

Places and calendars were named in French only, so English pages showed French. `name` stays
the French name (imports and the reference file match on it); `name_en` is optional, and a
row without one shows its French name, marked `lang="fr"` on English pages.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c3d5e7f9a1b3"
down_revision = "b2c4d6e8f0a1"
branch_labels = None
depends_on = None

TABLES = ("site", "building", "floor", "sla_calendar")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("name_en", sa.String(length=120), nullable=True))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("name_en")
