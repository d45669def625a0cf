"""The catalogue's catch-all: a need that none of the specific forms fits, in the requester's
own words ("mon imprimante ne marche plus", "installer un logiciel").

The service centre reads it and handles it or passes it on; the specific forms stay quicker
when one fits, since they ask what the technician needs at once.
"""

from __future__ import annotations

from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired

from desk.catalog.forms.base import RequestForm
from desk.catalog.forms.fields import one_line, readable, voiced
from desk.core.forms import Length, clean_text
from desk.core.i18n import lazy_gettext as _l

FORM_KEY = "general_request"


class GeneralRequestForm(RequestForm):
    """A subject and a description, plus the base form's optional attachment."""

    form_key = FORM_KEY
    template = "catalog/forms/_general.html"
    display_order = ("summary", "description")
    multiline = frozenset({"description"})

    # Not named `subject`: that is the hook below. clean_text drops control characters (a
    # pasted terminal's escapes) and trims.
    summary = StringField(
        _l("Subject"),
        filters=[clean_text, one_line],
        validators=[
            DataRequired(
                voiced(
                    _l("Give your request a short subject."),
                    _l("Give the request a short subject."),
                )
            ),
            Length(max=150, message=_l("At most %(max)s characters.")),
            readable,
        ],
    )
    description = TextAreaField(
        _l("Description"),
        filters=[clean_text],
        validators=[
            DataRequired(voiced(_l("Describe your request."), _l("Describe the request."))),
            Length(min=10, max=4000, message=_l("Between %(min)s and %(max)s characters.")),
            readable,
        ],
    )

    def subject(self) -> str:
        """What the requester typed: the request type's title would say nothing here."""
        return self.summary.data[:200]
