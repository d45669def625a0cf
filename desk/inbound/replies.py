"""A reply's new words: its quoted history, client headers and signature cut. Pure.

Quoted history is cut by mail-parser-reply, which knows the French and English clients'
markers ("Le … a écrit :", Outlook's "De : / Envoyé :" block); desk adds what it misses
(Gmail's attribution wrapped over two lines, Zimbra's "Mail original", an answer below the
quote, phone signatures) and cuts signatures itself: at "-- " and the like, and at a sign-off
("Cordialement,") only when it is one, not at a sentence that starts with its word.
"""

from __future__ import annotations

import re
from itertools import islice

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
# A long sender's name (« Centre de services numériques de l'Université de Montpellier »)
# takes it over three lines, and the wrap may fall inside "a écrit".
_WRAPPED_ATTRIBUTION = re.compile(
    r"^(?P<first>(?:> ?)*(?:Le|On) [^\n]*\d:\d\d[^\n]*)\n"  # the date's time: not a sentence
    r"(?:(?P<middle>(?:> ?)*[^\n]*\S[^\n]*)\n)??"
    r"(?P<second>(?:> ?)*(?:[^\n]*(?:a écrit|wrote)|écrit) ?:)[ \t]*$",
    re.MULTILINE | re.IGNORECASE,
)
# Outlook's header block of the answered message: "De : / Envoyé : / À : / Objet :" in
# French, "From: / Sent:" in English, "Von: / Gesendet:" in German (its "AW:"), and in
# Outlook for Mac and Android a "Date :" line. mail-parser-reply knows only the French
# block with a plain space before each colon, and no "Date :" line: Outlook for Windows
# writes a no-break space there (the whole history was kept as the words), Outlook for
# Mac a "Date :" line (its "De : / Date :" lines were). Three header lines in a row, the
# first naming the sender: typed words that start with "De : mon côté" are not one.
_HEADER_NAMES = (
    r"envoyé|sent|gesendet|date|datum|à|to|an|objet|subject|betreff|cc|cci|bcc|"
    r"répondre à|reply-to|importance"
)
_HEADER_BLOCK = re.compile(
    r"^[ \t>*]*(?:de|from|von)[ \t]?\*?:[^\n]*\n"
    rf"(?:[ \t>*]*(?:{_HEADER_NAMES})[ \t]?\*?:[^\n]*\n){{2,}}",
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
    r"|envoyé depuis (?:mon|ma|l'|l’)[^\n]{1,60}"  # « l'application Mail Orange »
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


def _signed_off(lines: list[str], at: int, *, typed_before: bool) -> bool:
    """Whether lines[at] is a real sign-off: the words alone on their line ("Cordialement,",
    "Best regards"), or followed by a name or a short phrase ("Best regards, John",
    "Bonne journée à tous") with at most a few short lines after it. A sentence that only
    starts with them ("Thanks, it still fails…", "Cordialement je vous signale…") is the
    message. `typed_before`: a line above it has words (the library's rule too: a first
    line is never the signature)."""
    found = _SIGN_OFF.match(lines[at])
    if found is None or not typed_before:
        return False
    tail = found["tail"].strip(" \t,.!;:-")
    if not tail:
        return True
    # Only as many lines as decide it: reading every line below each candidate made a
    # message of 50,000 "Cordialement, Jean" lines take hours (quadratic).
    below = (lines[i] for i in range(at + 1, len(lines)) if lines[i].strip())
    after = list(islice(below, _SIGNATURE_LINES + 1))
    if len(after) > _SIGNATURE_LINES or any(len(line) > _SIGNATURE_WIDTH for line in after):
        return False
    if _NAME.fullmatch(tail):
        return True
    # "Thanks, it works": after a word that ends with its comma, only a name is a signature.
    return not found["word"].endswith(",") and bool(_SHORT_TAIL.fullmatch(tail))


def _without_signature(text: str) -> str:
    text = _MARKER.sub("", text)
    lines = text.split("\n")
    typed = False
    for at, line in enumerate(lines):
        if _signed_off(lines, at, typed_before=typed):
            return "\n".join(lines[:at])
        typed = typed or bool(line.strip())
    return text


def _first_reply(text: str) -> str:
    # keep_hyphen_lists: otherwise any line starting with "-" ("- PC-12") is taken for a
    # signature and everything after it is dropped.
    replies = ReplyText(text=text, languages=list(_LANGUAGES), keep_hyphen_lists=True)
    found = replies.read().replies
    # full_body: the first reply without the library's signature and disclaimer cuts.
    return _without_signature(found[0].full_body) if found else text


# The cutter's regular expressions (mail-parser-reply's, and some of desk's) take time in the
# square or the cube of a line's length on some lines: one line "On On On …" of 24,000
# characters took a minute, a message of a few megabytes would hold the poll for days, and
# the messages behind it with it. So they see the first _SCANNED characters only (the new
# words are on top; past that it is history), in lines of at most _LINE characters: a longer
# line is cut where two words meet, with private-use characters that join it again after.
_SCANNED = 100_000
_LINE = 300
_CUT_END, _CUT_START = "\ue001", "\ue000"
_CUT = _CUT_END + "\n" + _CUT_START
_LONG_LINE = re.compile(rf"[^\n]{{{_LINE + 1},}}")
_PIECE = re.compile(rf"[^\n]{{1,{_LINE}}}(?=\S|\Z)|[^\n]+?(?=\S|\Z)", re.DOTALL)


def _in_pieces(text: str) -> str:
    """`text` cut for the regular expressions: short enough, no line longer than _LINE."""
    text = text.replace(_CUT_END, "").replace(_CUT_START, "")
    if len(text) > _SCANNED:
        text = text[:_SCANNED].rsplit("\n", 1)[0]
    # A piece ends before a word's first letter (trailing spaces are kept: the library strips
    # each line, and the join below must give the line back as it was).
    return _LONG_LINE.sub(lambda line: _CUT.join(_PIECE.findall(line.group())), text)


def _joined(words: str) -> str:
    return words.replace(_CUT, "").replace(_CUT_END, "").replace(_CUT_START, "")


def new_words(text: str) -> str:
    """The reply alone: quoted history, client headers and signatures cut."""
    return _joined(_new_words(_in_pieces(text.replace("\r\n", "\n").replace("\x00", ""))))


def _attribution(found: re.Match[str]) -> str:
    return " ".join(part for part in found.group("first", "middle", "second") if part)


def _new_words(text: str) -> str:
    # French typography puts a no-break space before a colon ("De\xa0:", "a écrit\xa0:"),
    # as Outlook and Apple Mail write them; the markers below expect a space.
    text = text.replace("\xa0", " ").replace("\u202f", " ")
    text = _WRAPPED_ATTRIBUTION.sub(_attribution, text)
    text = _SEPARATOR.split(text, maxsplit=1)[0]
    text = _HEADER_BLOCK.split(text + "\n", maxsplit=1)[0]
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
