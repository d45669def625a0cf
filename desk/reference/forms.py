"""Forms of the places administration."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from desk.core.forms import DeskForm
from desk.core.i18n import lazy_gettext as _l
from desk.reference.places import CODE_MAX, NAME_MAX

_strip = [lambda value: value.strip() if isinstance(value, str) else value]


def _english_name() -> StringField:
    # What is typed here is English: say so to screen readers and spell checkers (RGAA 8.7).
    return StringField(
        _l("English name (optional)"),
        filters=_strip,
        validators=[Optional(), Length(max=NAME_MAX, message=_l("The name is too long."))],
        render_kw={"lang": "en"},
    )


class PlaceForm(DeskForm):
    """Names (and, on creation, an optional code) of a site, building or floor."""

    name = StringField(
        _l("Name"),
        filters=_strip,
        validators=[
            DataRequired(_l("Enter a name.")),
            Length(max=NAME_MAX, message=_l("The name is too long.")),
        ],
    )
    name_en = _english_name()
    code = StringField(
        _l("Code"),
        filters=_strip,
        validators=[Optional(), Length(max=CODE_MAX, message=_l("The code is too long."))],
    )


class RenameForm(DeskForm):
    """New names for an existing place."""

    name = StringField(
        _l("Name"),
        filters=_strip,
        validators=[
            DataRequired(_l("Enter a name.")),
            Length(max=NAME_MAX, message=_l("The name is too long.")),
        ],
    )
    name_en = _english_name()


class ImportForm(DeskForm):
    """A CSV file of places."""

    file = FileField(_l("CSV file"))
