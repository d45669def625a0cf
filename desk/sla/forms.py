"""Admin forms for SLA calendars and policies; every check gives a message next to its field."""

from __future__ import annotations

from sqlalchemy import select
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from desk.catalog.models import RequestType
from desk.core.forms import DeskForm
from desk.core.i18n import lazy_gettext as _l
from desk.core.input import choice_id, parse_int
from desk.extensions import db
from desk.sla.models import SlaCalendar, SlaPolicy
from desk.sla.parsing import (
    SettingError,
    check_timezone,
    day_minutes,
    describe_duration,
    format_duration,
    generate_holidays,
    parse_duration,
    parse_holidays,
    parse_weekly,
    parse_years,
)
from desk.sla.services import to_calendar
from desk.sla.settings import calendar_name_taken, check_calendar


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CalendarForm(DeskForm):
    """Name, time zone, weekly hours as text lines, holidays one date per line."""

    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Give the calendar a name.")),
            Length(max=120, message=_l("The name is too long.")),
        ],
    )
    # Shown on English pages; without it they show the French name (marked lang="fr").
    name_en = StringField(
        _l("English name (optional)"),
        filters=[_strip],
        validators=[Length(max=120, message=_l("The name is too long."))],
        render_kw={"lang": "en"},
    )
    timezone = StringField(
        _l("Time zone"),
        filters=[_strip],
        default="Europe/Paris",
        validators=[DataRequired(_l("Give a time zone, e.g. Europe/Paris."))],
    )
    weekly_hours = TextAreaField(_l("Opening hours"), render_kw={"rows": 7})
    holidays = TextAreaField(_l("Holidays"), render_kw={"rows": 8})
    holiday_country = StringField(_l("Country"), filters=[_strip], default="FR")
    holiday_years = StringField(_l("Years"), filters=[_strip])
    save = SubmitField(_l("Save"))
    generate = SubmitField(_l("Add the public holidays"))

    def __init__(self, *args, calendar: SlaCalendar | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.calendar = calendar
        self.parsed: dict = {}

    def validate_name(self, field: StringField) -> None:
        if calendar_name_taken(field.data, self.calendar):
            raise ValidationError(_l("Another calendar already has this name."))

    def validate_timezone(self, field: StringField) -> None:
        self.parsed["timezone"] = _parse(check_timezone, field.data)

    def validate_weekly_hours(self, field: TextAreaField) -> None:
        self.parsed["weekly"] = _parse(parse_weekly, field.data or "")

    def validate_holidays(self, field: TextAreaField) -> None:
        self.parsed["holidays"] = _parse(parse_holidays, field.data or "")

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        try:
            check_calendar(self.parsed["timezone"], self.parsed["weekly"], self.parsed["holidays"])
        except SettingError as exc:
            self.weekly_hours.errors.append(str(exc))
            return False
        return True

    def add_public_holidays(self) -> bool:
        """The "add holidays" button: merge the country's holidays into the text, unsaved."""
        try:
            years = parse_years(self.holiday_years.data or "")
        except SettingError as exc:
            self.holiday_years.errors = [str(exc)]
            return False
        try:
            generated = generate_holidays(self.holiday_country.data or "FR", years)
        except SettingError as exc:
            self.holiday_country.errors = [str(exc)]
            return False
        try:
            current = parse_holidays(self.holidays.data or "")
        except SettingError as exc:
            self.holidays.errors = [str(exc)]
            return False
        self.holidays.data = "\n".join(sorted(set(current) | set(generated)))
        return True


def _parse(parser, text: str):
    try:
        return parser(text)
    except SettingError as exc:
        raise ValidationError(str(exc)) from None


class PolicyForm(DeskForm):
    """Targets of one request type, typed as durations: "4h", "90min", "2 j ouvrés"."""

    # The list offers only the types without a policy, but a type that has one is still sent
    # (an open page, another admin): WTForms' "Not a valid choice" said nothing of why, and
    # the redrawn list showed another type. `validate_request_type` names it.
    request_type = SelectField(_l("Request type"), coerce=choice_id, validate_choice=False)
    calendar = SelectField(_l("Business calendar"), coerce=choice_id)
    first_response = StringField(_l("First-response target"), filters=[_strip])
    resolution = StringField(_l("Resolution target"), filters=[_strip])
    warning_percent = StringField(
        _l("Warning threshold, in percent of the target"), filters=[_strip], default="75"
    )
    save = SubmitField(_l("Save"))

    def __init__(self, *args, policy: SlaPolicy | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.policy = policy
        self.parsed: dict = {}

    def validate_request_type(self, field: SelectField) -> None:
        if field.data is None:
            # Not an id: `choice_id` already said so. Not sent at all: nothing said it yet
            # (no choice check any more), and a policy without a type must not be saved.
            if not field.errors:
                raise ValidationError(_l("Choose a request type from the list."))
            return
        request_type = db.session.get(RequestType, field.data)
        if request_type is None:
            raise ValidationError(_l("Choose a request type from the list."))
        taken = db.session.scalar(select(SlaPolicy).filter_by(request_type_id=field.data))
        if taken is not None and taken is not self.policy:
            raise ValidationError(
                _l(
                    "“%(type)s” already has an SLA policy: edit that one from the SLA settings.",
                    type=request_type.title,
                )
            )

    def validate_warning_percent(self, field: StringField) -> None:
        percent = parse_int(field.data, low=1, high=99)
        if percent is None:
            raise ValidationError(_l("Give a whole percentage between 1 and 99."))
        self.parsed["warning_percent"] = percent

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        calendar = db.session.get(SlaCalendar, self.calendar.data) if self.calendar.data else None
        if calendar is None:
            return False
        self.parsed["calendar"] = calendar
        engine = to_calendar(calendar)
        for field in (self.first_response, self.resolution):
            self.parsed[field.name] = None
            if field.data:
                try:
                    self.parsed[field.name] = parse_duration(field.data, engine)
                except SettingError as exc:
                    field.errors.append(str(exc))
                    valid = False
        first, resolution = self.parsed["first_response"], self.parsed["resolution"]
        if valid and not first and not resolution:
            self.resolution.errors.append(
                str(_l("Give a first-response target, a resolution target or both."))
            )
            valid = False
        # Both are business minutes of the chosen calendar: "1 j ouvré" and "9h" compare as such.
        if first and resolution and first > resolution:
            per_day = day_minutes(engine)
            self.first_response.errors.append(
                str(
                    _l(
                        "The first-response target (%(first)s) is longer than the resolution"
                        " target (%(resolution)s): shorten it or lengthen the resolution target.",
                        first=describe_duration(first, per_day),
                        resolution=describe_duration(resolution, per_day),
                    )
                )
            )
            valid = False
        return valid

    def fill(self, policy: SlaPolicy) -> None:
        """Show a stored policy's minutes as durations of its calendar ("1 d", "4 h")."""
        per_day = day_minutes(to_calendar(policy.calendar))
        self.request_type.data = policy.request_type_id
        self.calendar.data = policy.calendar_id
        self.first_response.data = (
            format_duration(policy.first_response_minutes, per_day)
            if policy.first_response_minutes
            else ""
        )
        self.resolution.data = (
            format_duration(policy.resolution_minutes, per_day) if policy.resolution_minutes else ""
        )
        self.warning_percent.data = str(policy.warning_percent)
