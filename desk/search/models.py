"""The search documents of tickets, and the indexes that only PostgreSQL can use.

A ticket's searchable text lives in its own row rather than on `ticket`, so re-indexing after a
reply never touches the ticket row (whose version guards against lost updates) and the queue
lists keep reading narrow rows. On PostgreSQL the columns are tsvectors built with the
`french_unaccent` configuration; on SQLite they hold the same text folded (lower case, no
accents) for a LIKE search. The GIN and trigram indexes are PostgreSQL's; SQLite gets empty
partial indexes of the same names so that models and migrations stay one description.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Text, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from desk.auth.models import User
from desk.extensions import db
from desk.tickets.models import Ticket

DOCUMENT = Text().with_variant(TSVECTOR(), "postgresql")
_NEVER = text("0 = 1")


class TicketSearch(db.Model):
    """What a ticket can be found by: `document` for staff, `public_document` for requesters."""

    __tablename__ = "ticket_search"
    __table_args__ = (
        Index("ix_ticket_search_document", "document", postgresql_using="gin", sqlite_where=_NEVER),
    )

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("ticket.id", ondelete="CASCADE"), primary_key=True
    )
    # Everything, internal notes included: only ever matched for staff of the ticket's queue.
    document: Mapped[str] = mapped_column(DOCUMENT)
    # What the requester may read (no internal note, no internal file name).
    public_document: Mapped[str] = mapped_column(DOCUMENT)


def _trigram(name: str, column) -> Index:
    return Index(
        name,
        column,
        postgresql_using="gin",
        postgresql_ops={column.key: "gin_trgm_ops"},
        sqlite_where=_NEVER,
    )


# Partial matches (a piece of a reference, of a name or an e-mail address) use these.
_trigram("ix_ticket_reference_trgm", Ticket.__table__.c.reference)
_trigram("ix_user_display_name_trgm", User.__table__.c.display_name)
_trigram("ix_user_email_trgm", User.__table__.c.email)
