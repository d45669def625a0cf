"""The disruption editor's form."""

from __future__ import annotations

from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from desk.core.forms import DeskForm, clean_text
from desk.core.i18n import lazy_gettext as _l
from desk.core.input import parse_int
from desk.queues.forms import options

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


class DisruptionForm(DeskForm):
    """Publish or edit a disruption; `version` is the one the editor started from."""

    version = HiddenField(default="0", validators=[_version])
    title_fr = StringField(
        _l("Title in French"),
        description=_l("What is not working, and where: e.g. “Wi-Fi down in building B”."),
        filters=[clean_text, _one_line],
        validators=[
            # After the filter: a title of spaces is no title.
            DataRequired(_l("Say in a few words what is not working.")),
            Length(max=MAX_TITLE, message=_l("%(max)d characters at most.")),
        ],
    )
    details_fr = TextAreaField(
        _l("Details in French (optional)"),
        description=_l("Since when, who is affected, what to do meanwhile."),
        filters=[clean_text],
        validators=[Length(max=MAX_DETAILS, message=_l("%(max)d characters at most."))],
    )
    title_en = StringField(
        _l("Title in English (optional: the French text is shown otherwise)"),
        filters=[clean_text, _one_line],
        render_kw={"lang": "en"},
        validators=[
            Optional(),
            Length(max=MAX_TITLE, message=_l("%(max)d characters at most.")),
        ],
    )
    details_en = TextAreaField(
        _l("Details in English (optional)"),
        filters=[clean_text],
        render_kw={"lang": "en"},
        validators=[
            Length(max=MAX_DETAILS, message=_l("%(max)d characters at most.")),
            _english_pair,
        ],
    )
    category = SelectField(
        _l("Service affected"),
        validate_choice=False,
        validators=[_known_category],
    )

    def set_categories(self, categories) -> None:
        self.category.choices = options([(EVERY_SERVICE, _l("Every service"))]) + options(
            (c.id, f"{c.domain.name} › {c.name}") for c in categories
        )
