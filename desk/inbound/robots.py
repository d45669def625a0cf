"""Whether a message comes from a robot: an auto-reply, an out-of-office, a read receipt or a
bounce. Pure: reads the headers (and a bounce's subject), never the database.

RFC 3834 (`Auto-Submitted`) and the de-facto headers first; then what robots that set none
of them still say: a mailer daemon or a postmaster sending a non-delivery subject (Lotus,
older Exchange, qmail, messages read over IMAP from servers that add no Return-Path),
Exchange's own NDR header, an empty Return-Path, and the subject prefixes of out-of-office
replies sent by a client-side rule.

An empty Return-Path (`<>`, the null reverse-path as the delivering server records it) is
never a person's: RFC 5321 (4.5.5) keeps it for delivery reports and other notifications,
and RFC 3834 (3.3) asks automatic responses (out-of-office replies among them) to be sent
with it, so that nothing answers them. It is a robot's, then, but not always a bounce: read
as one, an out-of-office naming desk's e-mail in its In-Reply-To marked that e-mail failed.
A bounce only when it also reads as a report (a daemon's From, a non-delivery subject, the
failed recipients' header); else an automatic reply: added nowhere, answered never.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import parseaddr

# Read after any reply prefixes ("RE: Absence du bureau : …"). An out-of-office set up as an
# Outlook rule answers with a template whose subject the person typed: the words alone
# ("Absence du bureau") are one only in an answer (a new request may be titled so).
_AUTO_SUBJECT = re.compile(
    r"\s*(?:(?:re|tr|aw|fw|fwd|réf|ref)\s*:\s*)*(?P<words>réponse automatique|automatic reply"
    r"|auto-reply|autoreply|out of office|absente? du bureau|absence du bureau"
    r"|message d['’]absence|abwesenheitsnotiz|automatische antwort)\s*(?P<colon>:)?",
    re.IGNORECASE,
)
_DAEMONS = ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon")
# What non-delivery reports are called, by the servers that send them without RFC 3464.
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|non remis|non distribuable|delivery (?:status notification|failure"
    r"|failed|has failed|problem)|returned mail|mail delivery failed|failure notice"
    r"|échec de (?:la )?(?:remise|distribution)|unzustellbar|could not send message"
    r"|delivery delayed|remise différée",
    re.IGNORECASE,
)


def _header(message: EmailMessage, name: str) -> str:
    value = message.get(name)
    return " ".join(str(value).split()) if value is not None else ""


def automatic(message: EmailMessage) -> str | None:
    """Why a message comes from a robot (RFC 3834 and the de-facto headers), or None:
    "bounce" for a non-delivery report, "auto_reply" for anything else a robot sent."""
    if message.get_content_type() == "multipart/report":
        # A read receipt (Outlook's « Lu : ») is a report too, about no failed delivery.
        kind = str(message.get_param("report-type", "", header="content-type")).lower()
        return "auto_reply" if kind == "disposition-notification" else "bounce"
    if message.get("X-MS-Exchange-Message-Is-Ndr") is not None:  # set, and empty
        return "bounce"
    local = parseaddr(_header(message, "From"))[1].lower().partition("@")[0]
    reads_as_bounce = bool(_BOUNCE_SUBJECT.search(_header(message, "Subject")))
    if local.startswith("mailer-daemon") or (local in _DAEMONS and reads_as_bounce):
        return "bounce"  # a plain-text bounce from an MTA that does not speak RFC 3464
    if _header(message, "Return-Path") == "<>":
        if local in _DAEMONS or reads_as_bounce or message.get("X-Failed-Recipients"):
            return "bounce"
        return "auto_reply"
    if _header(message, "Auto-Submitted").lower() not in ("", "no"):
        return "auto_reply"
    if _header(message, "Precedence").lower() in ("bulk", "junk", "list", "auto_reply"):
        return "auto_reply"
    robots = ("X-Autoreply", "X-Autorespond", "List-Id", "List-Unsubscribe")
    if any(message.get(h) is not None for h in robots):
        return "auto_reply"
    # An out-of-office sent by a client-side rule (Outlook "reply using a template", old
    # webmails) has none of the headers above, only its subject prefix; posted as the
    # requester's words it would put a ticket waiting on them back in progress.
    subject = _header(message, "Subject")
    found = _AUTO_SUBJECT.match(subject)
    if found and (found["colon"] or (found.end() == len(subject) and message["In-Reply-To"])):
        return "auto_reply"
    return None
