"""cas_handoff: a CAS login held until its person confirms it, droppable by single logout

Revision ID: 5c9cb7848517
Revises: f310e1dd46c7
Create Date: 2026-12-06 15:00:00.000000

A return to /cas/callback without the browser's nonce is validated but held for 5 minutes behind
the confirmation page. What the validation returned (the principal and the released attributes)
waits here, by service ticket, instead of in the cookie: the account is made or refreshed only
once the person confirms, and a CAS single logout of that ticket (server to server, without the
browser's cookie) drops it. Rows live minutes; nothing to carry over.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "5c9cb7848517"
down_revision = "f310e1dd46c7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cas_handoff",
        sa.Column("ticket", sa.String(length=256), nullable=False),
        sa.Column("principal", sa.Text(), nullable=False),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ticket", name=op.f("pk_cas_handoff")),
    )
    with op.batch_alter_table("cas_handoff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cas_handoff_created_at"), ["created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("cas_handoff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cas_handoff_created_at"))
    op.drop_table("cas_handoff")
