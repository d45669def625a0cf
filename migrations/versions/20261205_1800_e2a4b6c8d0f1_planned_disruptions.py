"""status: planned work — an expected end, and planned work called off

A disruption whose start is later than its publication is planned work, announced ahead; it
becomes current at its start by the clock (the existing partial index on the start of the
disruptions not over serves both lists). `expected_end_at` is the end staff announce;
`cancelled` marks planned work ended before it started.

Revision ID: e2a4b6c8d0f1
Revises: d1f3a5c7e9b2
Create Date: 2026-12-05 18:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e2a4b6c8d0f1"
down_revision = "d1f3a5c7e9b2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("disruption") as batch_op:
        batch_op.add_column(sa.Column("expected_end_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("cancelled", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("disruption") as batch_op:
        batch_op.drop_column("cancelled")
        batch_op.drop_column("expected_end_at")
