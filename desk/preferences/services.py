"""User preferences: location (site → building → floor), language, HR phone numbers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from desk.auth.models import User
from desk.catalog.parsing import normalize_phone_fr
from desk.core.i18n import lazy_gettext as _l
from desk.extensions import db
from desk.reference.models import Building, Floor, Site

LANGUAGES = ("fr", "en")
BROWSER = "browser"


class LocationError(ValueError):
    """The chosen location is incomplete or inconsistent; `level` names the faulty list."""

    def __init__(self, level: str, message):
        super().__init__(message)
        self.level = level
        self.message = message


def _check_actor(user: User, actor: User) -> None:
    if actor.id != user.id and not actor.is_admin:
        raise PermissionError("only the user or an administrator may change preferences")


_DEACTIVATED = _l("This place has been deactivated; choose another one.")


def _get_place(model, place_id: int | None, level: str, missing):
    """The row for a chosen id, or a LocationError naming the level when there is none."""
    if place_id is None:
        return None
    place = db.session.get(model, place_id)
    if place is None:
        raise LocationError(level, missing)
    return place


def _has_active(model, parent_column, parent_id: int) -> bool:
    query = select(func.count()).select_from(model)
    query = query.where(parent_column == parent_id, model.is_active.is_(True))
    return bool(db.session.scalar(query))


def update_location(
    user: User,
    site_id: int | None,
    building_id: int | None,
    floor_id: int | None,
    *,
    actor: User,
    commit: bool = True,
) -> bool:
    """Set the user's place after checking the chain; returns whether anything changed.

    Levels are chosen in order: a building needs its site, a floor its building, and a level
    with something to offer must be filled. A deactivated place (or one under a deactivated
    parent) is accepted only where it is already the user's. Nothing is written on error.
    """
    _check_actor(user, actor)
    if site_id is None and building_id is None and floor_id is None:
        if user.site_id is None:
            return False  # never set, still not set: nothing to check
        raise LocationError("site", _l("Choose your site."))
    if site_id is None:
        raise LocationError("site", _l("Choose your site first."))
    if floor_id is not None and building_id is None:
        raise LocationError("building", _l("Choose your building before the floor."))

    site = _get_place(Site, site_id, "site", _l("This site does not exist."))
    building = _get_place(Building, building_id, "building", _l("This building does not exist."))
    floor = _get_place(Floor, floor_id, "floor", _l("This floor does not exist."))

    if building is not None and building.site_id != site.id:
        raise LocationError("building", _l("This building is not on the chosen site."))
    if floor is not None and floor.building_id != building.id:
        raise LocationError("floor", _l("This floor is not in the chosen building."))

    # Still open = the place and every level above it are active.
    open_ = site.is_active
    for level, place, current in (
        ("site", site, user.site_id),
        ("building", building, user.building_id),
        ("floor", floor, user.floor_id),
    ):
        if place is None:
            break
        open_ = open_ and place.is_active
        if not open_ and place.id != current:
            raise LocationError(level, _DEACTIVATED)

    if building is None and site.is_active and _has_active(Building, Building.site_id, site.id):
        raise LocationError("building", _l("Choose your building."))
    if (
        building is not None
        and floor is None
        and building.is_active
        and _has_active(Floor, Floor.building_id, building.id)
    ):
        raise LocationError("floor", _l("Choose your floor."))

    new = (site.id, building.id if building else None, floor.id if floor else None)
    changed = new != (user.site_id, user.building_id, user.floor_id)
    user.site_id, user.building_id, user.floor_id = new
    if commit:
        db.session.commit()
    return changed


def set_language(user: User, language: str, *, actor: User, commit: bool = True) -> bool:
    """Set "fr", "en", or "browser" (follow the browser); returns whether it changed."""
    _check_actor(user, actor)
    if language != BROWSER and language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    locale = None if language == BROWSER else language
    changed = user.locale != locale
    user.locale = locale
    if commit:
        db.session.commit()
    return changed


# ---------------------------------------------------------------------------------------
# Phone numbers from the HR system
# ---------------------------------------------------------------------------------------


@dataclass
class PhoneImportSummary:
    """Outcome of an HR phone import, line numbers included for what was skipped."""

    applied: list[tuple[int, str, str]] = field(default_factory=list)
    unchanged: int = 0
    unknown: list[tuple[int, str]] = field(default_factory=list)
    invalid: list[tuple[int, str, str]] = field(default_factory=list)
    superseded: list[int] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Plain-text report for the command line."""
        out = [
            f"applied: {len(self.applied)}",
            f"unchanged: {self.unchanged}",
            f"unknown users: {len(self.unknown)}",
            f"invalid numbers: {len(self.invalid)}",
        ]
        out += [f"  line {n}: unknown user {email}" for n, email in self.unknown]
        out += [f"  line {n}: invalid number {raw!r} ({why})" for n, raw, why in self.invalid]
        if self.superseded:
            lines = ", ".join(map(str, self.superseded))
            out.append(f"  lines {lines}: e-mail repeated further down; the last line was used")
        return out


def import_hr_phones(rows: Iterable[tuple[int, str, str]]) -> PhoneImportSummary:
    """Set professional numbers from an HR export of (line, e-mail, phone); safe to re-run.

    Numbers are stored in E.164. Bad lines are reported and skipped; good ones are saved in
    one transaction. When an e-mail appears twice, the last line wins (as in the HR system).
    """
    summary = PhoneImportSummary()
    wanted: dict[str, tuple[int, str]] = {}
    for line, email, raw in rows:
        email = email.strip().lower()
        if not email:
            summary.invalid.append((line, raw, "no e-mail address"))
            continue
        try:
            number = normalize_phone_fr(raw)
        except ValueError as exc:
            summary.invalid.append((line, raw, str(exc)))
            continue
        if email in wanted:
            summary.superseded.append(wanted[email][0])
        wanted[email] = (line, number)
    users = {
        u.email: u for u in db.session.scalars(select(User).where(User.email.in_(list(wanted))))
    }
    for email, (line, number) in sorted(wanted.items(), key=lambda kv: kv[1][0]):
        user = users.get(email)
        if user is None:
            summary.unknown.append((line, email))
        elif user.phone == number:
            summary.unchanged += 1
        else:
            user.phone = number
            summary.applied.append((line, email, number))
    db.session.commit()
    return summary
