"""The form macros (templates/macros/_forms.html) rendered on their own: what a screen reader
and a sighted reader are told about each field."""

from __future__ import annotations

import re

from flask import render_template_string
from wtforms import BooleanField
from wtforms.validators import DataRequired

from desk.core.forms import DeskForm


class _Confirm(DeskForm):
    class Meta:
        csrf = False

    agreed = BooleanField("I have created my account.", validators=[DataRequired("Tick it.")])
    news = BooleanField("Send me the news")


_PAGE = '{% from "macros/_forms.html" import field %}{{ field(form.agreed) }}{{ field(form.news) }}'


def _label(html: str, field_id: str) -> str:
    return re.search(rf'<label for="{field_id}">(.*?)</label>', html, re.S).group(1)


def test_a_required_checkbox_shows_the_required_mark_like_other_fields(app):
    # The forms' note says "* required field": a box that must be ticked showed no star.
    with app.test_request_context():
        html = render_template_string(_PAGE, form=_Confirm())
    assert re.search(r'<input[^>]*id="agreed"[^>]*required', html)
    assert _label(html, "agreed") == (
        'I have created my account.&nbsp;<span class="req" aria-hidden="true">*</span>'
    )
    assert _label(html, "news") == "Send me the news"
