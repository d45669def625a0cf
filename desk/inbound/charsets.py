"""Reading a message's bytes as text whatever its label says. Pure.

Charsets are often wrong or missing: bytes are read as UTF-8 when they are valid UTF-8, else
as Windows-1252; raw 8-bit header lines are read the same way. No control character reaches
the text (`readable`): a NUL sent in a body, which Dovecot serves as the byte 0x80 (IMAP
cannot carry a NUL), read as Windows-1252 showed as "€" in the person's words.
"""

from __future__ import annotations

import codecs
import re
from email.errors import HeaderParseError
from email.header import decode_header
from email.message import EmailMessage

# Charsets that are often wrong or missing: read the bytes as UTF-8 when they are valid
# UTF-8 (accented UTF-8 is almost never valid Latin-1 text the other way round), else as
# Windows-1252, the superset of Latin-1 that Windows clients send while declaring
# ISO-8859-1 (’ € – … are 0x80-0x9F there, control characters in Latin-1).
_SNIFFED = {"", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252"}
_UTF8_LABELS = {"utf-8", "utf8", "us-ascii", "ascii"}
_SNIFFED |= _UTF8_LABELS


# A character written in UTF-8 on two to four bytes (not plain ASCII).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def sniffed(payload: bytes, *, utf8: bool = False) -> str:
    """`payload` read as UTF-8, else Windows-1252 (`utf8`: the part says it is UTF-8 or
    ASCII)."""
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _UTF8_SEQUENCE.search(payload):
        # UTF-8 text with a few bytes that are not: a Latin-1 footer a relay added, a
        # character cut short, the 0x80 Dovecot serves for a NUL. Read as Windows-1252 whole,
        # every accent of the person's words came out as two signs ("Ã§a marche"): only the
        # stray bytes are.
        text = payload.decode("utf-8", errors="surrogateescape")
        return _EIGHT_BIT.sub(lambda m: _stray(ord(m.group()) - 0xDC00), text)
    if utf8 and not payload.translate(None, b"\x80").translate(None, _ASCII):
        # Said to be UTF-8 (or ASCII), and its only 8-bit bytes are 0x80, which is no
        # character there: Dovecot's stand-ins for NULs.
        return payload.replace(b"\x80", b"").decode("ascii")
    return _single_byte_text(payload)


_ASCII = bytes(range(128))


def _stray(byte: int) -> str:
    # In UTF-8 text a lone 0x80 is the NUL the IMAP server replaced, not a euro sign (which
    # UTF-8 writes on three bytes): nothing. Any other stray byte is read as Windows-1252.
    return "" if byte == 0x80 else _single_byte(byte)


def _single_byte(byte: int) -> str:
    return _single_byte_text(bytes([byte]))


def _single_byte_text(payload: bytes) -> str:
    try:
        return payload.decode("cp1252")
    except UnicodeDecodeError:
        return payload.decode("latin-1")  # never fails: 5 bytes undefined in Windows-1252


_EIGHT_BIT = re.compile("[\udc80-\udcff]")  # a raw byte the parser could not decode
_TEXT_HEADERS = {"subject", "content-type", "content-disposition"}


def mend_8bit_headers(message: EmailMessage) -> None:
    """Header lines written in raw 8-bit, as old clients and scripts do (Latin-1 mostly):
    the parser shows their bytes as "\ufffd", so a new request's title read "Probl\ufffdme"
    and a file "r\ufffdsum\ufffd.pdf". They are read as the bodies are (`sniffed`). Only
    the lines read as text: address lines stay as the parser reads them (desk.inbound.headers
    refuses an ambiguous From; read again as text, "marie@univ.fr\xa0<eve@…>" gave marie)."""
    for part in message.walk():
        raw = [(name, str(value)) for name, value in part.raw_items()]
        mended = {
            name.lower()
            for name, value in raw
            if _EIGHT_BIT.search(value) or any(map(_unknown_charset, _ENCODED_WORD.finditer(value)))
        }
        for name in mended & _TEXT_HEADERS:
            if "\ufffd" not in str(part.get(name, "")):
                continue  # the parser read it (UTF-8, even inside an encoded word): as it is
            # The first line of that name, the one read (each may appear once: a second
            # added back would be refused).
            first = next(value for n, value in raw if n.lower() == name)
            first = _ENCODED_WORD.sub(_word_read, first)
            del part[name]
            part[name] = "".join(sniffed(first.encode("utf-8", "surrogateescape")).splitlines())


# An RFC 2047 encoded word: =?charset(*language)?Q|B?text?=, with the white space that
# separates it from a next one (not part of the text, RFC 2047 §6.2).
_WORD = r"=\?([^?*\s]+)(?:\*[^?\s]*)?\?([qQbB])\?([^?\s]*)\?="
_ENCODED_WORD = re.compile(_WORD + r"(?:\s+(?==\?[^?*\s]+(?:\*[^?\s]*)?\?[qQbB]\?))?")


def _unknown_charset(word: re.Match[str]) -> bool:
    try:
        codecs.lookup(word.group(1))
    except LookupError:
        return True
    return False


def _word_read(word: re.Match[str]) -> str:
    """An encoded word's text; in a charset Python does not know ("unknown-8bit", which
    relays write around raw 8-bit header lines, or a made-up name) its bytes are read as an
    unlabelled body's, where the parser put "\ufffd" for each accent ("Probl\ufffdme")."""
    try:
        ((data, _charset),) = decode_header(f"=?utf-8?{word.group(2)}?{word.group(3)}?=")
    except (ValueError, HeaderParseError):  # bad base64 (binascii.Error is a ValueError)
        return word.group(0)
    if not isinstance(data, bytes):
        return word.group(0)
    try:
        return data.decode(word.group(1))
    except (LookupError, UnicodeError):
        return sniffed(data)


def charset_decoded(part: EmailMessage) -> str:
    charset = (part.get_content_charset() or "").lower()
    if charset in _SNIFFED:
        return sniffed(part.get_payload(decode=True) or b"", utf8=charset in _UTF8_LABELS)
    if charset.startswith(("utf-16", "utf-32", "ucs-2", "ucs-4")):
        payload = part.get_payload(decode=True) or b""
        if b"\0" not in payload:
            # Text in these encodings has a zero byte in almost every character (any Latin
            # letter); none at all means the label lies (a script labelling 8-bit text):
            # read as UTF-16, "plain words" became a line of Chinese characters.
            return sniffed(payload)
    try:
        return part.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset: read as unlabelled
        # ("unknown-8bit" on Latin-1 text read "Probl\ufffdme" when decoded as UTF-8).
        return sniffed(part.get_payload(decode=True) or b"")


# Control characters (C0 but tab and line feed, DEL, C1): never a person's words. A NUL is
# refused by PostgreSQL in text; the others are invisible or break a line's display. A
# carriage return, form feed or vertical tab ends a line.
_LINE_ENDS = re.compile(r"\r\n?|[\f\v]")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def readable(text: str) -> str:
    """`text` without control characters (tab and line feed kept, other line ends made line
    feeds)."""
    return _CONTROLS.sub("", _LINE_ENDS.sub("\n", text))
