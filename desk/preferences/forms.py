"""The preferences form. Place lists get their choices from the view (they depend on the data).

There is deliberately no phone field: the number comes from the HR system, and a `phone` value
slipped into a POST is simply never read.
"""

from __future__ import annotations

from flask_babel import gettext as _
from wtforms import SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf

from desk.core.forms import DeskForm
from desk.core.i18n import lang_kw
from desk.core.i18n import lazy_gettext as _l
from desk.core.input import parse_int
from desk.preferences.services import BROWSER, LANGUAGES, LocationError
from desk.reference.places import Choice

LEVELS = ("site", "building", "floor")
_INVALID = {
    "site": _l("Choose a site from the list."),
    "building": _l("Choose a building from the list."),
    "floor": _l("Choose a floor from the list."),
}


def _place_field(label) -> SelectField:
    # Choices are checked by the service (chain, active flags), which gives better messages
    # than WTForms' generic "Not a valid choice".
    return SelectField(label, choices=[], validate_choice=False, default="")


class PreferencesForm(DeskForm):
    """Location, language; "refresh" re-draws the place lists without saving (no JavaScript)."""

    site = _place_field(_l("Site"))
    building = _place_field(_l("Building"))
    floor = _place_field(_l("Floor"))
    language = SelectField(
        _l("Language"),
        # Language names are written in their own language, so that anyone can find theirs,
        # and say so (`lang`) to screen readers (RGAA 8.7).
        choices=lambda: [
            SelectChoice(BROWSER, str(_l("Same as my browser"))),
            SelectChoice("fr", "Français", render_kw={"lang": "fr"}),
            SelectChoice("en", "English", render_kw={"lang": "en"}),
        ],
        validate_choice=False,
        default=BROWSER,
        validators=[AnyOf([BROWSER, *LANGUAGES], message=_l("Choose a language from the list."))],
    )
    refresh = SubmitField(_l("Update the lists"))
    save = SubmitField(_l("OK"))

    def place_id(self, level: str) -> int | None:
        """The submitted id of one level; LocationError when it is not a number."""
        raw = (getattr(self, level).data or "").strip()
        if not raw:
            return None
        value = parse_int(raw)
        if value is None:
            raise LocationError(level, _INVALID[level])
        return value

    def set_place_choices(self, level: str, choices: list[Choice]) -> None:
        """Fill a list: a blank first entry, then the places (a deactivated one is marked)."""
        field = getattr(self, level)
        blank = {
            "site": _("Choose a site"),
            "building": _("Choose a building"),
            "floor": _("Choose a floor"),
        }[level]
        field.choices = [SelectChoice("", f"— {blank} —")] + [
            SelectChoice(
                str(c.id),
                c.name if c.is_active else _("%(name)s (deactivated)", name=c.name),
                # A deactivated one mixes the name and the page's words: left unmarked.
                render_kw=lang_kw(c.lang) if c.is_active else {},
            )
            for c in choices
        ]

    def link_lists(self, buildings_url: str, floors_url: str) -> None:
        """Tell static/places.js which list each choice refills, and from where."""
        self.site.render_kw = {"data-refill": self.building.id, "data-refill-url": buildings_url}
        self.building.render_kw = {"data-refill": self.floor.id, "data-refill-url": floors_url}
