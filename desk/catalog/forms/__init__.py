"""The registry of request forms: a catalogue entry's `form_key` names one class here.

Catalogue entries are data (RequestType rows); the forms are code. Adding a kind of request
means writing one RequestForm subclass and listing it below; the entries that use it, their
titles, queues and order are then managed as data.
"""

from __future__ import annotations

from desk.catalog.forms.accessibility import AccessibilityReportForm
from desk.catalog.forms.base import DataRow, RequestForm
from desk.catalog.forms.email_request import EmailRequestForm
from desk.catalog.forms.general import GeneralRequestForm
from desk.catalog.forms.hr_phone import HrPhoneForm
from desk.catalog.forms.mailing_list import MailingListForm
from desk.catalog.forms.network import NetworkProblemForm
from desk.catalog.forms.wifi_guests import WifiGuestsForm
from desk.catalog.forms.zoom import ZoomLicenceForm

FORMS: dict[str, type[RequestForm]] = {
    cls.form_key: cls
    for cls in (
        WifiGuestsForm,
        MailingListForm,
        ZoomLicenceForm,
        HrPhoneForm,
        NetworkProblemForm,
        AccessibilityReportForm,
        GeneralRequestForm,
        EmailRequestForm,
    )
}

__all__ = ["FORMS", "DataRow", "RequestForm", "form_class", "in_catalogue"]


def form_class(form_key: str) -> type[RequestForm] | None:
    """The form class of a catalogue entry, or None for an unknown key."""
    return FORMS.get(form_key)


def in_catalogue(form_key: str) -> bool:
    """Is this entry offered in the catalogue (not, e.g., the e-mail request type)?"""
    cls = FORMS.get(form_key)
    return cls is not None and cls.in_catalogue
