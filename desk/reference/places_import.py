"""Bulk import of places from a CSV file (site; building; floor), and CSV reading helpers.

The import is all-or-nothing: every line is checked, and if one is wrong nothing is saved and
the report lists each bad line. A half-imported tree (a building without the floors meant for
it) is harder to repair than a file; since existing places are reused by name, the fixed file
can simply be imported again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from desk.core.i18n import lazy_gettext as _l
from desk.extensions import db
from desk.reference.models import Building, Floor, Site
from desk.reference.places import MODELS, Level, Place, PlaceError, create_place

Row = tuple[int, list[str]]


def decode_csv(data: bytes) -> str:
    """Text of an uploaded file: UTF-8 (with or without BOM), else Windows-1252 (Excel)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_rows(text: str, is_header: Callable[[list[str]], bool]) -> list[Row]:
    """Non-blank rows with their line numbers; `;` or `,` separated; an optional header skipped."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    rows: list[Row] = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    first_row = True
    for cells in reader:
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if first_row and is_header(cells):
            first_row = False
            continue
        first_row = False
        rows.append((reader.line_num, cells))
    return rows


_HEADER_WORDS = {"site", "building", "floor", "bâtiment", "batiment", "étage", "etage"}


def is_places_header(cells: list[str]) -> bool:
    """The first line names the columns rather than a place."""
    return bool(cells) and cells[0].lower() in _HEADER_WORDS


@dataclass
class PlaceImportReport:
    """What an import created, what it found already there, and what was wrong."""

    created: dict[str, int] = field(default_factory=lambda: {"site": 0, "building": 0, "floor": 0})
    existing: int = 0
    errors: list[tuple[int, object]] = field(default_factory=list)
    warnings: list[tuple[int, object]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _find(level: Level, parent_id: int | None, value: str) -> Place | None:
    """An existing place under the parent, by name (case-insensitive) or by code."""
    model = MODELS[level]
    query = select(model)
    if level == "building":
        query = query.where(Building.site_id == parent_id)
    elif level == "floor":
        query = query.where(Floor.building_id == parent_id)
    by_name = query.where(func.lower(model.name) == value.lower()).limit(1)
    found = db.session.scalars(by_name).first()
    if found is None:
        found = db.session.scalars(query.where(model.code == value.lower()).limit(1)).first()
    return found


_LEVEL_LABELS = {"site": _l("site"), "building": _l("building"), "floor": _l("floor")}


def _line(report: PlaceImportReport, line: int, cells: list[str]) -> None:
    if len(cells) > 3:
        report.errors.append((line, _l("Expected at most 3 columns: site; building; floor.")))
        return
    names = [*cells, "", ""][:3]
    if not names[0]:
        report.errors.append((line, _l("The site is missing.")))
        return
    if names[2] and not names[1]:
        report.errors.append((line, _l("A floor needs a building.")))
        return
    parent: Site | Building | None = None
    for level, name in zip(("site", "building", "floor"), names, strict=True):
        if not name:
            break
        place = _find(level, parent.id if parent else None, name)
        if place is None:
            try:
                place = create_place(level, name, parent=parent)
            except PlaceError as exc:
                report.errors.append(
                    (line, _l("%(level)s: %(reason)s", level=_LEVEL_LABELS[level], reason=exc))
                )
                return
            report.created[level] += 1
        else:
            report.existing += 1
            if not place.is_active:
                report.warnings.append(
                    (
                        line,
                        _l("“%(name)s” exists but is deactivated; it stays so.", name=place.name),
                    )
                )
        if level != "floor":
            parent = place  # type: ignore[assignment]


def import_places(data: bytes, *, commit: bool = True) -> PlaceImportReport:
    """Create the missing sites, buildings and floors of a CSV file; nothing if a line is bad."""
    report = PlaceImportReport()
    rows = read_rows(decode_csv(data), is_places_header)
    if not rows:
        report.errors.append((0, _l("The file contains no place.")))
    for line, cells in rows:
        _line(report, line, cells)
    if report.errors:
        db.session.rollback()
        report.created = dict.fromkeys(report.created, 0)
    elif commit:
        db.session.commit()
    return report
