"""Reading an uploaded CSV file: text encoding, separator and physical line numbers.

Shared by every CSV upload: the Wi-Fi guest list here, the places import of `desk.reference`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from desk.catalog.parsing.issues import _LINE_SPLIT_RE, ParseIssue
from desk.core.i18n import lazy_gettext as _l

# File signatures of the spreadsheets people upload instead of a CSV export.
_SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_DELIMITERS = (";", ",", "\t")


def decode_upload(data: bytes) -> str | ParseIssue:
    """The file's text (UTF-8, UTF-8 with BOM, UTF-16 with BOM or Windows-1252) or an issue."""
    if data.startswith(_UTF16_BOMS):
        # Excel's "Unicode text" export: UTF-16 with a BOM (its NUL bytes are not binary).
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            pass
        else:
            if "\x00" not in text:  # NUL cannot be stored (and no text file holds one)
                return text
    elif data.startswith(_SPREADSHEET_MAGIC):
        return ParseIssue(
            0,
            None,
            _l("This is a spreadsheet file, not a CSV file: save it as CSV and try again."),
            "",
        )
    elif b"\x00" not in data:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        try:
            # Not UTF-8: assume a French Excel export. cp1252 leaves 5 bytes undefined,
            # so a strict decode still catches files in other encodings.
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return ParseIssue(
                0,
                None,
                _l("Unreadable text encoding: save the file as CSV UTF-8 and try again."),
                "",
            )
    return ParseIssue(0, None, _l("This is not a CSV or text file."), "")


def _count_outside_quotes(line: str, char: str) -> int:
    """How many times char occurs in line outside double-quoted fields."""
    count = 0
    quoted = False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == char and not quoted:
            count += 1
    return count


def sniff_delimiter(text: str) -> str:
    """The separator most used on the first non-blank line; ";" wins ties (French Excel)."""
    first = next((ln for ln in _LINE_SPLIT_RE.split(text) if ln.strip()), "")
    counts = {d: _count_outside_quotes(first, d) for d in _DELIMITERS}
    # max() keeps the first of equal counts, hence the order of _DELIMITERS.
    return max(_DELIMITERS, key=lambda d: counts[d])


def numbered_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """CSV rows with the physical line number on which each row starts."""
    # newline="" keeps \r, \n and \r\n as line ends, so reader.line_num counts the
    # physical lines of the file, quoted multi-line fields included.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous = 0
    for row in reader:
        yield previous + 1, row
        previous = reader.line_num
