"""inbound: reason parameters, admin retries, and an e-mail address per queue

Revision ID: b5c1d2e3f4a6
Revises: a7c3e9f1b2d4
Create Date: 2026-12-02 05:40:00

`inbound_message.data` holds the parameters of the hold/failure reason (rendered in the
admin's language when shown); `retried_at` records an admin's retry. `queue.inbound_address`
is where people write to open a ticket in that queue by e-mail (unique: one queue per address).
Existing rows get an empty `data` ({}), which every reason renders without.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "b5c1d2e3f4a6"
down_revision = "a7c3e9f1b2d4"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data", JSON, nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("retried_at", sa.DateTime(timezone=True), nullable=True))
    # The default only fills existing rows; the model always writes a value.
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.alter_column("data", server_default=None)
    with op.batch_alter_table("queue", schema=None) as batch_op:
        batch_op.add_column(sa.Column("inbound_address", sa.String(length=320), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_queue_inbound_address"), ["inbound_address"]
        )


def downgrade():
    with op.batch_alter_table("queue", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_queue_inbound_address"), type_="unique")
        batch_op.drop_column("inbound_address")
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.drop_column("retried_at")
        batch_op.drop_column("data")
