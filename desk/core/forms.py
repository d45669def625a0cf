"""desk's form base: Flask-WTF's, with WTForms' own messages translated from a per-process copy.

Flask-WTF loads WTForms' catalogue from disk on every request that shows a form ("Not a
valid choice", "This field is required"...): a .mo file parsed per page. The catalogues do
not change while the process runs, so each language is loaded once.

A form reads what a browser's form sends, nothing else: its fields as text, and files only
for its file fields. Flask-WTF also hands a file sent under a text field's name to that field
(whose length, trimming and e-mail checks then fail on a file object: a 500, found by sending
every form's fields as files), and reads a JSON body as the form's data (numbers, lists).
"""

from __future__ import annotations

import functools
import re

from babel import support
from flask import request
from flask_babel import format_number, get_locale
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms import FileField, IntegerField, SelectMultipleField, validators
from wtforms.i18n import messages_path
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from desk.core.i18n import lazy_gettext as _l


@functools.cache
def wtforms_translations(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class DeskForm(FlaskForm):
    """Every desk form derives from this one."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            locale = get_locale()
            return wtforms_translations(str(locale)) if locale is not None else None

        def wrap_formdata(self, form, formdata):
            if formdata is not _Auto or not form.is_submitted():
                return super().wrap_formdata(form, formdata)
            if request.files:
                names = {f.name for f in form if isinstance(f, FileField)}  # and MultipleFileField
                files = MultiDict(
                    (name, upload)
                    for name, upload in request.files.items(multi=True)
                    if name in names
                )
                return CombinedMultiDict((files, request.form))
            return request.form or None

        def render_field(self, field, render_kw):
            if _too_long_to_give_back(field):
                field.raw_data = []  # numbers and dates give back what was sent as it was
                field.data = "" if isinstance(field.data, str) else None
            return super().render_field(field, render_kw)


# A form page puts back in its fields what was sent, to be corrected. Not a value far past its
# field's length: a refused 10 MB login e-mail came back whole in the page, 10 MB more to send
# for each such request. A value a little too long comes back, to be shortened rather than
# typed again (the message says the limit); one past twice the limit is nobody's typing (a
# browser stops at the `maxlength` WTForms draws from the same check) and comes back empty. A
# field without a length check gives back up to ECHO_MAX_TEXT characters (a text area) or
# ECHO_MAX_LINE (any other input).
ECHO_MAX_TEXT = 100_000
ECHO_MAX_LINE = 1_000


def _too_long_to_give_back(field) -> bool:
    """Whether `field`'s value is longer than it may be drawn again (see above)."""
    value = getattr(field, "_value", None)
    text = value() if callable(value) else None
    if not isinstance(text, str):
        return False
    limits = [v.max for v in field.validators if isinstance(v, validators.Length) and v.max >= 0]
    if limits:
        limit = 2 * min(limits)
    else:
        limit = ECHO_MAX_TEXT if field.type == "TextAreaField" else ECHO_MAX_LINE
    # A browser counts a line break as one character where it sends two.
    return len(text.replace("\r\n", "\n")) > limit


def given_back(field) -> str:
    """The value `field` shows, for a template that draws it by hand (a draft to copy): ""
    when too long to give back (see above)."""
    return "" if _too_long_to_give_back(field) else field._value()


def clean_text(value):
    """WTForms filter for typed text: trimmed, without control characters other than line
    breaks and tabs (PostgreSQL refuses NUL; the others only hide text)."""
    if not isinstance(value, str):
        return value
    return "".join(ch for ch in value if ch.isprintable() or ch in "\n\t").strip()


class WholeNumberField(IntegerField):
    """WTForms' `IntegerField` reading only what `desk.core.input.parse_int` reads: ASCII
    digits, a leading "-", spaces around. Python's `int()` also takes "٣" (Arabic-Indic),
    "３" (fullwidth), "1_000" and "+3", which a form then stored as 3, 1000... while every
    other number desk reads refuses them: they get the field's `invalid_value_message`."""

    def process_formdata(self, valuelist: list) -> None:
        if valuelist and isinstance(valuelist[0], str):
            text = valuelist[0].strip()
            if text and not _WHOLE_NUMBER.fullmatch(text):
                self.data = None
                raise ValueError(
                    self.invalid_value_message or self.gettext("Not a valid integer value.")
                )
            valuelist = [text]
        super().process_formdata(valuelist)


_WHOLE_NUMBER = re.compile("-?[0-9]+", re.ASCII)


class CheckboxesField(SelectMultipleField):
    """Several choices shown as checkboxes (inside a fieldset in the template)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        known = {choice.value for choice in self.choices or []}
        if any(value not in known for value in self.data or []):
            raise ValidationError(_l("Pick entries of the list."))


class _BoundsAsNumbers:
    """Mixed into a WTForms validator: its error's `%(min)s` and `%(max)s` are the bounds
    written as the reader writes numbers ("4,000", « 4 000 »); an unset bound (None) is left
    out. The subclass says what its bounds are."""

    message: str | None

    def _bounds(self) -> dict:
        raise NotImplementedError

    def __call__(self, form, field) -> None:
        try:
            super().__call__(form, field)  # type: ignore[misc]
        except ValidationError:
            if self.message is None:
                raise
            bounds = {k: format_number(v) for k, v in self._bounds().items() if v is not None}
            raise ValidationError(self.message % bounds) from None


class Length(_BoundsAsNumbers, validators.Length):
    """WTForms' `Length` whose message writes the bounds as the reader writes numbers ("4,000",
    « 4 000 »): its placeholders are `%(min)s` and `%(max)s` (WTForms gives integers)."""

    def _bounds(self) -> dict:
        return {"min": self.min, "max": self.max}


# RFC 5321's limit on a path, which email_validator also applies: nothing longer is an address.
MAX_EMAIL_LENGTH = 254


class Email(validators.Email):
    """WTForms' `Email`, which refuses a text longer than any address at once: email_validator
    reads it character by character in Python before it looks at its length, about 2 s of a
    web worker for a 10 MB field (what a POST may carry), sent as often as anyone likes. The
    message is the same as for any other invalid address."""

    def __call__(self, form, field) -> None:
        if isinstance(field.data, str) and len(field.data) > MAX_EMAIL_LENGTH:
            raise ValidationError(self.message or field.gettext("Invalid email address."))
        super().__call__(form, field)


class NumberRange(_BoundsAsNumbers, validators.NumberRange):
    """WTForms' `NumberRange` whose message writes the bounds as the reader writes numbers."""

    def _bounds(self) -> dict:
        return {"min": self._resolve(self.min), "max": self._resolve(self.max)}
