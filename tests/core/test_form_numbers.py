"""desk's `Length` and `NumberRange` write their bounds as the reader writes numbers, in the
message shown next to the field: "9,999" in English, « 9 999 » in French."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from wtforms import IntegerField, StringField

from desk.core.forms import DeskForm, Length, NumberRange
from desk.core.i18n import lazy_gettext as _l


class _Form(DeskForm):
    class Meta:
        csrf = False

    position = IntegerField(
        validators=[NumberRange(0, 9999, _l("Enter a number between %(min)s and %(max)s."))]
    )
    text = StringField(validators=[Length(max=4000, message=_l("At most %(max)s characters."))])


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Enter a number between 0 and 9,999.", "At most 4,000 characters."]),
        ("fr", ["Saisissez un nombre entre 0 et 9\u202f999.", "4\u202f000 caractères au plus."]),
    ],
)
def test_the_bounds_read_as_numbers(app, language, expected):
    data = {"position": "10000", "text": "x" * 4001}
    with app.test_request_context(method="POST", data=data), force_locale(language):
        form = _Form()
        assert not form.validate()
        assert [*form.position.errors, *form.text.errors] == expected
