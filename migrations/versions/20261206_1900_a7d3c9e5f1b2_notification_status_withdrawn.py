"""notification.status 'withdrawn': a held new-ticket e-mail that was no longer news at its time

Revision ID: a7d3c9e5f1b2
Revises: cc164ddec7bb
Create Date: 2026-12-06 19:00:00.000000

A new-ticket e-mail to staff written outside the queue's business hours waits for them; when a
colleague took the ticket or finished it meanwhile, the delivery no longer sends it and files
the row as 'withdrawn' (desk.notifications.delivery.stale_reason), with the reason in
last_error. The column is a VARCHAR(10) without a CHECK (a non-native enum), so the new value
needs no DDL: the upgrade changes nothing. The downgrade files those rows as 'failed' (a status
the older code knows, and counts as done for the retention sweep); their last_error still says
why they were not sent, so nobody retries them by mistake.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7d3c9e5f1b2"
down_revision = "cc164ddec7bb"
branch_labels = None
depends_on = None


def upgrade():
    pass  # a new value of a VARCHAR(10) without a CHECK: nothing to change


def downgrade():
    op.execute(sa.text("UPDATE notification SET status = 'failed' WHERE status = 'withdrawn'"))
