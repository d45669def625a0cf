"""notification_preference: drop the new-ticket switches the preferences page wrote off

Revision ID: d7e3a9c1f5b8
Revises: c45a90557e16
Create Date: 2026-12-07 01:50:00.000000

Until 0f92c43 saving the e-mail preferences page stored every event it did not show as
switched off, new tickets among them: no page ever offered that switch (the radio "each
ticket / digest / nothing" stands for it), so every such row is the bug's, and a technician
who chose "each ticket" and saved the page once got no new-ticket e-mail since. Those rows go:
no row means yes. The downgrade has nothing to put back (no one chose them).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d7e3a9c1f5b8"
down_revision = "c45a90557e16"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        sa.text(
            "DELETE FROM notification_preference "
            "WHERE event = 'new_ticket' AND email_enabled = FALSE"
        )
    )


def downgrade():
    pass
