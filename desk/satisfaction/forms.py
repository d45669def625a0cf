"""The rating form: a score from 1 to 5 (a group of radio buttons) and an optional comment."""

from __future__ import annotations

from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from desk.core.forms import DeskForm
from desk.core.i18n import lazy_gettext as _l
from desk.core.input import parse_int
from desk.queues.forms import options

SCORES = options(
    [
        ("5", _l("5 – very satisfied")),
        ("4", _l("4 – satisfied")),
        ("3", _l("3 – neither satisfied nor dissatisfied")),
        ("2", _l("2 – dissatisfied")),
        ("1", _l("1 – very dissatisfied")),
    ]
)


class RatingForm(DeskForm):
    """How the requester found the handling of their resolved ticket."""

    score = RadioField(
        _l("How satisfied are you with the handling of your request?"),
        choices=SCORES,
        validators=[InputRequired(_l("Choose a score from 1 to 5."))],
        invalid_choice_message=_l("Choose a score from 1 to 5."),
    )
    comment = TextAreaField(
        _l("Comment (optional)"),
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[Length(max=2000, message=_l("2,000 characters at most."))],
    )
    submit = SubmitField(_l("Send my rating"))

    @property
    def score_value(self) -> int | None:
        return parse_int(self.score.data)
