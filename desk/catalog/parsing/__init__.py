"""Pure parsing and validation helpers for the service-catalogue forms.

Nothing here needs a Flask app: messages are `lazy_gettext` strings, rendered in the
user's language only when they are turned into `str` (in a template or a flash).

The helpers live in modules by purpose (issues, phones, emails, lists, guests, and
csvfile for reading uploads); this package re-exports their public names, so callers
import from `desk.catalog.parsing` and need not know the layout.
"""

from __future__ import annotations

from desk.catalog.parsing.emails import (
    EMAIL_RE,
    DomainNotAllowedError,
    check_institutional_email,
    is_valid_email,
    suggest_domain,
)
from desk.catalog.parsing.guests import (
    Guest,
    GuestCsvResult,
    guest_csv_template,
    guest_headings,
    parse_guest_csv,
)
from desk.catalog.parsing.issues import MAX_ISSUES, ParseIssue, format_issue
from desk.catalog.parsing.lists import (
    GROUP_NAME_RE,
    MAILING_LIST_NAME_RE,
    MAX_RECIPIENTS,
    parse_recipients,
    validate_list_name,
)
from desk.catalog.parsing.phones import format_phone_display, normalize_phone_fr

__all__ = [
    "EMAIL_RE",
    "GROUP_NAME_RE",
    "MAILING_LIST_NAME_RE",
    "MAX_ISSUES",
    "MAX_RECIPIENTS",
    "DomainNotAllowedError",
    "Guest",
    "GuestCsvResult",
    "ParseIssue",
    "check_institutional_email",
    "format_issue",
    "format_phone_display",
    "guest_csv_template",
    "guest_headings",
    "is_valid_email",
    "normalize_phone_fr",
    "parse_guest_csv",
    "parse_recipients",
    "suggest_domain",
    "validate_list_name",
]
