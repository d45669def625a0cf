"""resilience: periodic_run (database-driven periodic jobs) and notification.data_at

Revision ID: d7e2a4b1c9f3
Revises: 7e3f1c9a2b54
Create Date: 2026-12-02 01:30:00.000000

`periodic_run` holds when each periodic job last started, so that runs beat could not publish
during a Redis outage happen at the first tick after it. `notification.data_at` records that a
delivery attempt had sent the whole message but its final dot: a worker lost after that leaves
the row uncertain (not resent) instead of duplicating it.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d7e2a4b1c9f3"
down_revision = "7e3f1c9a2b54"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "periodic_run",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_periodic_run")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("data_at")
    op.drop_table("periodic_run")
