"""The Wi-Fi guest CSV file: guests read from an upload, every problem found, a template."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field

from desk.catalog.parsing.csvfile import decode_upload, numbered_rows, sniff_delimiter
from desk.catalog.parsing.emails import is_valid_email
from desk.catalog.parsing.issues import ParseIssue, _cap_issues, _echo
from desk.core.i18n import LazyText, lazy_text, number
from desk.core.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class Guest:
    """One Wi-Fi guest read from the CSV file."""

    last_name: str
    first_name: str
    email: str | None = None
    organisation: str | None = None


@dataclass
class GuestCsvResult:
    """Guests read from the file and the problems found; any issue means save nothing."""

    guests: list[Guest] = field(default_factory=list)
    issues: list[ParseIssue] = field(default_factory=list)


_FIELDS = ("last_name", "first_name", "email", "organisation")
_REQUIRED = ("last_name", "first_name")
_LABELS: dict[str, LazyText] = {
    "last_name": _l("last name"),
    "first_name": _l("first name"),
    "email": _l("e-mail"),
    "organisation": _l("organisation"),
}
_MAX_LENGTH = {"last_name": 100, "first_name": 100, "organisation": 200}
# Headings after _heading_key(): lower case, accents dropped, "-", "_", "." as spaces.
_HEADINGS = {
    "last_name": {"nom", "nom de famille", "last name", "lastname", "surname", "family name"},
    "first_name": {"prenom", "first name", "firstname", "given name"},
    "email": {
        "e mail",
        "email",
        "courriel",
        "mail",
        "adresse mail",
        "adresse e mail",
        "adresse email",
        "adresse electronique",
        "email address",
        "e mail address",
    },
    "organisation": {
        "organisation",
        "organization",
        "organisme",
        "etablissement",
        "societe",
        "company",
        "entreprise",
    },
}
# What text became where its bytes could not be read, before the file reached us.
_UNREADABLE = "\ufffd"
_UNREADABLE_VALUE = _l(
    "Part of this value could not be read (shown as �): the file went through another text "
    "encoding along the way. Correct the value, or export the file again as CSV UTF-8."
)
_HEADING_TO_FIELD = {h: f for f, headings in _HEADINGS.items() for h in headings}
# Marks a column under an unknown or duplicate heading: its values are skipped, since the
# heading issue already blocks the import and one issue per row would only add noise.
_IGNORED = ""


FRENCH_HEADINGS = ("nom", "prénom", "e-mail", "organisation")


def guest_headings() -> tuple[str, ...]:
    """The columns' headings in the reader's language (the parser reads either language)."""
    return tuple(str(_LABELS[name]) for name in _FIELDS)


def guest_csv_template(headings: tuple[str, ...] = FRENCH_HEADINGS, delimiter: str = ";") -> str:
    """A sample guest file (header and two rows) offered for download: the headings and the
    separator its reader's spreadsheet expects (";" in French, "," in English).

    Serve it encoded as "utf-8-sig": the BOM is what makes Excel read it as UTF-8.
    """
    rows = [
        headings,
        ("Dupont", "Marie", "marie.dupont@example.org", "Université de Lyon"),
        ("Martin", "Jean-Luc", "", "CNRS"),
    ]
    return "".join(delimiter.join(row) + "\r\n" for row in rows)


def _heading_key(cell: str) -> str:
    """A header cell reduced for comparison: case, accents and punctuation ignored."""
    decomposed = unicodedata.normalize("NFKD", cell)
    text = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    text = re.sub(r"[-_.]", " ", text).strip(" *:")
    return " ".join(text.split())


def _clean_cell(value: str) -> str:
    """A cell stripped, NFC-normalised, with inner runs of spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def parse_guest_csv(
    data: bytes, *, max_bytes: int = 512_000, max_rows: int = 2000
) -> GuestCsvResult:
    """Guests from an uploaded CSV file and every problem found in it.

    All or nothing: when `issues` is not empty the caller must save none of the guests and
    show all issues, so the user fixes the whole file in one go. Columns are last name,
    first name, e-mail, organisation, in that order unless the first row is a header (it
    is when any of its cells is a known heading, in French or English). E-mail addresses
    come back lower-cased; names and organisations with spaces collapsed, NFC-normalised.
    """
    if len(data) > max_bytes:
        return GuestCsvResult(
            issues=[
                ParseIssue(
                    0,
                    None,
                    _l(
                        "The file is too large (maximum %(max)d KB).",
                        max=max(1, max_bytes // 1024),
                    ),
                    "",
                )
            ]
        )
    text = decode_upload(data)
    if isinstance(text, ParseIssue):
        return GuestCsvResult(issues=[text])
    if not text.strip():
        return GuestCsvResult(issues=[ParseIssue(0, None, _l("The file is empty."), "")])

    delimiter = sniff_delimiter(text)
    issues: list[ParseIssue] = []
    guests: list[Guest] = []
    first_seen: dict[tuple[str, str, str], int] = {}
    # Column index -> field name, _IGNORED or None (see _read_row); no header: fixed order.
    columns: list[str | None] = list(_FIELDS)
    header_checked = False
    row_count = 0
    try:
        for line_no, row in numbered_rows(text, delimiter):
            if not any(cell.strip() for cell in row):
                continue  # blank lines, and the ";;;" rows Excel writes for them
            if not header_checked:
                header_checked = True
                if any(_heading_key(cell) in _HEADING_TO_FIELD for cell in row):
                    columns, header_issues = _read_header(line_no, row)
                    issues.extend(header_issues)
                    if any(f not in columns for f in _REQUIRED):
                        return GuestCsvResult(issues=_cap_issues(issues))
                    continue
            row_count += 1
            guest, row_issues = _read_row(line_no, row, columns)
            issues.extend(row_issues)
            if guest is None:
                continue
            key = (
                guest.last_name.casefold(),
                guest.first_name.casefold(),
                (guest.email or "").casefold(),
            )
            if key in first_seen:
                issues.append(
                    ParseIssue(
                        line_no,
                        None,
                        _l("Duplicate of line %(line)s.", line=number(first_seen[key])),
                        _echo(f"{guest.last_name} {guest.first_name}"),
                    )
                )
                continue
            first_seen[key] = line_no
            guests.append(guest)
    except csv.Error:
        # The lenient reader only fails on a field over csv's 128 KB limit: in practice an
        # unclosed quote that swallowed the rest of the file.
        issues.append(
            ParseIssue(0, None, _l("The file cannot be read as CSV; check the quotes."), "")
        )

    if row_count > max_rows:
        issues.insert(
            0,
            ParseIssue(
                0,
                None,
                _l(
                    "Too many guests: %(count)s (maximum %(max)s per file).",
                    count=number(row_count),
                    max=number(max_rows),
                ),
                "",
            ),
        )
    if row_count == 0 and not issues:
        issues.append(ParseIssue(0, None, _l("The file contains no guests."), ""))
    return GuestCsvResult(guests=guests, issues=_cap_issues(issues))


def _read_header(line_no: int, row: list[str]) -> tuple[list[str | None], list[ParseIssue]]:
    """Column fields from a header row, and issues about unknown or missing headings."""
    columns: list[str | None] = []
    issues: list[ParseIssue] = []
    for cell in row:
        name = _clean_cell(cell)
        field_name = _HEADING_TO_FIELD.get(_heading_key(name))
        if not name:
            columns.append(None)
        elif field_name is None:
            issues.append(
                ParseIssue(
                    line_no,
                    None,
                    _l(
                        "Unknown column heading; expected %(expected)s.",
                        expected=lazy_text(_expected_headings),
                    ),
                    _echo(name),
                )
            )
            columns.append(_IGNORED)
        elif field_name in columns:
            issues.append(
                ParseIssue(
                    line_no, _LABELS[field_name], _l("Duplicate column heading."), _echo(name)
                )
            )
            columns.append(_IGNORED)
        else:
            columns.append(field_name)
    for field_name in _REQUIRED:
        if field_name not in columns:
            issues.append(
                ParseIssue(line_no, _LABELS[field_name], _l("Missing column heading."), "")
            )
    return columns, issues


def _expected_headings() -> str:
    """The four column labels in the current language, for the unknown-heading message."""
    return ", ".join(str(_LABELS[f]) for f in _FIELDS)


def _read_row(
    line_no: int, row: list[str], columns: list[str | None]
) -> tuple[Guest | None, list[ParseIssue]]:
    """A guest from one data row, or None and the row's issues."""
    values: dict[str, str] = {}
    issues: list[ParseIssue] = []
    extra: list[str] = []
    for index, raw in enumerate(row):
        column = columns[index] if index < len(columns) else None
        if column == _IGNORED:
            continue
        if column is None:  # no heading, or beyond the last column: values are refused
            if raw.strip():
                extra.append(raw.strip())
            continue
        if "\n" in raw or "\r" in raw:
            # Legal CSV, but never wanted here; usually an unclosed quote swallowing lines.
            issues.append(
                ParseIssue(
                    line_no,
                    _LABELS[column],
                    _l("The value spans several lines; check the quotes."),
                    _echo(" ".join(raw.split())),
                )
            )
            continue
        value = _clean_cell(raw)
        if any(unicodedata.category(c) == "Cc" for c in value):
            issues.append(
                ParseIssue(
                    line_no,
                    _LABELS[column],
                    _l("The value contains control characters."),
                    _echo(value.encode("unicode_escape").decode("ascii")),
                )
            )
            continue
        if _UNREADABLE in value:
            # Decoded as UTF-8, the file holds U+FFFD itself: an editor that opened a Windows
            # export as UTF-8 and saved it wrote "Dupr�". Accounts would bear that name.
            issues.append(ParseIssue(line_no, _LABELS[column], _UNREADABLE_VALUE, _echo(value)))
            continue
        values[column] = value
    if extra:
        if len(columns) == len(_FIELDS) and all(columns):
            reason = _l("Too many columns (at most %(max)d).", max=len(_FIELDS))
        else:
            reason = _l("Value in a column without a heading.")
        issues.append(ParseIssue(line_no, None, reason, _echo(" | ".join(extra))))

    for name in _REQUIRED:
        if not values.get(name) and not any(i.column is _LABELS[name] for i in issues):
            issues.append(ParseIssue(line_no, _LABELS[name], _l("This value is required."), ""))
    for name, limit in _MAX_LENGTH.items():
        if len(values.get(name, "")) > limit:
            issues.append(
                ParseIssue(
                    line_no,
                    _LABELS[name],
                    _l("Too long (at most %(max)d characters).", max=limit),
                    _echo(values[name]),
                )
            )
    email = values.get("email", "").lower()
    if email and not is_valid_email(email):
        issues.append(
            ParseIssue(line_no, _LABELS["email"], _l("Invalid e-mail address."), _echo(email))
        )
    if issues:
        return None, issues
    return (
        Guest(
            last_name=values["last_name"],
            first_name=values["first_name"],
            email=email or None,
            organisation=values.get("organisation") or None,
        ),
        [],
    )
