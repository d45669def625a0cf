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

from flask import current_app, request
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


# Ticket submissions (every catalogue form); a form sent back with mistakes counts too.
submit_limit = limiter.shared_limit(
    _config("RATELIMIT_SUBMIT"),
    scope="submit",
    methods=["POST"],
    key_func=account_or_address,
    exempt_when=_only_refreshing,
)
# A queue list downloaded as CSV (desk.queues.export): up to 10,000 rows read a time each.
export_limit = limiter.shared_limit(
    _config("RATELIMIT_EXPORT"), scope="export", key_func=account_or_address
)
