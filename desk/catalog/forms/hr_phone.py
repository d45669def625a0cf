"""HR phone-number change: the directory number is managed by HR, not by IT."""

from __future__ import annotations

import datetime as dt
from typing import Any

from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, ValidationError

from desk.catalog.forms.base import DataRow, RequestForm
from desk.catalog.forms.fields import (
    DATE_FORMATS,
    INVALID_DATE,
    local_today,
    readable,
    strip,
    voiced,
)
from desk.catalog.parsing import format_phone_display, normalize_phone_fr
from desk.core.forms import Length, clean_text
from desk.core.i18n import lazy_gettext as _l

MAX_DISTANCE = dt.timedelta(days=366)


class HrPhoneForm(RequestForm):
    """The new professional number (stored in E.164), from when, and a comment."""

    form_key = "hr_phone"
    template = "catalog/forms/_hr_phone.html"
    display_order = ("new_phone", "effective_date", "comment")
    multiline = frozenset({"comment"})

    new_phone = StringField(
        _l("New professional phone number"),
        filters=[strip],
        validators=[DataRequired(_l("Enter the new phone number."))],
    )
    effective_date = DateField(
        _l("Effective date"),
        validators=[InputRequired(_l("Enter the date from which the number applies."))],
        format=DATE_FORMATS,
        invalid_value_message=INVALID_DATE,
    )
    comment = TextAreaField(
        _l("Comment"),
        filters=[clean_text],
        validators=[Length(max=1000, message=_l("At most %(max)s characters.")), readable],
    )
    attachment = None

    def prepare(self, *, fresh: bool) -> None:
        if fresh and not self.effective_date.data:
            self.effective_date.data = local_today()
        # Opened from the preferences page: start from the number HR holds for this user,
        # read from their own record (never from the URL).
        if fresh and not self.comment.data and self.user is not None and self.user.phone:
            self.comment.data = str(
                _l(
                    "Current number in the directory: %(phone)s",
                    phone=format_phone_display(self.user.phone),
                )
            )

    def validate_new_phone(self, field: Any) -> None:
        try:
            field.data = normalize_phone_fr(field.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        # The number HR already holds (the preferences page and the comment show it), however
        # it is written: a request to change to it gives HR a ticket with nothing to change.
        if self.user is not None and self.user.phone == field.data:
            raise ValidationError(
                str(
                    voiced(
                        _l("This is already your number in the directory: enter the new one."),
                        _l("This is already their number in the directory: enter the new one."),
                    )
                )
            )

    def validate_effective_date(self, field: Any) -> None:
        if field.data and abs(field.data - local_today()) > MAX_DISTANCE:
            raise ValidationError(_l("Choose a date within one year from today."))

    def subject(self) -> str:
        shown = format_phone_display(self.new_phone.data)
        return f"{self.request_type.title_fr} – {shown}"[:200]

    @classmethod
    def display_row(cls, name: str, label: str, value: Any, field: Any) -> DataRow:
        if name == "new_phone" and isinstance(value, str):
            return DataRow(name, label, format_phone_display(value))
        return super().display_row(name, label, value, field)
