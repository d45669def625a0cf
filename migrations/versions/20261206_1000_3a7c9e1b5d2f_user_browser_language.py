"""user: the language their browser last asked for

Revision ID: 3a7c9e1b5d2f
Revises: 2f0959b66040
Create Date: 2026-12-06 10:00:00

Someone who never chose a language read pages in their browser's, but every e-mail about no
request of theirs (digests, SLA warnings, reminders, notices) went out in French, the
default: nothing said which language they read. `browser_locale` is the language their
browser negotiated, noted at sign-in and whenever it changes; NULL until then.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3a7c9e1b5d2f"
down_revision = "2f0959b66040"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user") as batch_op:
        batch_op.add_column(sa.Column("browser_locale", sa.String(length=5), nullable=True))


def downgrade():
    with op.batch_alter_table("user") as batch_op:
        batch_op.drop_column("browser_locale")
