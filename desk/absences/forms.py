"""The absence form: two days, both included, and whether to give one's tickets back now."""

from __future__ import annotations

import datetime as dt
from typing import Any

from wtforms import BooleanField, DateField
from wtforms.validators import InputRequired, ValidationError

from desk.catalog.forms.fields import DATE_FORMATS, INVALID_DATE, check_last_day, local_today
from desk.core.forms import DeskForm
from desk.core.i18n import lazy_gettext as _l

MAX_DAYS = 366


class AbsenceForm(DeskForm):
    starts_on = DateField(
        _l("First day away"),
        validators=[InputRequired(_l("Enter your first day away."))],
        format=DATE_FORMATS,
        invalid_value_message=INVALID_DATE,
    )
    ends_on = DateField(
        _l("Last day away"),
        validators=[InputRequired(_l("Enter your last day away."))],
        format=DATE_FORMATS,
        invalid_value_message=INVALID_DATE,
    )
    give_back = BooleanField(_l("Put the open tickets I hold back in their queues now"))

    def validate_ends_on(self, field: Any) -> None:
        first, last = self.starts_on.data, field.data
        check_last_day(first, last)
        if first and last and (last - first) >= dt.timedelta(days=MAX_DAYS):
            raise ValidationError(_l("An absence lasts at most a year: enter an earlier day."))

    def validate_starts_on(self, field: Any) -> None:
        # Said late (already away since Monday) is fine; a year back is a typo.
        if field.data and field.data < local_today() - dt.timedelta(days=MAX_DAYS):
            raise ValidationError(_l("The first day cannot be more than a year ago."))
