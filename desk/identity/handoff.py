"""What desk keeps in the browser's session between sending it to the CAS and its return.

Login CSRF: anyone can get a service ticket for their own CAS account with desk's service URL,
then send someone else's browser to the callback with it; that person would be signed in as
the ticket's owner without knowing it, and file their own data into that account. So, as the
OAuth "state": every login desk starts puts a random single-use nonce both in the session
and in the service URL. A return without this browser's nonce (a link made by hand or by a
portal, or a forged one) signs nobody in: the validated identity waits here, a few minutes,
for the person to confirm it (desk.identity.views.cas_confirm).
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from dataclasses import dataclass

from flask import session

NONCES_KEY = "cas_nonces"
PENDING_KEY = "cas_pending"
# Logins started in a few tabs at once each come back with their own nonce.
MAX_NONCES = 3
# Long enough to read the question, short enough that a browser left open does not keep it.
PENDING_SECONDS = 300
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass(frozen=True)
class PendingIdentity:
    """A validated CAS login waiting for its person's confirmation."""

    user_id: int
    login: str
    ticket: str
    next_path: str | None


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


def hold_identity(user_id: int, login: str, ticket: str, next_path: str | None) -> None:
    """Keep a validated login in the session until its person confirms it (or it expires)."""
    session[PENDING_KEY] = {
        "user_id": user_id,
        "login": login,
        "ticket": ticket,
        "next": next_path,
        "at": time.time(),
    }


def pending_identity() -> PendingIdentity | None:
    """The login waiting for confirmation; None if there is none or it is stale (dropped)."""
    held = session.get(PENDING_KEY)
    if not isinstance(held, dict):
        return None
    age = time.time() - float(held.get("at", 0))
    if not 0 <= age <= PENDING_SECONDS:
        drop_pending()
        return None
    return PendingIdentity(held["user_id"], held["login"], held["ticket"], held.get("next"))


def drop_pending() -> None:
    """Forget the login waiting for confirmation."""
    session.pop(PENDING_KEY, None)
