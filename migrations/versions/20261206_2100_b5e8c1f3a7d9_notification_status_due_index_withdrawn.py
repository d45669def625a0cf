"""outbox: the index of unsent rows covers 'withdrawn' too, for the outbox gauge's count

/metrics counts the notification rows not sent, by status (desk_outbox_rows), at every
scrape; 'withdrawn' (a held new-ticket e-mail no longer news at its time, a7d3c9e5f1b2) was
left out. Counted outside this partial index, it would read the whole table each time (sent
rows grow for ever). Withdrawn rows are few and, like failed ones, never sent: they join it.
Same columns; only the predicate changes. The downgrade brings the former one back.

Revision ID: b5e8c1f3a7d9
Revises: e4a1b7c2d9f0
Create Date: 2026-12-06 21:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b5e8c1f3a7d9"
down_revision = "e4a1b7c2d9f0"
branch_labels = None
depends_on = None

# Must match desk.notifications.models._UNSENT_STATUSES.
UNSENT = "status IN ('pending', 'sending', 'failed', 'withdrawn')"
FORMER = "status IN ('pending', 'sending', 'failed')"


def _index(predicate: str) -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_status_due")
        batch_op.create_index(
            "ix_notification_status_due",
            ["status", "next_attempt_at"],
            unique=False,
            postgresql_where=sa.text(predicate),
            sqlite_where=sa.text(predicate),
        )


def upgrade():
    _index(UNSENT)


def downgrade():
    _index(FORMER)
