"""Each mailbox's poll record: when it was last read well, last failed, last left messages.

Kept as heartbeat rows, like the SLA sweep's ("inbound-poll:imap" and its -failed and
-unmoved siblings; desk.core.services.mailbox_polls reads them for /metrics and /healthz).
The poll reads them first, so that a mailbox whose server is down logs its traceback once,
when it starts failing, then one short line a poll, and a line when it is back — not a
traceback a minute all night."""

from __future__ import annotations

import datetime as dt
import logging
import sys

from desk.core.db import utcnow
from desk.core.services import (
    POLL_FAILED,
    POLL_OK,
    POLL_UNMOVED,
    MailboxPoll,
    mailbox_polls_of,
    record_heartbeat,
)
from desk.extensions import db

log = logging.getLogger(__name__)


def state_before(name: str) -> MailboxPoll:
    """The mailbox's state before this poll; unknown (a fresh start) if it cannot be read."""
    try:
        return mailbox_polls_of([name])[0]
    except Exception:  # the database is down: this poll's own lines will say so
        db.session.rollback()
        return MailboxPoll(name, None, failing=False)


def _when(at: dt.datetime | None) -> str:
    return at.isoformat(timespec="seconds") if at is not None else "never"


def poll_failed(name: str, before: MailboxPoll, message: str) -> None:
    """In an `except` block: log a failed poll (the traceback only when the mailbox starts
    failing) and record it. `message` has one %s, the source's name."""
    extra = {"source": name}
    if before.failing:
        exc = sys.exc_info()[1]
        brief = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        log.warning(
            f"{message}, still (last good poll: %s): %s",
            name,
            _when(before.last_read),
            brief,
            extra=extra,
        )
    else:
        log.exception(message, name, extra=extra)
    _record(name, f"{POLL_FAILED}{name}")


def poll_ok(name: str, before: MailboxPoll, *, unmoved: bool) -> None:
    """Record a good poll (and whether it left messages it could not move); say when the
    mailbox works again after failing."""
    if before.failing:
        log.info(
            "inbound: the %s source is read again (last good poll before this one: %s)",
            name,
            _when(before.last_read),
            extra={"source": name},
        )
    at = utcnow()
    if unmoved:
        _record(name, f"{POLL_UNMOVED}{name}", at)
    _record(name, f"{POLL_OK}{name}", at)


def _record(name: str, row: str, at: dt.datetime | None = None) -> None:
    try:
        record_heartbeat(row, at=at)
    except Exception:  # the database is the failure: the poll's own lines say so
        db.session.rollback()
        log.warning("inbound: the %s poll could not be recorded", name, exc_info=True)
