"""A reply's new words: its quoted history, client headers and signature cut. Pure.

Quoted history is cut by mail-parser-reply, which knows the French and English clients'
markers ("Le … a écrit :", Outlook's "De : / Envoyé :" block); desk adds what it misses
(Gmail's attribution wrapped over two lines, Zimbra's "Mail original", an answer below the
quote, phone signatures) and cuts signatures itself: at "-- " and the like, and at a sign-off
("Cordialement,") only when it is one, not at a sentence that starts with its word.
"""

from __future__ import annotations

import re

from mailparser_reply.constants import (
    MAIL_LANGUAGES,
    NOLIST_SIGNATURE_REGEX,
    OUTLOOK_MAIL_SEPARATOR,
    QUOTED_MATCH_INCLUDE,
)
from mailparser_reply.parser import EmailMessage as ReplyText

_LANGUAGES = ("fr", "en")

# Gmail hard-wraps its text part, so its attribution line ("Le lun. 7 déc. 2026 à 10:02,
# Centre de services <desk+…@univ.fr> a écrit :", longer than 78 characters with desk's
# address) arrives on two lines, which the French pattern (one line) does not see.
_WRAPPED_ATTRIBUTION = re.compile(
    r"^(?P<first>(?:> ?)*(?:Le|On) [^\n]*\d:\d\d[^\n]*)\n"  # the date's time: not a sentence
    r"(?P<second>(?:> ?)*[^\n]*(?:a écrit|wrote) ?:)[ \t]*$",
    re.MULTILINE | re.IGNORECASE,
)
# Zimbra's plain text opens the history with "----- Mail original -----" and a "De: / À:"
# block without the space before the colon, which the French pattern expects: cut there.
_SEPARATOR = re.compile(
    r"^[ \t]*-{3,} ?(?:mail original|message d'origine|message original|original message)"
    r" ?-{3,}[ \t]*$",
    re.MULTILINE | re.IGNORECASE,
)
_ATTRIBUTION_END = re.compile(r"(?:a écrit|wrote)\s*:?\s*$", re.IGNORECASE)
# Phone signatures and Outlook separators left at the end once the history is cut.
_TRAILER = re.compile(
    r"(?:\n\s*(?:envoyé de mon (?:iphone|ipad)|sent from my (?:iphone|ipad)"
    r"|(?:obtenir|télécharger|get) outlook pour (?:ios|android)\S*"
    r"|get outlook for (?:ios|android)\S*|_{10,}|-{3,} ?(?:message d'origine|mail original"
    r"|message original|original message) ?-{3,}))+\s*\Z",
    re.IGNORECASE,
)


# Signatures, cut by desk rather than by mail-parser-reply: the library cuts from any line
# that starts with a sign-off word to the end ("Thanks, it still fails when…" or
# "Salutations à Paul, …" in the middle of a message lost the rest), and deletes any line
# starting "Warning:" that mentions mail. Its unambiguous markers are kept as they are: a
# "-- " line, Outlook's line of underscores, "Sent from my …"; a disclaimer goes with the
# signature it follows, never on its own.
_SENT_FROM = "|".join(MAIL_LANGUAGES[language]["sent_from"] for language in _LANGUAGES)
_MARKER = re.compile(
    rf"(?:{NOLIST_SIGNATURE_REGEX}|{OUTLOOK_MAIL_SEPARATOR}|\s*^{QUOTED_MATCH_INCLUDE}"
    rf"(?:{_SENT_FROM}) ?(?:(?:[\w.<>:// ]+)|(?:\w+ ){{1,3}})$)[\s\S]*",
    re.MULTILINE | re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    rf"^{QUOTED_MATCH_INCLUDE}(?P<word>"
    + "|".join(w for language in _LANGUAGES for w in MAIL_LANGUAGES[language]["signatures"])
    + r")(?P<tail>.*)$",
    re.IGNORECASE,
)
_NAME = re.compile(r"[A-ZÀ-Ý][\w'.-]*(?: [A-ZÀ-Ý][\w'.-]*){0,3}")
_SHORT_TAIL = re.compile(r"[^\W\d][\w'’-]*(?: [^\W\d][\w'’-]*){0,2}")  # "à tous"
_SIGNATURE_LINES, _SIGNATURE_WIDTH = 4, 60


def _signed_off(lines: list[str], at: int) -> bool:
    """Whether lines[at] is a real sign-off: the words alone on their line ("Cordialement,",
    "Best regards"), or followed by a name or a short phrase ("Best regards, John",
    "Bonne journée à tous") with at most a few short lines after it. A sentence that only
    starts with them ("Thanks, it still fails…", "Cordialement je vous signale…") is the
    message."""
    found = _SIGN_OFF.match(lines[at])
    if found is None or not any(line.strip() for line in lines[:at]):
        return False  # the library's rule too: a first line is never the signature
    tail = found["tail"].strip(" \t,.!;:-")
    if not tail:
        return True
    after = [line for line in lines[at + 1 :] if line.strip()]
    if len(after) > _SIGNATURE_LINES or any(len(line) > _SIGNATURE_WIDTH for line in after):
        return False
    if _NAME.fullmatch(tail):
        return True
    # "Thanks, it works": after a word that ends with its comma, only a name is a signature.
    return not found["word"].endswith(",") and bool(_SHORT_TAIL.fullmatch(tail))


def _without_signature(text: str) -> str:
    text = _MARKER.sub("", text)
    lines = text.split("\n")
    for at in range(len(lines)):
        if _signed_off(lines, at):
            return "\n".join(lines[:at])
    return text


def _first_reply(text: str) -> str:
    # keep_hyphen_lists: otherwise any line starting with "-" ("- PC-12") is taken for a
    # signature and everything after it is dropped.
    replies = ReplyText(text=text, languages=list(_LANGUAGES), keep_hyphen_lists=True)
    found = replies.read().replies
    # full_body: the first reply without the library's signature and disclaimer cuts.
    return _without_signature(found[0].full_body) if found else text


def new_words(text: str) -> str:
    """The reply alone: quoted history, client headers and signatures cut."""
    text = text.replace("\r\n", "\n").replace("\x00", "")
    text = _WRAPPED_ATTRIBUTION.sub(r"\g<first> \g<second>", text)
    text = _SEPARATOR.split(text, maxsplit=1)[0]
    if not text.strip():
        return ""
    reader = ReplyText(text=text, languages=list(_LANGUAGES), keep_hyphen_lists=True)
    header = reader.HEADER_REGEX.search(reader.text)
    if header is not None and not reader.text[: header.start()].strip():
        # Nothing typed above the quoted history (the library then returns a fragment of
        # the header, or the history itself as the words). After "On … wrote:" the history
        # is quoted with ">": the unquoted lines are a bottom-posted or inline answer.
        # After an Outlook "De : / Envoyé :" block, everything is history: no words.
        if not _ATTRIBUTION_END.search(header.group(0)):
            return ""
        rest = reader.text[header.end() :].split("\n")
        text = "\n".join(line for line in rest if not line.startswith(">"))
        if not text.strip():
            return ""
    words = _first_reply(text)
    return _TRAILER.sub("", "\n" + words).strip()
