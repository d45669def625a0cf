"""Forms of the places administration."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from desk.core.i18n import lazy_gettext as _l
from desk.reference.places import CODE_MAX, NAME_MAX

_strip = [lambda value: value.strip() if isinstance(value, str) else value]


class PlaceForm(FlaskForm):
    """Name (and, on creation, an optional code) of a site, building or floor."""

    name = StringField(
        _l("Name"),
        filters=_strip,
        validators=[
            DataRequired(_l("Enter a name.")),
            Length(max=NAME_MAX, message=_l("The name is too long.")),
        ],
    )
    code = StringField(
        _l("Code"),
        filters=_strip,
        validators=[Optional(), Length(max=CODE_MAX, message=_l("The code is too long."))],
    )


class RenameForm(FlaskForm):
    """A new name for an existing place."""

    name = StringField(
        _l("Name"),
        filters=_strip,
        validators=[
            DataRequired(_l("Enter a name.")),
            Length(max=NAME_MAX, message=_l("The name is too long.")),
        ],
    )


class ImportForm(FlaskForm):
    """A CSV file of places."""

    file = FileField(_l("CSV file"))
