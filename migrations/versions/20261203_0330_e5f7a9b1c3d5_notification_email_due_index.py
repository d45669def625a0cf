"""outbox: an index in the drain's order over the due e-mails

The drain takes the oldest pending e-mails (ORDER BY next_attempt_at, id LIMIT n). Through
ix_notification_status_due PostgreSQL ran a bitmap scan, which visits every index entry of
rows claimed or sent since the last vacuum (an UPDATE of `status` leaves the old entry
behind) and never marks them dead: thousands of heap pages per claim under load. An index
scan over this one stops at the LIMIT and marks those entries dead as it passes them.

Revision ID: e5f7a9b1c3d5
Revises: d4e6f8a0b2c4
Create Date: 2026-12-03 03:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e5f7a9b1c3d5"
down_revision = "d4e6f8a0b2c4"
branch_labels = None
depends_on = None

# Must match desk.notifications.models._EMAIL_DUE.
EMAIL_DUE = "status = 'pending' AND channel = 'email'"


def upgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_email_due",
            ["next_attempt_at", "id"],
            unique=False,
            postgresql_where=sa.text(EMAIL_DUE),
            sqlite_where=sa.text(EMAIL_DUE),
        )


def downgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_email_due")
