"""absences: the days a technician is away

One row per person (their next or current absence). Read by user id only: the primary key
serves every look-up ("who of these is away today").

Revision ID: a4c6e8f0b2d3
Revises: f3b5c7d9e1a2
Create Date: 2026-12-06 00:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a4c6e8f0b2d3"
down_revision = "f3b5c7d9e1a2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "absence",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_absence_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_absence_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_absence")),
    )


def downgrade():
    op.drop_table("absence")
