"""The disruption editor's form."""

from __future__ import annotations

import datetime as dt

from wtforms import DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional, ValidationError

from desk.catalog.forms.fields import DATETIME_FORMATS, INVALID_DATETIME, in_utc
from desk.core.db import utcnow
from desk.core.forms import DeskForm, Length, clean_text
from desk.core.i18n import lazy_gettext as _l
from desk.core.input import parse_int
from desk.queues.forms import options
from desk.status.services import BACKDATE, HORIZON

MAX_TITLE = 120
MAX_DETAILS = 2000
EVERY_SERVICE = ""


def _one_line(value):
    """A title is one line (it becomes an e-mail subject): line breaks become spaces."""
    if not isinstance(value, str):
        return value
    return " ".join(value.split())


def _known_category(form, field) -> None:
    if field.data not in {choice.value for choice in field.choices or []}:
        raise ValidationError(_l("Choose a service of the list."))


def _version(form, field) -> None:
    if parse_int(field.data) is None:
        raise ValidationError(_l("This form is incomplete: reload the page and try again."))


def _english_pair(form, field) -> None:
    """An English text needs its English title (the title says which language is shown)."""
    if field.data and not form.title_en.data:
        raise ValidationError(_l("Give the English title too, or leave the English text empty."))


def _plausible(field) -> dt.datetime | None:
    """The field's value in UTC, or a field error if it is beyond any sensible planning."""
    if field.data is None:
        return None
    now = utcnow()
    # Checked on the typed year first: converting year 1 or 9999 could leave the calendar.
    if not now.year - 1 <= field.data.year <= now.year + 2:
        raise ValidationError(_l("Choose a date within a year from now."))
    value = in_utc(field.data)
    if not now - BACKDATE <= value <= now + HORIZON:
        raise ValidationError(_l("Choose a date within a year from now."))
    return value


class DisruptionForm(DeskForm):
    """Publish or edit a disruption; `version` is the one the editor started from.
    `stored_start` is set by an edit: an empty start keeps it, and a disruption already going
    on cannot be put off to later."""

    stored_start: dt.datetime | None = None

    version = HiddenField(default="0", validators=[_version])
    title_fr = StringField(
        _l("Title in French"),
        description=_l("What is not working, and where: e.g. “Wi-Fi down in building B”."),
        filters=[clean_text, _one_line],
        validators=[
            # After the filter: a title of spaces is no title.
            DataRequired(_l("Say in a few words what is not working.")),
            Length(max=MAX_TITLE, message=_l("%(max)s characters at most.")),
        ],
    )
    details_fr = TextAreaField(
        _l("Details in French (optional)"),
        description=_l("Since when, who is affected, what to do meanwhile."),
        filters=[clean_text],
        validators=[Length(max=MAX_DETAILS, message=_l("%(max)s characters at most."))],
    )
    title_en = StringField(
        _l("Title in English (optional: the French text is shown otherwise)"),
        filters=[clean_text, _one_line],
        render_kw={"lang": "en"},
        validators=[
            Optional(),
            Length(max=MAX_TITLE, message=_l("%(max)s characters at most.")),
        ],
    )
    details_en = TextAreaField(
        _l("Details in English (optional)"),
        filters=[clean_text],
        render_kw={"lang": "en"},
        validators=[
            Length(max=MAX_DETAILS, message=_l("%(max)s characters at most.")),
            _english_pair,
        ],
    )
    category = SelectField(
        _l("Service affected"),
        validate_choice=False,
        validators=[_known_category],
    )
    starts_at = DateTimeLocalField(
        _l("Start (optional)"),
        description=_l(
            "Empty: now. A later date announces planned work, shown ahead and going on from then."
        ),
        format=DATETIME_FORMATS,
        validators=[Optional()],
        invalid_value_message=INVALID_DATETIME,
    )
    expected_end_at = DateTimeLocalField(
        _l("Expected end (optional)"),
        description=_l("Shown to everyone. You still say yourself when it works again."),
        format=DATETIME_FORMATS,
        validators=[Optional()],
        invalid_value_message=INVALID_DATETIME,
    )

    def validate_starts_at(self, field) -> None:
        start = _plausible(field)
        now = utcnow()
        started = self.stored_start is not None and self.stored_start <= now
        if start is not None and started and start > now:
            raise ValidationError(_l("It has already started: its start cannot be later than now."))

    def validate_expected_end_at(self, field) -> None:
        end = _plausible(field)
        if end is None:
            return
        if end <= utcnow():
            raise ValidationError(_l("This time is past: give a later one, or none."))
        if self.starts_at.errors:
            return
        start = in_utc(self.starts_at.data) or self.stored_start
        if start is not None and end <= start:
            raise ValidationError(_l("The expected end must come after the start."))

    def utc_values(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The validated start (None: now for a new one, unchanged for an edit) and expected
        end, in UTC."""
        return in_utc(self.starts_at.data), in_utc(self.expected_end_at.data)

    def set_categories(self, categories) -> None:
        self.category.choices = options([(EVERY_SERVICE, _l("Every service"))]) + options(
            (c.id, f"{c.domain.name} › {c.name}") for c in categories
        )
