"""The pages shown when a CAS login cannot become a desk session, in the user's language.

The kind of problem is chosen by the code; the words are rendered here, at display time.
"""

from __future__ import annotations

from flask import render_template

from desk.core.i18n import lazy_gettext as _l

PROBLEMS = {
    "no_ticket": (
        _l("The sign-in did not complete"),
        _l(
            "The central authentication service did not send a sign-in ticket. "
            "Please sign in again."
        ),
    ),
    "ticket_rejected": (
        _l("This sign-in link is no longer valid"),
        _l(
            "The sign-in ticket was already used, has expired or was issued for another site. "
            "Please sign in again."
        ),
    ),
    "cas_down": (
        _l("The sign-in service is not answering"),
        _l(
            "The university's central authentication service cannot be reached right now. "
            "Please try again in a few minutes."
        ),
    ),
    "directory_down": (
        _l("The university directory is not answering"),
        _l(
            "Your account cannot be set up while the university directory is unreachable. "
            "Please try again in a few minutes."
        ),
    ),
    "not_in_directory": (
        _l("Your account is not in the university directory"),
        _l(
            "The service centre is open to the people listed in the university directory. "
            "If you have just arrived, your entry may not exist yet: contact your department."
        ),
    ),
    "missing": (
        _l("Your identity is incomplete"),
        _l(
            "The sign-in service did not provide your e-mail address or your login, so no "
            "account can be opened. Contact the IT helpdesk by phone."
        ),
    ),
    "disabled": (
        _l("Your account is deactivated"),
        _l(
            "Your service centre account is deactivated. "
            "Contact the IT helpdesk if this is a mistake."
        ),
    ),
    "email_taken": (
        _l("Your account cannot be opened automatically"),
        _l(
            "Another account of the service centre already has your e-mail address (an "
            "earlier login of yours, or another entry of the directory). Contact the IT "
            "helpdesk: they will put it right."
        ),
    ),
    "entry_changed": (
        _l("Your sign-in cannot be matched to an account yet"),
        _l(
            "Your university login now belongs to another directory entry than the one whose "
            "service centre account it opened until now. To protect that account, nobody is "
            "signed in to it until the nightly directory update has sorted this out. Please try "
            "again tomorrow, or contact the IT helpdesk if it is urgent."
        ),
    ),
    "shared_login": (
        _l("Your login is on several directory entries"),
        _l(
            "Your university login is on several entries of the university directory, so the "
            "service centre cannot tell which of them is you. To protect both accounts, nobody "
            "is signed in. Contact the IT helpdesk: they will have the directory put right."
        ),
    ),
    "link_needed": (
        _l("An administrator must link your account"),
        None,  # the message names the login: built by problem_page
    ),
    "not_configured": (
        _l("Single sign-on is not set up"),
        _l("The service centre's single sign-on is not configured yet. Please try again later."),
    ),
}
# Problems where an administrator may need the emergency login to keep things running.
OUTAGES = {"cas_down", "directory_down", "not_configured"}


def problem_page(kind: str, status: int, *, login: str = ""):
    """The error page of one problem kind, with a way back (and break-glass on outages)."""
    title, message = PROBLEMS[kind]
    if message is None:
        message = _l(
            "An account of the service centre already has your e-mail address. To protect "
            "it, it is not linked to your university sign-in automatically. Ask an "
            "administrator of the service centre to link it to your university login "
            "“%(login)s”.",
            login=login,
        )
    page = render_template(
        "identity/problem.html",
        kind=kind,
        title=title,
        message=message,
        outage=kind in OUTAGES,
    )
    return page, status
