"""first response of tickets staff put on 'waiting on the requester' before 7056f51

Revision ID: e4a1b7c2d9f0
Revises: a7d3c9e5f1b2
Create Date: 2026-12-06 20:00:00.000000

Since 7056f51, staff moving a ticket to 'waiting on the requester' records its first response
(asking the requester something is an answer). Tickets moved there before that change still
have no first response: once the requester writes back, their first answer's deadline, long
past, would be breached by the requester's own delay (a breach e-mail, an escalation, a red
counter). This sets it from the history, as the code now would have: the time of the first
move to waiting (only staff may make it, tickets/workflow.py), and whether it kept the due
date, unless the sweep already decided that (a crossed threshold is final). Only rows with no
first response are touched; the downgrade leaves them (the older code reads them as it reads
any answered ticket).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e4a1b7c2d9f0"
down_revision = "a7d3c9e5f1b2"
branch_labels = None
depends_on = None


def upgrade():
    # UPDATE … FROM: PostgreSQL's, and SQLite's since 3.33. Both store the column's UTC values
    # in one format that orders as time does, and read TRUE/FALSE.
    op.execute(
        sa.text(
            """
            UPDATE ticket SET
                first_responded_at = w.asked,
                first_response_met = CASE
                    WHEN ticket.first_response_met IS NOT NULL THEN ticket.first_response_met
                    WHEN ticket.first_response_due_at IS NULL THEN NULL
                    WHEN w.asked <= ticket.first_response_due_at THEN TRUE
                    ELSE FALSE
                END
            FROM (
                SELECT ticket_id, min(created_at) AS asked FROM ticket_event
                WHERE kind = 'change' AND field = 'status'
                  AND new_value = 'waiting_on_requester'
                GROUP BY ticket_id
            ) AS w
            WHERE ticket.id = w.ticket_id AND ticket.first_responded_at IS NULL
            """
        )
    )


def downgrade():
    pass  # the first responses set stay true: the older code reads them like any other
