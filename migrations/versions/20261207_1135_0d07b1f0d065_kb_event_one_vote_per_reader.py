"""kb_event.voter, voted_on: one "this solved my problem" per reader, article and day

Revision ID: 0d07b1f0d065
Revises: b6c8e2f4a1d3
Create Date: 2026-12-07 11:35:00.000000

The report counts each "solved" as a request avoided. It was counted once per article and
session by a list kept in the session cookie, which two requests sent at once (a double click
without JavaScript) both read empty, and which a new session (another device, signing in
again) did not have. The database now holds the rule: deflections name their voter (the
person, or the visit of someone not signed in) and the day, unique with the article. Earlier
deflections stay NULL (never collide); other events leave both NULL. Nullable: no rewrite.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0d07b1f0d065"
down_revision = "b6c8e2f4a1d3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("kb_event") as batch_op:
        batch_op.add_column(sa.Column("voter", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("voted_on", sa.Date(), nullable=True))
        batch_op.create_unique_constraint("uq_kb_event_vote", ["article_id", "voter", "voted_on"])


def downgrade():
    with op.batch_alter_table("kb_event") as batch_op:
        batch_op.drop_constraint("uq_kb_event_vote", type_="unique")
        batch_op.drop_column("voted_on")
        batch_op.drop_column("voter")
