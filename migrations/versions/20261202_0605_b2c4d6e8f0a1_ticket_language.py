"""ticket.language: the language the requester wrote the ticket in

Revision ID: b2c4d6e8f0a1
Revises: a1f3c5e7b9d2
Create Date: 2026-12-02 05:10:00

What a requester types (the identifying part of the subject, the form's text) is in the
language of the page they sent it from. Pages in the other language mark it with `lang`
(RGAA 8.7). Older tickets stay NULL: their language is not known, and guessing it from the
requester's current preference could be wrong, so they are shown unmarked as before.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b2c4d6e8f0a1"
down_revision = "a1f3c5e7b9d2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.drop_column("language")
