"""Places (site → building → floor): the lists users choose from, and their administration.

Deactivating never deletes: users and tickets keep pointing to the row and keep showing its
name, but a deactivated place is no longer offered for a new choice.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container, Iterable
from dataclasses import dataclass
from typing import Literal, TypeVar

from sqlalchemy import func, select

from desk.core.collation import sort_key
from desk.core.i18n import lazy_gettext as _l
from desk.extensions import db
from desk.reference.models import Building, Floor, Site

Level = Literal["site", "building", "floor"]
Place = Site | Building | Floor
P = TypeVar("P", Site, Building, Floor)
MODELS: dict[str, type[Place]] = {"site": Site, "building": Building, "floor": Floor}
NAME_MAX = 120
CODE_MAX = 40
_CODE_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


class PlaceError(ValueError):
    """A place could not be created or changed; the message is shown next to the field."""

    def __init__(self, message, field: str = "name"):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Choice:
    """One option of a place list, named in the reader's language (`lang`: the name's)."""

    id: int
    name: str
    is_active: bool = True
    lang: str = "fr"


# ---------------------------------------------------------------------------------------
# What is offered
# ---------------------------------------------------------------------------------------


def _reading_order(place: Place) -> tuple:
    name = sort_key(place.local_name)
    return (place.position, name) if isinstance(place, Floor) else (name,)


def by_local_name(places: Iterable[P]) -> list[P]:
    """Places as their reader looks them up: by the name shown to them, in their language
    (floors by their position first: basement, ground floor, 1st...). Sorting by the stored
    French name put 'Library' after 'Sports hall' ('Bibliothèque' < 'Gymnase') for English
    readers, and 'Écully' after 'Zénith'."""
    return sorted(places, key=_reading_order)


def _offered(model: type[Place], parent_filter, current_id: int | None) -> list[Choice]:
    """Active rows under the parent, plus the current one even if it was deactivated since."""
    query = select(model)
    if parent_filter is not None:
        query = query.where(parent_filter)
    rows = by_local_name(db.session.scalars(query))
    return [
        Choice(r.id, r.local_name, r.is_active, r.local_lang)
        for r in rows
        if r.is_active or r.id == current_id
    ]


def offered_sites(current_id: int | None = None) -> list[Choice]:
    """Sites a user may choose."""
    return _offered(Site, None, current_id)


def offered_buildings(site_id: int | None, current_id: int | None = None) -> list[Choice]:
    """Buildings of a site a user may choose (none for a missing or deactivated site)."""
    site = db.session.get(Site, site_id) if site_id else None
    if site is None:
        return []
    choices = _offered(Building, Building.site_id == site.id, current_id)
    if not site.is_active:
        # Only someone already there keeps seeing it; no new building of a closed site.
        return [c for c in choices if c.id == current_id]
    return choices


def offered_floors(building_id: int | None, current_id: int | None = None) -> list[Choice]:
    """Floors of a building a user may choose."""
    building = db.session.get(Building, building_id) if building_id else None
    if building is None:
        return []
    choices = _offered(Floor, Floor.building_id == building.id, current_id)
    if not (building.is_active and building.site.is_active):
        return [c for c in choices if c.id == current_id]
    return choices


# ---------------------------------------------------------------------------------------
# Administration
# ---------------------------------------------------------------------------------------


def slugify(name: str) -> str:
    """A code from a name: "Bâtiment 16" → "batiment-16"."""
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")
    return slug[:CODE_MAX].strip("-") or "place"


def _siblings(model: type[Place], parent_id: int | None):
    query = select(model)
    if model is Building:
        query = query.where(Building.site_id == parent_id)
    elif model is Floor:
        query = query.where(Floor.building_id == parent_id)
    return query


def _parent_id(place: Place) -> int | None:
    if isinstance(place, Building):
        return place.site_id
    if isinstance(place, Floor):
        return place.building_id
    return None


def find_sibling_by_name(model: type[Place], parent_id: int | None, name: str) -> Place | None:
    """The place of that name (case-insensitive) under the same parent."""
    # Compared here, as the CSV import does (place_index): spaces collapsed, case ignored, the
    # same on both engines ("Étage 1" matches "ÉTAGE  1"). Siblings are few: read them all.
    key = " ".join(name.split()).lower()
    siblings = db.session.scalars(_siblings(model, parent_id))
    return next((p for p in siblings if " ".join(p.name.split()).lower() == key), None)


def clean_english(name_en: str | None) -> str | None:
    """An optional English name: None when empty."""
    name_en = " ".join((name_en or "").split())
    if len(name_en) > NAME_MAX:
        raise PlaceError(
            _l("The name is too long (%(max)d characters at most).", max=NAME_MAX), "name_en"
        )
    return name_en or None


def clean_name(name: str | None) -> str:
    """A place's name with its spaces collapsed; PlaceError when empty or too long."""
    name = " ".join((name or "").split())
    if not name:
        raise PlaceError(_l("Enter a name."))
    if len(name) > NAME_MAX:
        raise PlaceError(_l("The name is too long (%(max)d characters at most).", max=NAME_MAX))
    return name


def _unique_code(model: type[Place], parent_id: int | None, wanted: str | None, name: str) -> str:
    taken = set(db.session.scalars(_siblings(model, parent_id).with_only_columns(model.code)))
    if wanted:
        code = wanted.strip().lower()
        if not _CODE_RE.fullmatch(code):
            raise PlaceError(
                _l("A code uses lower-case letters, digits and dashes (40 characters at most)."),
                "code",
            )
        if code in taken:
            raise PlaceError(_l("This code is already used here."), "code")
        return code
    return free_code(name, taken)


def free_code(name: str, taken: Container[str]) -> str:
    """The code made from `name`, numbered ("-2", "-3"...) past the codes already taken."""
    base = slugify(name)
    code, n = base, 2
    while code in taken:
        suffix = f"-{n}"
        code, n = base[: CODE_MAX - len(suffix)] + suffix, n + 1
    return code


def create_place(
    level: Level,
    name: str,
    *,
    parent: Site | Building | None = None,
    code: str | None = None,
    name_en: str | None = None,
) -> Place:
    """Create a site, a building of `parent` (a site) or a floor of `parent` (a building)."""
    model = MODELS[level]
    if (level == "site") != (parent is None):
        raise ValueError("a site has no parent; a building or floor needs one")
    name = clean_name(name)
    english = clean_english(name_en)
    parent_id = parent.id if parent is not None else None
    if find_sibling_by_name(model, parent_id, name) is not None:
        raise PlaceError(_l("This name is already used here."))
    code = _unique_code(model, parent_id, code, name)
    if level == "site":
        place: Place = Site(code=code, name=name, is_active=True)
    elif level == "building":
        place = Building(site_id=parent_id, code=code, name=name, is_active=True)
    else:
        last = db.session.scalar(
            select(func.max(Floor.position)).where(Floor.building_id == parent_id)
        )
        place = Floor(
            building_id=parent_id, code=code, name=name, position=(last or 0) + 1, is_active=True
        )
    place.name_en = english
    db.session.add(place)
    db.session.flush()
    return place


def rename_place(place: Place, name: str, name_en: str | None = None) -> Place:
    """Give a place new names (its code, used by routing and imports, does not change)."""
    name = clean_name(name)
    english = clean_english(name_en)
    other = find_sibling_by_name(type(place), _parent_id(place), name)
    if other is not None and other.id != place.id:
        raise PlaceError(_l("This name is already used here."))
    place.name, place.name_en = name, english
    db.session.flush()
    return place


def set_place_active(place: Place, active: bool) -> Place:
    """Deactivate (no longer offered) or reactivate a place; nothing that points to it changes."""
    place.is_active = active
    db.session.flush()
    return place


def place_tree() -> list[Site]:
    """Every site with its buildings and floors, for the admin list (the template sorts
    buildings and floors with by_local_name)."""
    return by_local_name(db.session.scalars(select(Site)))


def users_per_place() -> dict[tuple[str, int], int]:
    """How many users point to each place (shown before deactivating)."""
    from desk.auth.models import User

    counts: dict[tuple[str, int], int] = {}
    for level, column in (
        ("site", User.site_id),
        ("building", User.building_id),
        ("floor", User.floor_id),
    ):
        rows = db.session.execute(
            select(column, func.count()).where(column.is_not(None)).group_by(column)
        )
        counts.update({(level, place_id): n for place_id, n in rows})
    return counts
