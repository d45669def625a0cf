"""The ledger of received messages: one row per message, its outcome and, when held or
failed, its reason and original.

A message's row (unique on Message-ID + content hash) is inserted before anything is done
with it, and committed with what was done: a message read twice is acted on once. Held and
failed messages keep their original and a reason code with its parameters
(`desk.inbound.reasons` renders them).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from desk.extensions import db
from desk.inbound.models import HoldReason, InboundMessage, InboundStatus
from desk.inbound.parsing import IncomingMail, MalformedMessage, identify, storable
from desk.inbound.reasons import Hold

_IGNORED = (HoldReason.AUTO_REPLY, HoldReason.BOUNCE)
# In a row's data: its sender was told that the ticket refused it (desk.inbound.answers).
ANSWERED = "answered"


def _insert():
    return pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert


def record(mail: IncomingMail) -> InboundMessage | None:
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


def hold(row: InboundMessage, mail: IncomingMail, hold: Hold, detail: str = "") -> str:
    """Keep the message held (or ignored, for automatic mail) with its reason; commits."""
    row.status = InboundStatus.IGNORED if hold.reason in _IGNORED else InboundStatus.HELD
    row.reason = hold.reason
    row.data = {**hold.data, **kept(row.data)}
    row.detail = storable(detail)[:2000]
    row.raw = mail.raw
    db.session.commit()
    return row.status.value


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
