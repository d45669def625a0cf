"""Why a message was held, ignored or failed, in the reader's language.

The ledger stores a reason code and its parameters (`InboundMessage.data`), never a sentence:
the admin page renders them with the reader's catalogue. A refusal raised as a lazy message
(a ticket service's `ActionRefused`, an upload check's `UploadError`) is stored as its msgid and
variables, and translated again when shown.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask_babel import gettext

from desk.core.i18n import LazyText
from desk.inbound.models import HoldReason


def N_(message: str) -> str:  # the marker pybabel extracts by default
    """Mark a message for extraction; it is translated when shown."""
    return message


R = HoldReason
MESSAGES = {
    R.BAD_SIGNATURE: N_(
        "Sent to a ticket's reply address whose signature is wrong (altered or forged)."
    ),
    R.NO_TICKET: N_(
        "Nothing links this message to a ticket or a queue address (or the sender may not "
        "use the reference in the subject)."
    ),
    R.UNKNOWN_SENDER: N_("No active account has the sender's address %(sender)s."),
    R.UNPROVEN_STAFF: N_(
        "From staff of the queue, but not a reply to one of desk's e-mails to staff: a From "
        "line can be forged, so nothing was written on the ticket as staff. Retry it if you "
        "know the sender wrote it."
    ),
    R.NOT_PARTY: N_(
        "The sender is neither the ticket's requester nor staff of its queue: nothing was "
        "added to the ticket."
    ),
    R.EMPTY: N_("No words of its own once the quoted history and signature are removed."),
    R.REFUSED: N_("The ticket refused the message: %(why)s"),
    R.AUTO_REPLY: N_("An automatic reply (out of office, list, robot): nothing to do."),
    R.BOUNCE: N_("A delivery failure report for %(recipient)s: %(diagnostic)s"),
    R.ERROR: N_("Processing failed unexpectedly (%(error)s); see the logs."),
    R.TOO_LARGE: N_("The message is %(size)s MB, over the limit of %(max)s MB: it was not read."),
    R.TOO_MANY_RECIPIENTS: N_("The message has %(count)s recipients (at most %(max)s)."),
    R.MALFORMED: N_("The message cannot be read (%(what)s)."),
    R.TOO_LONG: N_("The message is longer than %(max)s characters."),
    R.ATTACHMENT: N_("The file “%(name)s” was refused: %(why)s"),
    R.THROTTLED: N_(
        "The sender sent more than %(limit)s messages in a minute: held until an admin retries it."
    ),
    R.FORGED: N_(
        "The university's mail server found that the sender's address %(sender)s was forged "
        "(its DMARC check failed): nothing was written. Retry it if you know the sender "
        "wrote it."
    ),
    R.NO_REQUEST_TYPE: N_(
        "Sent to the address of the queue %(queue)s, but no active “e-mail request” "
        "catalogue entry exists for its domain."
    ),
}


# What a ticket's timeline says to staff about a received message (an internal SYSTEM event
# with field "inbound": new_value the code, old_value its one parameter, the part's name).
EVENT_FIELD = "inbound"
UNREADABLE_PART = "unreadable_part"
EVENT_MESSAGES = {
    UNREADABLE_PART: N_(
        "The e-mail's Outlook attachment “%(name)s” could not be read: any files in it are "
        "only in the original message kept for staff."
    ),
}


def describe_event(code: str | None, name: str | None) -> str:
    """An inbound timeline entry in the current language ("" for a code this desk does not
    know)."""
    message = EVENT_MESSAGES.get(code or "")
    return _format(message, {"name": name or ""}) if message else ""


class Hold(Exception):
    """Stop processing a message: hold it (or ignore it) for this reason and parameters."""

    def __init__(self, reason: HoldReason, **data: Any):
        super().__init__(reason.value)
        self.reason = reason
        self.data = data


# Parameters that are themselves stored messages ({"msgid": ..., "params": {...}}).
_NESTED = ("why",)


def lazy_data(message: object) -> Any:
    """A lazy message as data (msgid + variables); anything else as its text."""
    if isinstance(message, LazyText) and message._func is gettext and message._args:
        params = {k: v for k, v in message._kwargs.items() if isinstance(v, str | int | float)}
        return {"msgid": message._args[0], "params": params}
    return str(message)


def _translate(value: Any) -> str:
    if isinstance(value, dict) and "msgid" in value:
        return _format(str(value["msgid"]), value.get("params") or {})
    return str(value)


def _format(msgid: str, params: dict[str, Any]) -> str:
    # A missing parameter (an older row) shows as "?" rather than breaking the page.
    values: defaultdict[str, Any] = defaultdict(lambda: "?", params)
    return gettext(msgid) % values


def describe(reason: HoldReason | None, data: dict[str, Any] | None) -> str:
    """The reason of a ledger row as a sentence in the current language."""
    if reason is None:
        return ""
    params = {
        key: _translate(value) if key in _NESTED else value for key, value in (data or {}).items()
    }
    return _format(MESSAGES[reason], params)
