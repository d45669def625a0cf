"""Process received messages exactly once: match a ticket, check the sender, append or hold.

One message, one transaction: its ledger row (unique on Message-ID + content hash) is inserted
first, and the ticket services called next commit it together with the comment (or the new
ticket) — so a message read twice is appended once, and a failure leaves neither. The ticket
services do the ticket's work (waiting → in progress, reopening within the window, SLA,
notifications), exactly as on the web. Held and failed messages keep their original and a
reason code with its parameters (`desk.inbound.reasons` renders them).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from desk.auth.models import User
from desk.auth.services import find_user
from desk.extensions import db
from desk.identity.directory import DirectoryUnavailable, get_directory
from desk.identity.services import account_for_mail
from desk.inbound import alerts, answers, bounces, polls, requests, throttle
from desk.inbound.matching import Match, find_ticket, queue_for, role_of
from desk.inbound.models import HoldReason, InboundMessage, InboundStatus
from desk.inbound.parsing import IncomingMail, MalformedMessage, identify, parse, storable
from desk.inbound.reasons import Hold, lazy_data
from desk.inbound.sources import (
    MailSource,
    MoveRefused,
    Waiting,
    configured_sources,
    source_name,
)
from desk.inbound.thanks import thanks_only
from desk.tickets.actions import ActionError, add_reply
from desk.tickets.attachments import CheckedUpload, UploadError, add_attachment, check_content
from desk.tickets.models import OPEN_STATUSES, Status, Ticket, TicketEvent
from desk.tickets.services import (
    ActionRefused,
    add_requester_comment,
    add_thanks,
    can_reopen,
    reopen_ticket,
)

log = logging.getLogger(__name__)

_IGNORED = (HoldReason.AUTO_REPLY, HoldReason.BOUNCE)
# In a row's data: its sender was told that the ticket refused it (desk.inbound.answers).
ANSWERED = "answered"


@dataclass
class PollResult:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1


def _insert():
    return pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert


def _record(mail: IncomingMail) -> InboundMessage | None:
    """Insert the ledger row; None when this message was already recorded."""
    statement = (
        _insert()(InboundMessage)
        .values(
            message_id=mail.message_id,
            content_hash=mail.content_hash,
            sender=mail.sender[:320],
            subject=mail.subject,
            status=InboundStatus.HELD.value,
            data={},
        )
        .on_conflict_do_nothing(index_elements=["message_id", "content_hash"])
        .returning(InboundMessage.id)
    )
    new_id = db.session.scalar(statement)
    return db.session.get(InboundMessage, new_id) if new_id is not None else None


def kept(data: dict[str, Any] | None) -> dict[str, Any]:
    """What a row's data keeps whatever happens to it next (an admin's retry, another
    reason): whether its sender was told that it was refused, so they are told only once."""
    return {ANSWERED: True} if (data or {}).get(ANSWERED) else {}


def _hold(row: InboundMessage, mail: IncomingMail, hold: Hold, detail: str = "") -> str:
    row.status = InboundStatus.IGNORED if hold.reason in _IGNORED else InboundStatus.HELD
    row.reason = hold.reason
    row.data = {**hold.data, **kept(row.data)}
    row.detail = storable(detail)[:2000]
    row.raw = mail.raw
    db.session.commit()
    return row.status.value


def _original(mail: IncomingMail) -> CheckedUpload:
    # desk's own file, not a user's upload: stored as-is, shown to staff only.
    return CheckedUpload(f"message-{mail.content_hash[:12]}.eml", "message/rfc822", mail.raw)


def checked_files(mail: IncomingMail) -> list[CheckedUpload]:
    """The message's files through the upload checks (type, content, size); the first
    refused one holds the whole message, so nothing half-arrives."""
    checked = []
    for attachment in mail.attachments:
        try:
            checked.append(check_content(attachment.filename, attachment.content))
        except UploadError as exc:
            raise Hold(
                HoldReason.ATTACHMENT,
                name=attachment.filename[:200],
                why=lazy_data(exc.args[0] if exc.args else exc),
            ) from None
    return checked


def _append(
    row: InboundMessage,
    mail: IncomingMail,
    ticket: Ticket,
    user: User,
    role: str,
    files: list[CheckedUpload],
) -> None:
    """Through the ticket services, which commit the ledger row with the comment."""
    # Committed with the words: a crash before the second commit can never make it look
    # unprocessed (and so retryable) while the words are on the ticket.
    row.status = InboundStatus.APPENDED
    row.ticket_id = ticket.id
    later = [_original(mail)]
    if _thanks(mail, ticket, user, role):
        # "Merci !" to a resolution: the request is done, it is not reopened.
        event = add_thanks(ticket, user, mail.text)
    elif role == "requester":
        if ticket.status is Status.RESOLVED and can_reopen(ticket):
            reopen_ticket(ticket, user, reason=mail.text)
            event = db.session.scalar(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket.id)
                .order_by(TicketEvent.id.desc())
                .limit(1)
            )
            later[:0] = files
        else:
            event = add_requester_comment(ticket, user, mail.text, files)
    elif role == "watcher":  # in copy: writes as the requester does, never reopens
        event = add_requester_comment(ticket, user, mail.text, files)
    else:
        event = add_reply(ticket, mail.text, actor=user, uploads=files)
    # The original message, for staff: in a second short transaction (the services above
    # commit); if it is lost to a crash the words are still there once.
    for checked in later:
        add_attachment(ticket, event, user, checked, internal=checked is later[-1])
    row.event_id = event.id if event is not None else None
    db.session.commit()


def _thanks(mail: IncomingMail, ticket: Ticket, user: User, role: str) -> bool:
    """A thank-you, with no file, from the requester or someone in copy of a finished ticket."""
    return (
        role in ("requester", "watcher")
        and ticket.status not in OPEN_STATUSES
        and not mail.attachments
        and thanks_only(mail.text, user.display_name or "")
    )


def _reply(
    row: InboundMessage,
    mail: IncomingMail,
    match: Match,
    sender: User | None,
    *,
    by_admin: bool = False,
) -> str:
    ticket = match.ticket
    assert ticket is not None
    row.ticket_id = ticket.id
    if sender is None or not sender.is_active:
        raise Hold(HoldReason.UNKNOWN_SENDER, sender=mail.sender, by=match.by)
    role = role_of(ticket, sender)
    if role is None:
        raise Hold(HoldReason.NOT_PARTY, by=match.by)
    if role == "staff" and not match.staff_proof and not by_admin:
        # Written as staff, the words reach the requester as the service's answer: a forged
        # From line must not do that. An admin who read it may let it through (a retry).
        raise Hold(HoldReason.UNPROVEN_STAFF, by=match.by)
    if not mail.text.strip() and not mail.attachments:
        # A file alone (the photo asked for, sent from a phone) is a comment, as on the web.
        raise Hold(HoldReason.EMPTY)
    if len(mail.text) > requests.MAX_WORDS:
        raise Hold(HoldReason.TOO_LONG, max=requests.MAX_WORDS)
    files = checked_files(mail)
    row_id, ticket_id = row.id, ticket.id
    try:
        _append(row, mail, ticket, sender, role, files)
    except (ActionRefused, ActionError) as exc:
        # The services rolled back (a new ledger row with them): record the refusal anew.
        db.session.rollback()
        row = _record(mail) or db.session.get(InboundMessage, row_id)
        if row is None:
            raise
        row.ticket_id = ticket_id
        # A finished request: its sender is told so (once a day), committed with the hold;
        # not for a thank-you to a closed one, which asks for nothing. Once per message: an
        # admin's retry refused again, even days later, says nothing new to its sender.
        told = bool(kept(row.data))
        if not told and not _thanks(mail, ticket, sender, role):
            told = answers.answer_refused(ticket, sender, role)
        hold = Hold(
            HoldReason.REFUSED, why=lazy_data(exc.message), **({ANSWERED: True} if told else {})
        )
        return _hold(row, mail, hold)
    return "appended"


def _sender(mail: IncomingMail) -> tuple[User | None, str]:
    """The sender's account, and a technical note for the admins when the directory failed.

    By the address first (the common path: no directory call). A university person often
    writes from another of their institutional addresses (an alias, the student or the staff
    one): with a directory, the one entry listing that address (mail, mailAlternateAddress,
    supannAutreMail; never supannMailPerso, a personal mailbox) gives its linked account.
    Down, the message is held as from an unknown sender, to be retried.
    """
    if not mail.sender:
        return None, ""
    sender = find_user(mail.sender)
    if sender is not None and sender.is_active:
        return sender, ""
    directory = get_directory(current_app.config)
    if directory is None:
        return sender, ""
    try:
        by_alias = account_for_mail(mail.sender, directory)
    except DirectoryUnavailable as exc:
        log.warning("inbound: directory unavailable for sender %r: %s", mail.sender, exc)
        return sender, f"directory unavailable: {exc}"
    if by_alias is not None:
        log.info("inbound: %s is an address of %s (directory)", mail.sender, by_alias.email)
        return by_alias, ""
    return sender, ""


def _act(row: InboundMessage, mail: IncomingMail, *, by_admin: bool = False) -> str:
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
        sender, detail = _sender(mail)
        match = find_ticket(mail, sender)
        if match.ticket is not None:
            return _reply(row, mail, match, sender, by_admin=by_admin)
        queue = queue_for(mail) if match.hold is not HoldReason.BAD_SIGNATURE else None
        if queue is None:
            raise Hold(match.hold or HoldReason.NO_TICKET)
        requests.open_ticket(row, mail, queue, sender, checked_files(mail), _original(mail))
        return "created"
    except Hold as hold:
        return _hold(row, mail, hold, detail)


def process(mail: IncomingMail) -> str:
    """Record one parsed message and act on it; the outcome is returned for the poll's counts."""
    row = _record(mail)
    if row is None:
        db.session.rollback()
        return "duplicate"
    return _act(row, mail)


def record_failure(raw: bytes, reason: str, data: dict[str, Any], detail: str = "") -> None:
    """Keep a message that could not be processed, with the reason, for the admins."""
    db.session.rollback()
    message_id, content_hash, sender, subject = identify(raw)
    values = {
        "status": InboundStatus.FAILED.value,
        "reason": reason,
        "data": data,
        "detail": storable(detail)[:2000],
        "raw": raw,
    }
    db.session.execute(
        _insert()(InboundMessage)
        .values(
            message_id=message_id,
            content_hash=content_hash,
            sender=sender[:320],
            subject=subject[:500],
            **values,
        )
        .on_conflict_do_update(
            index_elements=["message_id", "content_hash"],
            set_=values,
            # Never turn a message that was appended into a failure (a crash after the
            # commit, before the move): the next poll moves it.
            where=InboundMessage.status != InboundStatus.APPENDED.value,
        )
    )
    db.session.commit()


def failure_of(exc: Exception) -> tuple[str, dict[str, Any], str]:
    """(reason code, parameters, technical detail) of an exception raised while processing."""
    if isinstance(exc, MalformedMessage):
        return exc.reason, exc.data, str(exc)
    return HoldReason.ERROR.value, {"error": type(exc).__name__}, repr(exc)


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
