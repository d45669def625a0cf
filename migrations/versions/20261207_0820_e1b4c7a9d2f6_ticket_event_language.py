"""ticket_event.language: the language a message was written in

Revision ID: e1b4c7a9d2f6
Revises: f2b9d4e6a8c1
Create Date: 2026-12-07 08:00:00.000000

Replies, notes and requesters' messages are shown on pages and in mails of both languages;
a screen reader reads them right only if their language is marked (RGAA 8.7). Kept from now
on: the page's for words typed on a page, a mail's Content-Language for words sent by e-mail.
Earlier messages stay NULL (unknown), shown as before. Nullable, no default: no table rewrite.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e1b4c7a9d2f6"
down_revision = "f2b9d4e6a8c1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ticket_event") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table("ticket_event") as batch_op:
        batch_op.drop_column("language")
