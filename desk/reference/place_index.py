"""Every place in memory for a bulk import: read in three queries, written back in a few
batched statements at the end.

An import looked each line's places up and created them one by one, up to 16 queries a line
(2,000 lines took some 13 s on PostgreSQL). Here a line costs no query: the tree is read once
into plain records, lookups are dictionary reads, and `write()` sends, level by level (sites
first), one executemany of the English names set, one of the new rows, and one read of the
ids those rows were given (their children need them). Plain rows rather than ORM objects:
tens of thousands of ORM objects, with their events, cost seconds more; and an executemany
without RETURNING is one statement parsed once (a RETURNING batch is a query text of
thousands of parameters that psycopg parses anew for each thousand rows).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Table, bindparam, insert, literal, null, select, update

from desk.extensions import db
from desk.reference.models import Building, Floor, Site
from desk.reference.places import Level, clean_english, clean_name, free_code

_TABLES: dict[Level, tuple[Table, str | None]] = {
    "site": (Site.__table__, None),  # type: ignore[dict-item]
    "building": (Building.__table__, "site_id"),  # type: ignore[dict-item]
    "floor": (Floor.__table__, "building_id"),  # type: ignore[dict-item]
}


@dataclass(eq=False)
class IndexedPlace:
    """A place of the database, or one the import creates (no id until written); eq=False:
    hashed by identity, as the key of its children."""

    level: Level
    name: str
    code: str
    name_en: str | None
    parent: IndexedPlace | None
    id: int | None = None
    position: int = 0
    is_active: bool = True
    # An existing place whose English name the import changed.
    renamed: bool = False

    def set_english(self, name_en: str) -> bool:
        """Give the place this English name; False if it already had it."""
        if self.name_en == name_en:
            return False
        self.name_en, self.renamed = name_en, self.id is not None
        return True


def _key(name: str) -> str:
    """How a name is matched: spaces collapsed, case ignored."""
    return " ".join(name.split()).lower()


@dataclass
class _Siblings:
    """The places under one parent, by name and by code, and the last floor's position."""

    by_name: dict[str, IndexedPlace] = field(default_factory=dict)
    by_code: dict[str, IndexedPlace] = field(default_factory=dict)
    last_position: int = 0

    def add(self, place: IndexedPlace) -> None:
        self.by_name.setdefault(_key(place.name), place)
        self.by_code.setdefault(place.code, place)
        self.last_position = max(self.last_position, place.position)


class PlaceIndex:
    """The places of the database and those an import adds, looked up by parent and name."""

    def __init__(self) -> None:
        # Keyed by the parent (None for sites): a new building has no id yet.
        self._children: defaultdict[tuple[Level, IndexedPlace | None], _Siblings] = defaultdict(
            _Siblings
        )
        self._places: dict[Level, list[IndexedPlace]] = {}
        by_id: dict[int, IndexedPlace] = {}
        for level, (table, parent_column) in _TABLES.items():
            query = select(
                table.c.id,
                table.c.code,
                table.c.name,
                table.c.name_en,
                table.c.is_active,
                table.c[parent_column] if parent_column else null(),
                table.c.position if level == "floor" else literal(0),
            )
            places = []
            for id_, code, name, name_en, is_active, parent_id, position in db.session.execute(
                query
            ):
                parent = by_id[parent_id] if parent_column else None
                place = IndexedPlace(
                    level, name, code, name_en, parent, id_, position or 0, is_active
                )
                self._children[level, parent].add(place)
                places.append(place)
            # Ids are per table: the parents' map is only read while loading the next level.
            by_id = {place.id: place for place in places}  # type: ignore[misc]
            self._places[level] = places

    def find(self, level: Level, parent: IndexedPlace | None, value: str) -> IndexedPlace | None:
        """The place under `parent` of that name (case-insensitive) or, failing that, code."""
        siblings = self._children[level, parent]
        return siblings.by_name.get(_key(value)) or siblings.by_code.get(value.lower())

    def create(
        self, level: Level, name: str, parent: IndexedPlace | None, name_en: str | None
    ) -> IndexedPlace:
        """A new place under `parent`, checked as create_place checks one (PlaceError)."""
        name, english = clean_name(name), clean_english(name_en)
        siblings = self._children[level, parent]
        place = IndexedPlace(level, name, free_code(name, siblings.by_code), english, parent)
        if level == "floor":
            place.position = siblings.last_position + 1
        siblings.add(place)
        self._places[level].append(place)
        return place

    def write(self) -> None:
        """Save the English names set and the new places: a few statements per level,
        whatever their number."""
        for level, (table, parent_column) in _TABLES.items():
            places = self._places[level]
            renamed = [{"b_id": p.id, "b_name_en": p.name_en} for p in places if p.renamed]
            if renamed:
                db.session.execute(
                    update(table)
                    .where(table.c.id == bindparam("b_id"))
                    .values(name_en=bindparam("b_name_en")),
                    renamed,
                )
            new = [p for p in places if p.id is None]
            if new:
                self._insert(table, parent_column, new, read_ids=level != "floor")

    def _insert(
        self, table: Table, parent_column: str | None, new: list[IndexedPlace], *, read_ids: bool
    ) -> None:
        rows = []
        for place in new:
            row = {"code": place.code, "name": place.name, "name_en": place.name_en}
            row["is_active"] = True
            if parent_column:
                row[parent_column] = place.parent.id  # type: ignore[union-attr]
            if place.level == "floor":
                row["position"] = place.position
            rows.append(row)
        db.session.execute(insert(table), rows)
        if not read_ids:
            return
        # The ids given, matched by each row's unique (parent, code).
        parent = [table.c[parent_column]] if parent_column else []
        ids = {
            tuple(r[1:]): r[0]
            for r in db.session.execute(select(table.c.id, *parent, table.c.code))
        }
        for place, row in zip(new, rows, strict=True):
            key = (row[parent_column], row["code"]) if parent_column else (row["code"],)
            place.id = ids[key]
