"""Bulk import of places from a CSV file (site; building; floor), and CSV reading helpers.

Three more columns, optional, give the English names (site_en; building_en; floor_en): files
written before they existed (three columns at most) read exactly as before. An English name
sets that of the place, new or existing; an empty cell leaves it as it is.

The import is all-or-nothing: every line is checked, and if one is wrong nothing is saved and
the report lists each bad line. A half-imported tree (a building without the floors meant for
it) is harder to repair than a file; since existing places are reused by name, the fixed file
can simply be imported again.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field

from desk.catalog.parsing.csvfile import decode_upload, numbered_rows, sniff_delimiter
from desk.catalog.parsing.issues import ParseIssue
from desk.core.i18n import lazy_gettext as _l
from desk.core.i18n import number
from desk.extensions import db
from desk.reference.place_index import IndexedPlace, PlaceIndex
from desk.reference.places import NAME_MAX, Level, PlaceError

Row = tuple[int, list[str]]


class UnreadableCsv(ValueError):
    """The file is not a CSV file desk can read; `message` says why (translated at display)."""

    def __init__(self, message: object):
        super().__init__(str(message))
        self.message = message


def decode_csv(data: bytes) -> str:
    """Text of an uploaded file, read as the Wi-Fi guest list is: UTF-8 (with or without BOM),
    UTF-16 with a BOM or Windows-1252 (Excel). UnreadableCsv for a spreadsheet, a binary file
    or another encoding: before, those were decoded with replacement characters and their NUL
    bytes reached PostgreSQL (a 500)."""
    text = decode_upload(data)
    if isinstance(text, ParseIssue):
        raise UnreadableCsv(text.reason)
    return text


def read_rows(text: str, is_header: Callable[[list[str]], bool]) -> list[Row]:
    """Non-blank rows with the line each starts on; `;`, `,` or tab separated; an optional
    header skipped. UnreadableCsv if the csv module gives up (an unclosed quote that runs
    past its 128 KB field limit)."""
    rows: list[Row] = []
    first_row = True
    try:
        for line, raw_cells in numbered_rows(text, sniff_delimiter(text)):
            cells = [c.strip() for c in raw_cells]
            if not any(cells):
                continue
            if first_row and is_header(cells):
                first_row = False
                continue
            first_row = False
            rows.append((line, cells))
    except csv.Error:
        raise UnreadableCsv(_l("The file cannot be read as CSV; check the quotes.")) from None
    return rows


# The existing places are read once and the new ones written together (place_index), so a line
# costs no query: 20,000 lines that each create a site, a building and a floor take 2 s on
# PostgreSQL (5 to 9 s while other work loads both cores), within gunicorn's 30 s timeout;
# each line used to cost up to 16 queries (2,000 lines, 13 s). A larger file is more places
# than a university has: one to split, said before anything is read into the database.
MAX_LINES = 20_000
_HEADER_WORDS = {"site", "building", "floor", "bâtiment", "batiment", "étage", "etage"}
LEVELS: tuple[Level, ...] = ("site", "building", "floor")


def is_places_header(cells: list[str]) -> bool:
    """The first line names the columns rather than a place."""
    return bool(cells) and cells[0].lower() in _HEADER_WORDS


@dataclass
class PlaceImportReport:
    """What an import created, what it found already there, and what was wrong."""

    created: dict[str, int] = field(default_factory=lambda: {"site": 0, "building": 0, "floor": 0})
    existing: int = 0
    # Existing places whose English name the file set or changed.
    english_names: int = 0
    errors: list[tuple[int, object]] = field(default_factory=list)
    warnings: list[tuple[int, object]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


_LEVEL_LABELS = {"site": _l("site"), "building": _l("building"), "floor": _l("floor")}


def _line(report: PlaceImportReport, index: PlaceIndex, line: int, cells: list[str]) -> None:
    if len(cells) > 6:
        report.errors.append(
            (
                line,
                _l(
                    "Expected at most 6 columns: site; building; floor; "
                    "then their English names (optional)."
                ),
            )
        )
        return
    padded = [*cells, "", "", "", "", ""]
    names, english = padded[:3], padded[3:6]
    if not names[0]:
        report.errors.append((line, _l("The site is missing.")))
        return
    if names[2] and not names[1]:
        report.errors.append((line, _l("A floor needs a building.")))
        return
    if any(en and not name for name, en in zip(names, english, strict=True)):
        report.errors.append((line, _l("An English name needs the French name next to it.")))
        return
    parent: IndexedPlace | None = None
    for level, name, name_en in zip(LEVELS, names, english, strict=True):
        if not name:
            break
        place = index.find(level, parent, name)
        if place is None:
            try:
                place = index.create(level, name, parent, name_en or None)
            except PlaceError as exc:
                report.errors.append(
                    (line, _l("%(level)s: %(reason)s", level=_LEVEL_LABELS[level], reason=exc))
                )
                return
            report.created[level] += 1
        else:
            report.existing += 1
            if name_en and not _set_english(report, line, level, place, name_en):
                return
            if not place.is_active:
                report.warnings.append(
                    (
                        line,
                        _l("“%(name)s” exists but is deactivated; it stays so.", name=place.name),
                    )
                )
        parent = place


def _set_english(
    report: PlaceImportReport, line: int, level: Level, place: IndexedPlace, name_en: str
) -> bool:
    """Give an existing place the file's English name; False (and an error) if unusable."""
    name_en = " ".join(name_en.split())
    if len(name_en) > NAME_MAX:
        reason = _l("The name is too long (%(max)d characters at most).", max=NAME_MAX)
        report.errors.append(
            (line, _l("%(level)s: %(reason)s", level=_LEVEL_LABELS[level], reason=reason))
        )
        return False
    if place.set_english(name_en):
        report.english_names += 1
    return True


def import_places(data: bytes, *, commit: bool = True) -> PlaceImportReport:
    """Create the missing sites, buildings and floors of a CSV file; nothing if a line is bad.
    UnreadableCsv, before anything is read into the database, if it is not a CSV file."""
    report = PlaceImportReport()
    rows = read_rows(decode_csv(data), is_places_header)
    if not rows:
        report.errors.append((0, _l("The file contains no place.")))
    if len(rows) > MAX_LINES:
        report.errors.append(
            (
                0,
                _l(
                    "Too many lines: %(count)s (at most %(max)s per file). Split the file and "
                    "import each part.",
                    count=number(len(rows)),
                    max=number(MAX_LINES),
                ),
            )
        )
        return report
    index = PlaceIndex()
    for line, cells in rows:
        _line(report, index, line, cells)
    if report.errors:
        db.session.rollback()
        report.created = dict.fromkeys(report.created, 0)
        report.english_names = 0
        return report
    index.write()
    if commit:
        db.session.commit()
    return report
