"""Wi-Fi guest accounts for an event ("open" network access, in bulk): staff only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, InputRequired, StopValidation, ValidationError

from desk.catalog.forms.base import DataRow, RequestForm
from desk.catalog.forms.fields import (
    DATE_FORMATS,
    INVALID_DATE,
    BlankIntegerField,
    PlaceFields,
    check_last_day,
    local_today,
    one_line,
    readable,
)
from desk.catalog.parsing import format_issue, parse_guest_csv
from desk.core.forms import Length, clean_text
from desk.core.i18n import lazy_gettext as _l
from desk.core.i18n import number
from desk.tickets.attachments import UploadError, check_content, read_upload

MAX_GUESTS = 2000
MAX_DAYS = 31
# Accounts are made for an event that is planned: a first day years ahead is a typo ("2062"
# for "2026"), and accounts made for it would open on the wrong dates.
MAX_AHEAD = dt.timedelta(days=366)
MAX_CSV_BYTES = 512_000
CSV_EXTENSIONS = frozenset({"csv", "txt"})


class WifiGuestsForm(PlaceFields, RequestForm):
    """Event name, place, dates, and the guests as a number or as a CSV file."""

    form_key = "wifi_guests"
    template = "catalog/forms/_wifi_guests.html"
    display_order = ("event_name", "place", "first_day", "last_day", "guest_count", "guests")
    extra_labels = {"place": _l("Place"), "guests": _l("Guests")}

    event_name = StringField(
        _l("Event name"),
        filters=[clean_text, one_line],
        validators=[
            DataRequired(_l("Enter the name of the event.")),
            Length(max=150, message=_l("At most %(max)s characters.")),
            readable,
        ],
    )
    first_day = DateField(
        _l("First day"),
        validators=[InputRequired(_l("Enter the first day."))],
        format=DATE_FORMATS,
        invalid_value_message=INVALID_DATE,
    )
    last_day = DateField(
        _l("Last day"),
        validators=[InputRequired(_l("Enter the last day."))],
        format=DATE_FORMATS,
        invalid_value_message=INVALID_DATE,
    )
    guest_count = BlankIntegerField(
        _l("Number of guests"), invalid_value_message=_l("Enter a whole number.")
    )
    guest_file = FileField(_l("List of the guests (CSV file)"))
    attachment = None  # the CSV file is the attachment of this request

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.guests: list[dict[str, str | None]] = []

    def prepare(self, *, fresh: bool) -> None:
        if fresh and self.user is not None:
            self.prefill_place(self.user)
        self.load_place_choices()

    def validate_first_day(self, field: Any) -> None:
        if field.data and field.data < local_today():
            raise ValidationError(_l("The first day cannot be in the past."))
        if field.data and field.data - local_today() > MAX_AHEAD:
            raise ValidationError(_l("Choose a date within one year from today."))

    def validate_last_day(self, field: Any) -> None:
        # A first day already refused (past, too far ahead) is the one to fix: measured from
        # it, a good last day read "at most 31 days" or "on or after the first day" as well.
        first = None if self.first_day.errors else self.first_day.data
        last = field.data
        check_last_day(first, last)
        if first and last and (last - first) >= dt.timedelta(days=MAX_DAYS):
            raise ValidationError(_l("Guest accounts last at most %(max)d days.", max=MAX_DAYS))

    def _has_file(self) -> bool:
        return isinstance(self.guest_file.data, FileStorage) and bool(self.guest_file.data.filename)

    def _has_count(self) -> bool:
        return bool(self.guest_count.raw_data and str(self.guest_count.raw_data[0]).strip())

    def validate_guest_count(self, field: Any) -> None:
        if field.errors:
            return  # not a number: already said
        if self._has_count() and self._has_file():
            raise ValidationError(_l("Give either the number of guests or a file, not both."))
        if field.data is None:
            if not self._has_file():
                raise ValidationError(
                    _l("Give the number of guests, or upload the list as a file.")
                )
            return
        if not 1 <= field.data <= MAX_GUESTS:
            raise ValidationError(
                _l("Between %(min)s and %(max)s guests.", min=number(1), max=number(MAX_GUESTS))
            )

    def validate_guest_file(self, field: Any) -> None:
        upload = field.data
        if not self._has_file() or self._has_count():
            return  # nothing sent, or "not both" is reported on the number field
        try:
            content = read_upload(upload)
        except UploadError as exc:
            raise ValidationError(str(exc)) from None
        extension = upload.filename.rpartition(".")[2].lower()
        if extension not in CSV_EXTENSIONS:
            raise ValidationError(_l("Send a CSV file (.csv or .txt)."))
        result = parse_guest_csv(content, max_bytes=MAX_CSV_BYTES, max_rows=MAX_GUESTS)
        if result.issues:
            # Every problem at once, each with its line and column, so one fix is enough; each
            # is an error of its own (the page's count of errors is theirs).
            field.errors.extend(format_issue(issue) for issue in result.issues)
            raise StopValidation()
        try:  # the file itself is kept as the request's attachment
            checked = check_content(upload.filename, content, allowed=CSV_EXTENSIONS)
        except UploadError as exc:
            raise ValidationError(str(exc)) from None
        self.guests = [
            {
                "last_name": g.last_name,
                "first_name": g.first_name,
                "email": g.email,
                "organisation": g.organisation,
            }
            for g in result.guests
        ]
        self.checked_uploads.append(checked)

    def ticket_data(self) -> dict[str, Any]:
        data = {
            "event_name": self.event_name.data,
            "place": self.place_label(),
            "first_day": self.first_day.data.isoformat(),
            "last_day": self.last_day.data.isoformat(),
            "guest_count": len(self.guests) if self.guests else self.guest_count.data,
        }
        if self.guests:
            data["guests"] = self.guests
        return data

    def subject(self) -> str:
        return f"{self.request_type.title_fr} – {self.event_name.data}"[:200]

    def place_ids(self) -> tuple[int | None, int | None, int | None]:
        return PlaceFields.place_ids(self)

    @classmethod
    def display_row(cls, name: str, label: str, value: Any, field: Any) -> DataRow:
        if name == "guests" and isinstance(value, list):
            return DataRow(name, label, value, "guests")
        return super().display_row(name, label, value, field)


def guest_columns() -> list[tuple[str, str]]:
    """Headings of the guest table on the ticket page."""
    return [
        ("last_name", _("Last name")),
        ("first_name", _("First name")),
        ("email", _("E-mail")),
        ("organisation", _("Organisation")),
    ]
