"""ticket.filed_by_mail: the e-mail that filed a ticket, which its later e-mails answer

Revision ID: c4e6a8b0d2f1
Revises: 0d07b1f0d065
Create Date: 2026-12-07 14:10:00.000000

A ticket filed by e-mail kept the sender's Message-ID for its acknowledgement alone; its
later e-mails referred to the ticket's root only, which no mailbox holds, so Gmail and
Outlook showed them outside the thread of the message the person sent. Its Message-ID and
References are kept from now on. Earlier tickets stay NULL (their e-mails as before).
Nullable, no default: no table rewrite.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "c4e6a8b0d2f1"
down_revision = "0d07b1f0d065"
branch_labels = None
depends_on = None


def upgrade():
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.add_column(sa.Column("filed_by_mail", json, nullable=True))


def downgrade():
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.drop_column("filed_by_mail")
