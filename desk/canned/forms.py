"""The canned-reply form: queue, title, French and English texts with checked placeholders."""

from __future__ import annotations

from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from desk.canned.placeholders import PLACEHOLDERS, unknown_placeholders
from desk.core.forms import DeskForm, clean_text
from desk.core.i18n import lazy_gettext as _l
from desk.core.i18n import number
from desk.queues.forms import options

MAX_TEXT = 10_000


def _known_placeholders(form, field) -> None:
    unknown = unknown_placeholders(field.data or "")
    if unknown:
        raise ValidationError(
            _l(
                "Unknown placeholder(s): %(unknown)s. Available: %(known)s"
                " (write {{ and }} for a brace).",
                unknown=", ".join(unknown),
                known=", ".join("{" + p + "}" for p in PLACEHOLDERS),
            )
        )


def _known_queue(form, field) -> None:
    if field.data not in {choice.value for choice in field.choices or []}:
        raise ValidationError(_l("Choose one of the queues you manage."))


class CannedReplyForm(DeskForm):
    """Create or edit a canned reply."""

    queue = SelectField(_l("Queue"), validate_choice=False, validators=[_known_queue])
    title = StringField(
        _l("Title (shown to technicians)"),
        filters=[clean_text],
        validators=[
            InputRequired(_l("Enter a title.")),
            Length(max=120, message=_l("120 characters at most.")),
        ],
    )
    body_fr = TextAreaField(
        _l("Text in French"),
        filters=[clean_text],
        validators=[
            InputRequired(_l("Enter the French text.")),
            Length(
                max=MAX_TEXT,
                message=_l("Keep the text under %(n)s characters.", n=number(MAX_TEXT)),
            ),
            _known_placeholders,
        ],
    )
    body_en = TextAreaField(
        _l("Text in English (optional: the French text is used otherwise)"),
        filters=[clean_text],
        render_kw={"lang": "en"},
        validators=[
            Optional(),
            Length(
                max=MAX_TEXT,
                message=_l("Keep the text under %(n)s characters.", n=number(MAX_TEXT)),
            ),
            _known_placeholders,
        ],
    )

    def set_queues(self, queues) -> None:
        self.queue.choices = options((q.id, q.name) for q in queues)
