"""What desk keeps between sending a browser to the CAS and its return.

Login CSRF: anyone can get a service ticket for their own CAS account with desk's service URL,
then send someone else's browser to the callback with it; that person would be signed in as
the ticket's owner without knowing it, and file their own data into that account. So, as the
OAuth "state": every login desk starts puts a random single-use nonce both in the session
and in the service URL. A return without this browser's nonce (a link made by hand or by a
portal, or a forged one) signs nobody in: the validated identity waits a few minutes for the
person to confirm it (desk.identity.views.cas_confirm), its ticket in the browser's session
and what the validation returned in `cas_handoff`, where a single logout of the ticket finds
and drops it. No account is made or refreshed for it before the person confirms.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from flask import session
from sqlalchemy import delete

from desk.core.db import utcnow
from desk.extensions import db
from desk.identity.cas import CasAnswer
from desk.identity.models import CasHandoff

NONCES_KEY = "cas_nonces"
PENDING_KEY = "cas_pending"
# Logins started in a few tabs at once each come back with their own nonce.
MAX_NONCES = 3
# Long enough to read the question, short enough that a browser left open does not keep it.
PENDING_SECONDS = 300
_LIFETIME = dt.timedelta(seconds=PENDING_SECONDS)
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass(frozen=True)
class PendingIdentity:
    """A validated CAS login waiting for its person's confirmation: what the validation
    returned (no account is made or refreshed before the person confirms)."""

    ticket: str
    answer: CasAnswer
    display_name: str
    next_path: str | None

    @property
    def login(self) -> str:
        return self.answer.user


def issue_nonce() -> str:
    """A fresh nonce for a login desk starts, remembered in this browser's session."""
    nonce = secrets.token_urlsafe(16)
    session[NONCES_KEY] = [*session.get(NONCES_KEY, [])[-(MAX_NONCES - 1) :], nonce]
    return nonce


def well_formed(nonce: str | None) -> str | None:
    """The nonce of a callback's URL if it could be one of desk's, else None."""
    return nonce if nonce and _NONCE.fullmatch(nonce) else None


def take_nonce(nonce: str | None) -> bool:
    """Whether desk issued `nonce` to this browser; it is spent (single use) if so."""
    nonces = session.get(NONCES_KEY, [])
    found = nonce is not None and any(hmac.compare_digest(nonce, n) for n in nonces)
    if found:
        session[NONCES_KEY] = [n for n in nonces if n != nonce]
    return found


def hold_identity(answer: CasAnswer, display_name: str, ticket: str, next_path: str | None) -> None:
    """Keep a validated login until its person confirms it (or it expires, or the CAS ends it):
    its ticket in the browser's session, what the validation returned in `cas_handoff`. The
    caller commits."""
    purge_stale()
    drop_pending()  # one question at a time: an earlier one is no longer answered
    db.session.add(
        CasHandoff(
            ticket=ticket,
            principal=answer.user,
            attributes=answer.attributes,
            display_name=display_name,
        )
    )
    session[PENDING_KEY] = {"ticket": ticket, "next": next_path, "at": time.time()}


def pending_identity() -> PendingIdentity | None:
    """The login waiting for this browser's confirmation; None if there is none, it is stale
    (dropped: the caller commits) or the CAS ended it (single logout)."""
    held = session.get(PENDING_KEY)
    if not isinstance(held, dict) or not isinstance(held.get("ticket"), str):
        session.pop(PENDING_KEY, None)
        return None
    age = time.time() - float(held.get("at", 0))
    row = db.session.get(CasHandoff, held["ticket"]) if 0 <= age <= PENDING_SECONDS else None
    if row is None or row.created_at < utcnow() - _LIFETIME:
        drop_pending()
        return None
    answer = CasAnswer(row.principal, dict(row.attributes or {}))
    return PendingIdentity(row.ticket, answer, row.display_name, held.get("next"))


def drop_pending() -> bool:
    """Forget the login waiting for this browser's confirmation, whatever comes next; whether
    it was still held (a confirmation takes it this way: once). The caller commits."""
    held = session.pop(PENDING_KEY, None)
    ticket = held.get("ticket") if isinstance(held, dict) else None
    return isinstance(ticket, str) and drop_ticket(ticket)


def drop_ticket(ticket: str) -> bool:
    """Drop the held login of `ticket` (single logout: the CAS ended it); whether one was
    held. The caller commits."""
    result = db.session.execute(delete(CasHandoff).where(CasHandoff.ticket == ticket))
    return bool(result.rowcount)


def purge_stale() -> None:
    """Held logins nobody answered, past their lifetime: deleted at each CAS sign-in (no
    periodic job needed; what the CAS released about someone does not stay). The caller
    commits."""
    db.session.execute(delete(CasHandoff).where(CasHandoff.created_at < utcnow() - _LIFETIME))
