"""A request that arrived by e-mail at a queue's address (desk.inbound): not a web form.

The class gives the entry's data its labels on the ticket page; `in_catalogue = False` keeps
the entry out of the catalogue, since nobody fills it on the web.
"""

from __future__ import annotations

from wtforms import StringField, TextAreaField

from desk.catalog.forms.base import RequestForm
from desk.core.i18n import lazy_gettext as _l

FORM_KEY = "email_request"


class EmailRequestForm(RequestForm):
    """The sender's words (quotes and signature removed; a forward kept whole) and the address
    written to."""

    form_key = FORM_KEY
    in_catalogue = False
    display_order = ("message", "address")
    multiline = frozenset({"message"})

    message = TextAreaField(_l("Message received by e-mail"))
    address = StringField(_l("Sent to"))
