"""Keeping the search documents up to date, in the same transaction as the change.

Every flush notes the tickets whose searchable text may have changed (a new or changed ticket,
a new message or file, a renamed requester); just before the commit their documents are
rebuilt from the database in a few set-based queries. So a reply, a note, a transfer reason or
a requester's comment is searchable as soon as it is saved, whichever service wrote it, and a
rolled-back change leaves no trace. Like the outbox, the hooks listen on every Session.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, inspect, select, text
from sqlalchemy.orm import Session, SessionTransaction

from desk.auth.models import User
from desk.catalog.models import RequestType
from desk.tickets.models import Attachment, Ticket, TicketEvent

_DIRTY = "desk.search.dirty"
MAX_FORM = 100_000  # characters of form data indexed (a guest list can be long)
MAX_MESSAGES = 200_000  # characters of messages indexed (tsvectors are limited to 1 MB)
CONFIG = "french_unaccent"

# A before B before C before D: ts_rank weighs A matches most. `:messages` is every body
# (staff) or only the public ones (requester). Same shape as the migration's backfill.
_VECTOR = (
    "setweight(to_tsvector('french_unaccent', :head), 'A')"
    " || setweight(to_tsvector('french_unaccent', :people), 'B')"
    " || setweight(to_tsvector('french_unaccent', :form), 'C')"
    " || setweight(to_tsvector('french_unaccent', {messages}), 'D')"
)
# Built from the constants above only; every value is a bound parameter.
_UPSERT_PG_SQL = (
    "INSERT INTO ticket_search (ticket_id, document, public_document) VALUES (:ticket_id, "  # noqa: S608
    + _VECTOR.format(messages=":messages")
    + ", "
    + _VECTOR.format(messages=":public_messages")
    + ") ON CONFLICT (ticket_id) DO UPDATE SET document = excluded.document,"
    " public_document = excluded.public_document"
)
_UPSERT_PG = text(_UPSERT_PG_SQL)
_UPSERT_SQLITE = text(
    "INSERT INTO ticket_search (ticket_id, document, public_document) "
    "VALUES (:ticket_id, :document, :public_document) ON CONFLICT (ticket_id) DO UPDATE SET "
    "document = excluded.document, public_document = excluded.public_document"
)


def fold(value: str) -> str:
    """Lower case without accents ("Équipe" -> "equipe"): SQLite's stand-in for unaccent."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def form_text(data: Any) -> str:
    """The values of a ticket's form data as one text (keys are field names, not content)."""
    parts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
        elif value is not None and not isinstance(value, bool):
            parts.append(str(value))

    walk(data)
    return " ".join(parts)[:MAX_FORM]


def mark_for_reindex(session: Session, ticket_ids: Iterable[int]) -> None:
    """Rebuild these tickets' documents before the session commits."""
    session.info.setdefault(_DIRTY, set()).update(i for i in ticket_ids if i is not None)


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    ids: set[int] = set()
    renamed: list[int] = []
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Ticket):
            ids.add(obj.id)
        elif isinstance(obj, TicketEvent | Attachment):
            ids.add(obj.ticket_id if obj.ticket_id is not None else obj.ticket.id)
        elif isinstance(obj, User) and _renamed(obj):
            renamed.append(obj.id)
    if renamed:
        owned = select(Ticket.id).where(Ticket.requester_id.in_(renamed))
        ids.update(session.connection().scalars(owned))
    if ids:
        mark_for_reindex(session, ids)


def _renamed(user: User) -> bool:
    attrs = inspect(user).attrs
    return attrs.display_name.history.has_changes() or attrs.email.history.has_changes()


@event.listens_for(Session, "before_commit")
def _reindex_before_commit(session: Session) -> None:
    # The commit's own flush comes after this hook: flush now so its changes are noted too.
    session.flush()
    ids = session.info.pop(_DIRTY, set())
    if ids:
        reindex(session, sorted(ids))


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_DIRTY, None)


def reindex(session: Session, ticket_ids: list[int]) -> None:
    """Rebuild the search documents of these tickets from what the database holds now."""
    connection = session.connection()
    for start in range(0, len(ticket_ids), 500):
        rows = _documents(connection, ticket_ids[start : start + 500])
        if not rows:
            continue
        if connection.dialect.name == "postgresql":
            connection.execute(_UPSERT_PG, rows)
        else:
            connection.execute(
                _UPSERT_SQLITE,
                [
                    {
                        "ticket_id": r["ticket_id"],
                        "document": fold(" ".join((*_parts(r), r["messages"]))),
                        "public_document": fold(" ".join((*_parts(r), r["public_messages"]))),
                    }
                    for r in rows
                ],
            )


def _parts(row: dict[str, Any]) -> tuple[str, str, str]:
    return row["head"], row["people"], row["form"]


def _documents(connection, ids: list[int]) -> list[dict[str, Any]]:
    """The texts of each ticket, by weight, in three queries for the whole batch."""
    tickets = connection.execute(
        select(
            Ticket.id,
            Ticket.reference,
            Ticket.subject,
            Ticket.data,
            RequestType.title_fr,
            RequestType.title_en,
            User.display_name,
            User.email,
        )
        .join(User, User.id == Ticket.requester_id)
        .join(RequestType, RequestType.id == Ticket.request_type_id)
        .where(Ticket.id.in_(ids))
    ).all()
    messages: dict[int, list[str]] = defaultdict(list)
    public: dict[int, list[str]] = defaultdict(list)
    bodies = connection.execute(
        select(TicketEvent.ticket_id, TicketEvent.body, TicketEvent.is_internal)
        .where(TicketEvent.ticket_id.in_(ids), TicketEvent.body != "")
        .order_by(TicketEvent.id)
    )
    files = connection.execute(
        select(Attachment.ticket_id, Attachment.filename, Attachment.is_internal).where(
            Attachment.ticket_id.in_(ids)
        )
    )
    for ticket_id, body, internal in (*bodies, *files):
        messages[ticket_id].append(body)
        if not internal:
            public[ticket_id].append(body)
    return [
        {
            "ticket_id": t.id,
            "head": " ".join((t.reference, t.subject, t.title_fr, t.title_en or "")),
            "people": f"{t.display_name} {t.email}",
            "form": form_text(t.data),
            "messages": " ".join(messages[t.id])[:MAX_MESSAGES],
            "public_messages": " ".join(public[t.id])[:MAX_MESSAGES],
        }
        for t in tickets
    ]


def rebuild_all(session: Session) -> int:
    """Re-index every ticket (after a bulk load, or to repair); returns how many."""
    ids = list(session.scalars(select(Ticket.id).order_by(Ticket.id)))
    reindex(session, ids)
    return len(ids)
