"""The article editor's form."""

from __future__ import annotations

from wtforms import (
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

from desk.core.forms import CheckboxesField, DeskForm
from desk.core.i18n import lazy_gettext as _l
from desk.core.i18n import number
from desk.core.input import choice_id, optional_id, parse_int
from desk.kb.models import AUDIENCE_LABELS, STATUS_LABELS
from desk.kb.rendering import MAX_BODY_CHARS

# Error codes of services.ArticleInvalid, in the user's language.
INVALID_MESSAGES = {
    "too_long": _l(
        "This text is too long (at most %(max)s characters).", max=number(MAX_BODY_CHARS)
    ),
    "title_too_long": _l("The title is too long (at most 200 characters)."),
    "half_language": _l("Give both a title and a text in this language, or neither."),
    "no_language": _l("Write the article in French or in English (a title and a text)."),
    "keywords_too_long": _l("At most 300 characters of keywords."),
    "not_resolved": _l("Only a resolved or closed ticket can become an article."),
    "unreadable": _l(
        "Part of this text could not be read (characters that are not valid UTF-8, shown as �). "
        "Paste it again from its source or retype it."
    ),
}


INCOMPLETE = _l("This form is incomplete: reload the page and try again.")


def _version(form, field) -> None:
    raw = (field.data or "").strip()
    if raw and parse_int(raw) is None:
        raise ValidationError(INCOMPLETE)


class ArticleForm(DeskForm):
    """Create or edit an article; `version` is the one the editor started from."""

    version = HiddenField(validators=[_version])
    title_fr = StringField(
        _l("Title in French"),
        validators=[Length(max=200, message=INVALID_MESSAGES["title_too_long"])],
    )
    body_fr = TextAreaField(
        _l("Text in French (Markdown)"),
        validators=[Length(max=MAX_BODY_CHARS, message=INVALID_MESSAGES["too_long"])],
        render_kw={"rows": 14},
    )
    title_en = StringField(
        _l("Title in English"),
        validators=[Length(max=200, message=INVALID_MESSAGES["title_too_long"])],
    )
    body_en = TextAreaField(
        _l("Text in English (Markdown)"),
        validators=[Length(max=MAX_BODY_CHARS, message=INVALID_MESSAGES["too_long"])],
        render_kw={"rows": 14},
    )
    keywords = StringField(
        _l("Keywords"),
        validators=[Length(max=300, message=INVALID_MESSAGES["keywords_too_long"])],
    )
    category = SelectField(_l("Category"), coerce=optional_id, validate_choice=False)
    status = RadioField(
        _l("Status"),
        choices=[SelectChoice(s.value, label) for s, label in STATUS_LABELS.items()],
        default="draft",
    )
    audience = RadioField(
        _l("Who may read it"),
        choices=[SelectChoice(a.value, label) for a, label in AUDIENCE_LABELS.items()],
        default="everyone",
    )
    request_types = CheckboxesField(
        _l("Catalogue entries to offer (“still stuck? ask here”)"), coerce=choice_id
    )

    def validate_category(self, field) -> None:
        known = {choice.value for choice in field.choices or []}
        if field.data is not None and field.data not in known:
            raise ValidationError(_l("Choose an item from the list."))

    def validate_status(self, field) -> None:
        if field.data not in {s.value for s in STATUS_LABELS}:
            raise ValidationError(_l("Pick one of the statuses."))

    def validate_audience(self, field) -> None:
        if field.data not in {a.value for a in AUDIENCE_LABELS}:
            raise ValidationError(_l("Pick who may read the article."))
