"""Reporting an accessibility problem with desk itself (the statement's feedback channel)."""

from __future__ import annotations

from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from desk.catalog.forms.base import RequestForm
from desk.catalog.forms.fields import one_line, readable, voiced
from desk.core.forms import Length, clean_text
from desk.core.i18n import lazy_gettext as _l


class AccessibilityReportForm(RequestForm):
    """Where the problem is, what prevents the use, and with which tools."""

    form_key = "accessibility_report"
    template = "catalog/forms/_accessibility_report.html"
    display_order = ("page", "problem", "assistive_technology")
    multiline = frozenset({"problem"})

    page = StringField(
        _l("Page or service concerned"),
        filters=[clean_text, one_line],
        validators=[
            DataRequired(_l("Say which page or service is concerned.")),
            Length(max=500, message=_l("At most %(max)s characters.")),
            readable,
        ],
    )
    problem = TextAreaField(
        voiced(_l("What prevents you from using it?"), _l("What prevents them from using it?")),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Describe the problem.")),
            Length(min=10, max=4000, message=_l("Between %(min)s and %(max)s characters.")),
            readable,
        ],
    )
    assistive_technology = StringField(
        voiced(
            _l("Browser and assistive technology you use (optional)"),
            _l("Browser and assistive technology they use (optional)"),
        ),
        filters=[clean_text, one_line],
        validators=[
            Optional(),
            Length(max=200, message=_l("At most %(max)s characters.")),
            readable,
        ],
    )

    def subject(self) -> str:
        return f"{self.request_type.title_fr} – {self.page.data}"[:200]
