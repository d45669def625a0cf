"""sla_policy: when each target was added (first response, resolution)

A target added to a policy counts, for the open tickets already filed, from when it came
(f2b9d4e6a8c1). That moment was read from the policy's `updated_at` by the recompute task: a
worker down when the target was added ran it later, after another save of the policy (its
warning threshold, its calendar), and counted from that save. The moment is now kept on the
policy, written in the transaction that adds the target: `first_response_added_at` and
`resolution_added_at` (None: the policy has no such target).

Upgrade: a policy's targets were added at its `updated_at` at the latest (the best known).
Downgrade: the columns go (the recompute reads `updated_at` again).

Revision ID: b6c8e2f4a1d3
Revises: a3d5f7b9c2e4
Create Date: 2026-12-07 11:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b6c8e2f4a1d3"
down_revision = "a3d5f7b9c2e4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sla_policy", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("first_response_added_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("resolution_added_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE sla_policy SET"
        " first_response_added_at = CASE WHEN first_response_minutes IS NOT NULL"
        " AND first_response_minutes > 0 THEN updated_at END,"
        " resolution_added_at = CASE WHEN resolution_minutes IS NOT NULL"
        " AND resolution_minutes > 0 THEN updated_at END"
    )


def downgrade():
    with op.batch_alter_table("sla_policy", schema=None) as batch_op:
        batch_op.drop_column("resolution_added_at")
        batch_op.drop_column("first_response_added_at")
