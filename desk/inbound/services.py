"""Process received messages exactly once: match a ticket, check the sender, append or hold;
and the poll that reads every configured mailbox.

One message, one transaction: its ledger row (`desk.inbound.ledger`) is inserted first, and
the ticket services called next commit it together with the comment
(`desk.inbound.appending`) or the new ticket (`desk.inbound.requests`) — so a message read
twice is appended once, and a failure leaves neither.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import current_app

from desk.extensions import db
from desk.inbound import alerts, bounces, headers, ledger, polls, requests, throttle
from desk.inbound.appending import append_reply
from desk.inbound.files import original
from desk.inbound.ledger import failure_of, record_failure
from desk.inbound.matching import find_ticket, queue_for
from desk.inbound.models import HoldReason, InboundMessage
from desk.inbound.parsing import IncomingMail, MalformedMessage, identify, parse
from desk.inbound.reasons import Hold
from desk.inbound.senders import sender_account
from desk.inbound.sources import (
    MailSource,
    MoveRefused,
    Waiting,
    configured_sources,
    source_name,
)

log = logging.getLogger(__name__)


@dataclass
class PollResult:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1


def act(row: InboundMessage, mail: IncomingMail, *, by_admin: bool = False) -> str:
    """Decide and do; a Hold on the way records the reason instead."""
    detail = ""
    try:
        if mail.auto_reason == "bounce":
            raise Hold(HoldReason.BOUNCE, **bounces.record_bounce(mail))
        if mail.auto_reason:
            raise Hold(HoldReason.AUTO_REPLY)
        if not by_admin and throttle.over_limit(mail.sender):
            alerts.tell_admins_throttled(mail.sender)
            raise Hold(HoldReason.THROTTLED, limit=current_app.config["INBOUND_MAX_PER_MINUTE"])
        if not by_admin and _forged(mail):
            raise Hold(HoldReason.FORGED, sender=mail.sender)
        sender, detail = sender_account(mail)
        match = find_ticket(mail, sender)
        if match.ticket is not None:
            return append_reply(row, mail, match, sender, by_admin=by_admin)
        queue = queue_for(mail) if match.hold is not HoldReason.BAD_SIGNATURE else None
        if queue is None:
            raise Hold(match.hold or HoldReason.NO_TICKET)
        requests.open_ticket(row, mail, queue, sender, original(mail))
        return "created"
    except Hold as hold:
        return ledger.hold(row, mail, hold, detail)


def _forged(mail: IncomingMail) -> bool:
    """The university's receiving server says the From line fails DMARC: anyone may write
    "From: marie@univ.fr" and the ticket's reference in a subject."""
    server = current_app.config["INBOUND_AUTHSERV_ID"]
    return bool(server) and headers.dmarc_result(mail.raw, server) == "fail"


def process(mail: IncomingMail) -> str:
    """Record one parsed message and act on it; the outcome is returned for the poll's counts."""
    row = ledger.record(mail)
    if row is None:
        db.session.rollback()
        return "duplicate"
    return act(row, mail)


def _one(source: MailSource, waiting: Waiting) -> str:
    if not waiting.complete:
        raise MalformedMessage(
            HoldReason.TOO_LARGE.value,
            size=round(waiting.size / 1024 / 1024, 1),
            max=current_app.config["INBOUND_MAX_MB"],
            partial=True,
        )
    return process(parse(waiting.raw))


def poll_source(source: MailSource, result: PollResult | None = None) -> PollResult:
    """Read every waiting message once; a poison message goes to `failed`, the poll goes on."""
    result = result or PollResult()
    for waiting in source.pending():
        try:
            outcome = _one(source, waiting)
        except Exception as exc:  # one bad message must not stop the others
            db.session.rollback()
            reason, data, detail = failure_of(exc)
            log.warning("inbound %s %s failed: %s", source.name, waiting.key, detail)
            try:
                record_failure(waiting.raw, reason, data, detail)
            except Exception:
                db.session.rollback()
                log.exception("inbound: could not record the failure of %s", waiting.key)
            _move(source, waiting, result, f"{reason}: {detail}")
            result.add("failed")
            continue
        _move(source, waiting, result)
        result.add(outcome)
    return result


def _move(source: MailSource, waiting: Waiting, result: PollResult, failed: str = "") -> None:
    """To `processed` (or `failed`, with the reason). A move the mailbox refuses leaves the
    message where it is, already recorded: each poll reads it again as a duplicate (nothing
    is done twice) and tries the move again; the others go on."""
    try:
        if failed:
            source.failed(waiting.key, failed)
        else:
            source.done(waiting.key)
    except MoveRefused as exc:
        message_id = identify(waiting.raw)[0]
        log.warning(
            "inbound %s %s (%s) stays in the mailbox, its move refused: %s",
            source.name,
            waiting.key,
            message_id,
            exc,
            extra={"source": source.name, "message_id": message_id},
        )
        result.add("unmoved")


def fetch_mail() -> PollResult:
    """Poll every configured source once; each source's outcome is recorded for /metrics."""
    result = PollResult()
    for opener in configured_sources(current_app.config):
        name = source_name(opener)
        before = polls.state_before(name)
        try:
            source = opener()
        except Exception:  # logged; the other sources are still read
            polls.poll_failed(name, before, "inbound: cannot open the %s source")
            result.add("source_error")
            continue
        counts = dict(result.counts)
        try:
            poll_source(source, result)
        except Exception:  # the connection dropped mid-poll: what was done stays done
            db.session.rollback()
            polls.poll_failed(name, before, "inbound: the %s source failed during the poll")
            result.add("source_error")
        else:
            read = {k: n - counts.get(k, 0) for k, n in result.counts.items() if n != counts.get(k)}
            polls.poll_ok(name, before, unmoved="unmoved" in read)
            if read:  # the poll task's own lines are DEBUG (routine): say what it read
                log.info(
                    "inbound: the %s source read %s",
                    name,
                    read,
                    extra={"source": name, "counts": read},
                )
        finally:
            source.close()
    return result
