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
# Tickets inserted in this transaction -> [the ticket, then its events and files as flushed]
_CREATED = "desk.search.created"
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


def note_created(session: Session, ticket: Ticket, *parts: Any) -> None:
    """A ticket (and its first rows) written by `insert_row`, without a flush: index it at
    the commit as if a flush had noted it; files flushed later join it as usual."""
    session.info.setdefault(_CREATED, {}).setdefault(ticket.id, []).extend((ticket, *parts))
    mark_for_reindex(session, [ticket.id])


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    ids: set[int] = set()
    renamed: list[int] = []
    created: dict[int, list[Any]] = session.info.setdefault(_CREATED, {})
    for obj in session.new:
        if isinstance(obj, Ticket):
            created.setdefault(obj.id, []).append(obj)
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Ticket):
            ids.add(obj.id)
        elif isinstance(obj, TicketEvent | Attachment):
            ticket_id = obj.ticket_id if obj.ticket_id is not None else obj.ticket.id
            ids.add(ticket_id)
            if obj in session.new and ticket_id in created:
                created[ticket_id].append(obj)
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
    created = session.info.pop(_CREATED, {})
    # A ticket whose savepoint was rolled back is no longer persistent: nothing to index.
    known = [created[i] for i in sorted(ids) if i in created and inspect(created[i][0]).persistent]
    if known:
        # Every row of a ticket born in this transaction went through this session: its
        # document is built from those objects, without reading them back.
        _upsert(session.connection(), [_document_of(*objects) for objects in known])
    rest = sorted(i for i in ids if i not in created)
    if rest:
        reindex(session, rest)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_DIRTY, None)
        session.info.pop(_CREATED, None)


def _document_of(ticket: Ticket, *parts: Any) -> dict[str, Any]:
    """The texts of a ticket born in this transaction, from its objects (same as _documents)."""
    alive = [p for p in parts if inspect(p).persistent]
    events = sorted((p for p in alive if isinstance(p, TicketEvent)), key=lambda e: e.id)
    bodies = [(e.body, e.is_internal) for e in events if e.body]
    bodies += [(a.filename, a.is_internal) for a in alive if isinstance(a, Attachment)]
    request_type, requester = ticket.request_type, ticket.requester
    return _row(
        ticket.id,
        ticket.reference,
        ticket.subject,
        ticket.data,
        request_type.title_fr,
        request_type.title_en,
        requester.display_name,
        requester.email,
        bodies,
    )


def _row(
    ticket_id: int,
    reference: str,
    subject: str,
    data: Any,
    title_fr: str,
    title_en: str | None,
    display_name: str,
    email: str,
    bodies: list[tuple[str, bool]],
) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "head": " ".join((reference, subject, title_fr, title_en or "")),
        "people": f"{display_name} {email}",
        "form": form_text(data),
        "messages": " ".join(b for b, _internal in bodies)[:MAX_MESSAGES],
        "public_messages": " ".join(b for b, internal in bodies if not internal)[:MAX_MESSAGES],
    }


def reindex(session: Session, ticket_ids: list[int]) -> None:
    """Rebuild the search documents of these tickets from what the database holds now."""
    connection = session.connection()
    for start in range(0, len(ticket_ids), 500):
        _upsert(connection, _documents(connection, ticket_ids[start : start + 500]))


def _upsert(connection, rows: list[dict[str, Any]]) -> None:
    """Store these documents (rows as `_documents` returns them)."""
    if rows:
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
    texts: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    for ticket_id, body, internal in (*bodies, *files):
        texts[ticket_id].append((body, internal))
    return [
        _row(
            t.id,
            t.reference,
            t.subject,
            t.data,
            t.title_fr,
            t.title_en,
            t.display_name,
            t.email,
            texts[t.id],
        )
        for t in tickets
    ]


def rebuild_all(session: Session) -> int:
    """Re-index every ticket (after a bulk load, or to repair); returns how many."""
    ids = list(session.scalars(select(Ticket.id).order_by(Ticket.id)))
    reindex(session, ids)
    return len(ids)
