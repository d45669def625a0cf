"""Who manages canned replies, saving and deleting them, and offering them on a ticket."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Select, select

from desk.auth.language import written_language
from desk.auth.models import Role, User
from desk.canned.models import CannedReply
from desk.canned.placeholders import render
from desk.extensions import db
from desk.reference.models import Queue, QueueMembership
from desk.tickets.models import Ticket


def managed_queues(user: User) -> list[Queue]:
    """Queues whose canned replies `user` may manage: all for admins, led ones for leads."""
    if not user.is_authenticated or not user.is_active or user.role is Role.REQUESTER:
        return []
    query: Select = select(Queue).order_by(Queue.code)
    if user.role is not Role.ADMIN:
        query = query.join(QueueMembership, QueueMembership.queue_id == Queue.id).where(
            QueueMembership.user_id == user.id, QueueMembership.is_lead.is_(True)
        )
    return list(db.session.scalars(query))


def may_manage(user: User) -> bool:
    """Admins, and leads of at least one queue."""
    return bool(managed_queues(user))


def managed_replies(user: User) -> list[CannedReply]:
    """The canned replies of the queues `user` manages, by queue then title."""
    ids = [q.id for q in managed_queues(user)]
    if not ids:
        return []
    query = (
        select(CannedReply)
        .where(CannedReply.queue_id.in_(ids))
        .order_by(CannedReply.queue_id, CannedReply.title, CannedReply.id)
    )
    return list(db.session.scalars(query))


def get_managed_or_none(user: User, reply_id: int) -> CannedReply | None:
    """The canned reply if `user` manages its queue."""
    reply = db.session.get(CannedReply, reply_id)
    if reply is None or reply.queue_id not in {q.id for q in managed_queues(user)}:
        return None
    return reply


def save_canned_reply(
    reply: CannedReply | None,
    *,
    queue: Queue,
    title: str,
    body_fr: str,
    body_en: str,
    actor: User,
) -> CannedReply:
    """Create (reply=None) or update a canned reply; the caller has checked the input."""
    if reply is None:
        reply = CannedReply()
        db.session.add(reply)
    reply.queue_id = queue.id
    reply.title = title.strip()
    reply.body_fr = body_fr.strip()
    reply.body_en = (body_en or "").strip()
    reply.updated_by_id = actor.id
    db.session.commit()
    return reply


def delete_canned_reply(reply: CannedReply, *, actor: User) -> None:
    """Remove a canned reply (tickets keep the texts already sent)."""
    db.session.delete(reply)
    db.session.commit()


@dataclass(frozen=True)
class Offer:
    """A canned reply as offered on a ticket: its title, the text ready to insert and the
    language that text is in."""

    id: int
    title: str
    text: str
    language: str


def _queue_replies(ticket: Ticket) -> list[CannedReply]:
    return list(
        db.session.scalars(
            select(CannedReply)
            .where(CannedReply.queue_id == ticket.queue_id)
            .order_by(CannedReply.title, CannedReply.id)
        )
    )


def _values(ticket: Ticket, agent: User) -> dict[str, str]:
    return {
        "requester_name": ticket.requester.display_name,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "agent_name": agent.display_name,
    }


def offers_for(ticket: Ticket, agent: User) -> list[Offer]:
    """The canned replies of the ticket's queue, filled in, in the requester's language."""
    # Someone who never chose a language reads the one they filed the request in.
    locale = written_language(ticket.requester, filed_in=ticket.language)
    values = _values(ticket, agent)
    return [
        Offer(r.id, r.title, render(r.body_for(locale), values), r.language_for(locale))
        for r in _queue_replies(ticket)
    ]


_WORD = re.compile(r"\w+")
# The share of a reply's own words that must come from one canned text for the reply to be in
# that text's language: the canned text inserted, perhaps with a greeting or a line added.
CANNED_SHARE = 0.5


def canned_language(ticket: Ticket, agent: User, body: str) -> str | None:
    """The language of the canned reply `body` is mostly made of, None if it is not one.

    A technician reading French pages who inserts the English text offered to an English
    speaker sends English words: the reply must say so (its `lang`), not the page's French.
    The names, reference and subject the texts fill in are no language's words: "Bonjour
    John Smith" is not English because an English canned text names John Smith too."""
    filled = set(_WORD.findall(" ".join(_values(ticket, agent).values()).casefold()))
    words = [w for w in _WORD.findall(body.casefold()) if w not in filled]
    if not words:
        return None
    locale = written_language(ticket.requester, filed_in=ticket.language)
    best: tuple[float, str] | None = None
    for reply in _queue_replies(ticket):
        known = set(_WORD.findall(reply.body_for(locale).casefold()))
        share = sum(word in known for word in words) / len(words)
        if share >= CANNED_SHARE and (best is None or share > best[0]):
            best = (share, reply.language_for(locale))
    return best[1] if best else None
