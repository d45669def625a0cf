"""Named rate limits, per account (per client address before signing in); a view takes one
with a single decorator.

    @bp.get("/kb/search")
    @access(AUTHENTICATED)
    @search_limit
    def search(): ...

Each limit reads its value from the config (DESK_RATELIMIT_*) at request time, so a test can
lower it; a request past the limit gets the 429 page in the user's language.

A signed-in person is counted as themselves, not as their address: a campus puts thousands
of people behind a few NAT addresses (eduroam, a hall of residence, the service centre's own
counter), and on the first morning of term they would share one budget of submissions. The
login is counted per address (nobody is known yet), on top of its per-account throttling.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, current_app, g, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from desk.extensions import limiter


def _config(name: str):
    return lambda: current_app.config[name]


def account_or_address() -> str:
    """The limiter's key: the signed-in account, else the client address."""
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return get_remote_address()


def _not_a_search() -> bool:
    return not request.args.get("q", "").strip()


# Every search box (queue search, "My requests", knowledge base) shares one budget: searches
# are the costly queries. Plain list pages without `q` do not count.
search_limit = limiter.shared_limit(
    _config("RATELIMIT_SEARCH"),
    scope="search",
    exempt_when=_not_a_search,
    key_func=account_or_address,
)
# Help-article suggestions as people type (public, JSON): many small requests per person,
# hence their own budget rather than the searches'.
suggest_limit = limiter.shared_limit(
    _config("RATELIMIT_SUGGEST"),
    scope="suggest",
    exempt_when=_not_a_search,
    key_func=account_or_address,
)
# Login attempts, on top of the per-account throttling in desk.auth.services.authenticate.
login_limit = limiter.shared_limit(_config("RATELIMIT_LOGIN"), scope="login", methods=["POST"])


def _only_refreshing() -> bool:
    """The no-JavaScript "Refresh lists" button posts the form to narrow its place lists:
    nothing is validated or saved, so it spends none of the submissions' budget."""
    return bool(request.form.get("refresh"))


def count_submission() -> None:
    """Tell the submissions' limit that this request created a ticket (the view says so once
    the ticket exists): only those are counted against RATELIMIT_SUBMIT."""
    g.desk_ticket_created = True


def _created_a_ticket(response: Response) -> bool:
    return bool(g.get("desk_ticket_created"))


# Tickets created from the catalogue forms. A form sent back with mistakes creates none and
# is not counted (a person correcting a long form a few times would be locked out before
# filing anything); nor is a second click answered with the first click's ticket. Once the
# budget is spent, every POST gets the 429 page until the window has passed.
_submissions = limiter.shared_limit(
    _config("RATELIMIT_SUBMIT"),
    scope="submit",
    methods=["POST"],
    key_func=account_or_address,
    exempt_when=_only_refreshing,
    deduct_when=_created_a_ticket,
)
# Every POST of a catalogue form, valid or not, on a higher budget: one that creates nothing
# still costs its validation (place lists, address checks, a Wi-Fi guest file's parsing,
# attachments' checks) or, without JavaScript, a knowledge-base search before the ticket;
# a script sending forms back in a loop is refused. A person correcting a form a few times
# a minute stays far below it.
_attempts = limiter.shared_limit(
    _config("RATELIMIT_SUBMIT_ATTEMPTS"),
    scope="submit-attempt",
    methods=["POST"],
    key_func=account_or_address,
    exempt_when=_only_refreshing,
)


def submit_limit(view: Callable) -> Callable:
    """Both submission limits: tickets created, and attempts (any POST)."""
    return _attempts(_submissions(view))


# A queue list downloaded as CSV (desk.queues.export): up to 10,000 rows read a time each.
export_limit = limiter.shared_limit(
    _config("RATELIMIT_EXPORT"), scope="export", key_func=account_or_address
)
