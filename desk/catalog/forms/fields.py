"""Field helpers shared by the request forms: filters, local dates, place selects."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, g, has_request_context, url_for
from sqlalchemy import select
from werkzeug.routing import BuildError
from wtforms import SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from desk.core.forms import WholeNumberField
from desk.core.i18n import LazyText, lang_kw, lazy_text
from desk.core.i18n import lazy_gettext as _l
from desk.core.input import parse_int
from desk.extensions import db
from desk.reference.models import Building, Floor, Site
from desk.reference.places import by_local_name


def filing_for_someone() -> bool:
    """Is a member of staff filing this request for someone else (`?pour=`: the person
    desk.catalog.behalf.behalf_requester read for this request)?"""
    return has_request_context() and g.get("filing_for") is not None


def voiced(own: LazyText, behalf: LazyText) -> LazyText:
    """A form's text that speaks to its requester ("your account") and, when staff file the
    request for them, speaks of them instead: the staff member reads the form, not the
    person. Chosen when shown, as the language is (templates test `for_user` instead)."""
    return lazy_text(lambda: str(behalf if filing_for_someone() else own))


# What bytes that are not UTF-8 become when a multipart form is decoded (Werkzeug replaces
# them): the requester must see it rather than send "imprimante cass�e".
_UNREADABLE = "\ufffd"


def one_line(value: object) -> object:
    """Filter: a one-line text (a subject, a name) is one line; runs of spaces and line
    breaks become one space."""
    return " ".join(value.split()) if isinstance(value, str) else value


def readable(form: Any, field: Any) -> None:
    """Validator of every free text of the forms: no text that the form's decoding could not
    read (identifiers, addresses and numbers refuse it through their own format)."""
    if isinstance(field.data, str) and _UNREADABLE in field.data:
        raise ValidationError(
            _l(
                "Part of this text could not be read (characters that are not valid UTF-8, "
                "shown as �). Paste it again from its source or retype it."
            )
        )


def strip(value: object) -> object:
    """Filter: surrounding spaces never matter in a text field."""
    return value.strip() if isinstance(value, str) else value


def display_tz() -> ZoneInfo:
    """The configured display time zone: dates typed by users are local to it."""
    return ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])


def local_today() -> dt.date:
    """Today's date where the users are (not in UTC)."""
    return dt.datetime.now(display_tz()).date()


def check_last_day(first: dt.date | None, last: dt.date | None) -> None:
    """A period's last day (guest accounts, an absence): not past, not before its first."""
    if not last:
        return
    if last < local_today():
        raise ValidationError(_l("The last day cannot be in the past."))
    if first and last < first:
        raise ValidationError(_l("The last day must be on or after the first day."))


def in_utc(local: dt.datetime | None) -> dt.datetime | None:
    """A date and time typed in the display zone, in UTC (the database's zone)."""
    if local is None:
        return None
    return local.replace(tzinfo=display_tz()).astimezone(dt.UTC)


def in_display_zone(value: dt.datetime | None) -> dt.datetime | None:
    """A stored UTC value as an editor shows it: local, naive."""
    return value.astimezone(display_tz()).replace(tzinfo=None) if value else None


def choices(pairs: list[tuple[object, object]], *, empty: object | None = None) -> list:
    """SelectChoice objects, with an optional empty first entry."""
    # Labels stay lazy: a class-level list is built at import, before any locale is known.
    result = [SelectChoice("", empty)] if empty is not None else []
    return result + [SelectChoice(str(value), label) for value, label in pairs]


def named_choices(rows, *, empty: object | None = None) -> list:
    """SelectChoice objects of places or calendars, named for the reader, `lang` when the name
    is in another language than the page (a French name on an English page)."""
    result = [SelectChoice("", empty)] if empty is not None else []
    return result + [
        SelectChoice(str(r.id), r.local_name, render_kw=lang_kw(r.local_lang)) for r in rows
    ]


CHOOSE = _l("— Choose —")
# Browsers send ISO dates; people typing by hand (no date picker) write them the French way,
# or as the English message's example shows them: every example a message gives is accepted.
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
INVALID_DATE = _l("Enter a date (for example 2026-03-14).")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]
INVALID_DATETIME = _l("Enter a date and a time (for example 2026-03-14 09:30).")


def _wire_refill(field: SelectField, target: str, endpoint: str, param: str) -> None:
    """Attributes read by static/places.js to refill the next list in place."""
    try:
        url = url_for(endpoint)
    except BuildError:  # no places API: the "Refresh lists" button does the job
        return
    field.render_kw = {"data-refill": target, "data-refill-url": f"{url}?{param}="}


class PlaceFields:
    """Site, building and floor selects, filtered by the choice above them.

    Without JavaScript the "Refresh lists" button re-renders the form with the buildings of
    the chosen site (and floors of the chosen building); with JavaScript the lists are refilled
    from the places API. Either way the chain is checked again on the server.
    """

    site = SelectField(_l("Site"), coerce=parse_int, validate_choice=False)
    building = SelectField(_l("Building"), coerce=parse_int, validate_choice=False)
    floor = SelectField(_l("Floor"), coerce=parse_int, validate_choice=False)
    refresh = SubmitField(_l("Refresh lists"))

    place_required = ("site", "building")

    def prefill_place(self, user) -> None:
        """Start from the user's saved location (a new form only), down to its first
        deactivated level: the lists offer no deactivated place, and a site no longer
        offered left its building and floor selected under "— Choose —"."""
        for model, place_id, field in (
            (Site, user.site_id, self.site),
            (Building, user.building_id, self.building),
            (Floor, user.floor_id, self.floor),
        ):
            place = db.session.get(model, place_id) if place_id else None
            if place is None or not place.is_active:
                return
            field.data = place.id

    def load_place_choices(self) -> None:
        """Fill the three lists from the active places matching the current choices."""
        for name in self.place_required:  # marked with the form's "required" asterisk
            self[name].flags.required = True
        # In the reader's order, by the names they read (as the places API gives them).
        sites = by_local_name(db.session.scalars(select(Site).where(Site.is_active)))
        self.site.choices = named_choices(sites, empty=CHOOSE)
        buildings = []
        # Only under a site of the list: a deactivated one (forged, or the user's own before
        # prefill_place stopped at it) offered its buildings under "— Choose —".
        if self.site.data and any(s.id == self.site.data for s in sites):
            buildings = by_local_name(
                db.session.scalars(
                    select(Building).where(Building.site_id == self.site.data, Building.is_active)
                )
            )
        self.building.choices = named_choices(buildings, empty=CHOOSE)
        floors = []
        if self.building.data and any(b.id == self.building.data for b in buildings):
            floors = by_local_name(
                db.session.scalars(
                    select(Floor).where(Floor.building_id == self.building.data, Floor.is_active)
                )
            )
        self.floor.choices = named_choices(floors, empty=CHOOSE)
        _wire_refill(self.site, "building", "reference.api_buildings", "site")
        _wire_refill(self.building, "floor", "reference.api_floors", "building")

    def validate_site(self, field) -> None:
        if field.data is None:
            if "site" in self.place_required:
                raise ValidationError(_l("Choose a site."))
            return
        site = db.session.get(Site, field.data)
        if site is None or not site.is_active:
            raise ValidationError(_l("Choose a site from the list."))

    def validate_building(self, field) -> None:
        if field.data is None:
            if "building" in self.place_required:
                raise ValidationError(_l("Choose a building."))
            return
        building = db.session.get(Building, field.data)
        if building is None or not building.is_active:
            raise ValidationError(_l("Choose a building from the list."))
        # Against a site that passed its own checks only (fields are validated in order):
        # "choose a site" alone says what is wrong with a missing or refused one.
        if building.site_id != self.site.data and not self.site.errors:
            raise ValidationError(
                _l("This building is not on the chosen site: choose again (Refresh lists).")
            )

    def validate_floor(self, field) -> None:
        if field.data is None:
            if "floor" in self.place_required:
                raise ValidationError(_l("Choose a floor."))
            return
        floor = db.session.get(Floor, field.data)
        if floor is None or not floor.is_active:
            raise ValidationError(_l("Choose a floor from the list."))
        if floor.building_id != self.building.data and not self.building.errors:
            raise ValidationError(
                _l("This floor is not in the chosen building: choose again (Refresh lists).")
            )

    def place_ids(self) -> tuple[int | None, int | None, int | None]:
        """The validated (site, building, floor) ids."""
        return self.site.data, self.building.data, self.floor.data

    def place_label(self) -> str:
        """The place as one readable line, kept in the ticket data."""
        parts = []
        for model, value in (
            (Site, self.site.data),
            (Building, self.building.data),
            (Floor, self.floor.data),
        ):
            row = db.session.get(model, value) if value else None
            if row is not None:
                parts.append(row.name)
        return " › ".join(parts)


class BlankIntegerField(WholeNumberField):
    """A whole-number field where an empty input means "no value" (not a format error)."""

    def process_formdata(self, valuelist: list) -> None:
        if valuelist and not str(valuelist[0]).strip():
            self.data = None
            return
        super().process_formdata(valuelist)
