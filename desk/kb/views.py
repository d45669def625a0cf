"""Knowledge-base pages for readers: search, an article, "this solved my problem", suggestions."""

from __future__ import annotations

import secrets
from itertools import groupby

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, gettext
from flask_login import current_user

from desk.auth.models import Role
from desk.catalog.forms.fields import local_today
from desk.catalog.models import RequestType
from desk.catalog.services import get_active_request_type, may_use
from desk.core.access import PUBLIC, access
from desk.core.errors import json_errors
from desk.core.i18n import lazy_gettext as _l
from desk.core.limits import search_limit, suggest_limit
from desk.core.templating import LOGIN_PARTIALS, register_nav
from desk.extensions import db
from desk.kb.deflection import PAUSE_COUNTED
from desk.kb.models import AUDIENCE_LABELS, STATUS_LABELS, Article
from desk.kb.rendering import HIGHLIGHT_START, HIGHLIGHT_STOP, render_markdown
from desk.kb.search import Hit
from desk.kb.services import (
    articles_for_request_type,
    deflection_voter,
    get_readable,
    may_edit,
    published_articles,
    record_deflection,
    record_search,
    record_view,
    search_articles,
)
from desk.kb.tables import scrolling_tables

bp = Blueprint("kb", __name__, url_prefix="/aide")

# Visitors who are not signed in find the answers too: in the menu and under the login form.
register_nav(_l("Help articles"), "kb.index", tuple(Role), 12, public=True)
if "kb/_login_help.html" not in LOGIN_PARTIALS:
    LOGIN_PARTIALS.append("kb/_login_help.html")

MAX_QUERY = 200


def _reader():
    return current_user if current_user.is_authenticated else None


def _may_ask(request_type: RequestType) -> bool:
    """Offer a form only to who may use it: a student would meet a 403 at a staff-only one
    (a visitor not signed in is offered it: signing in tells who they are)."""
    reader = _reader()
    return reader is None or may_use(reader, request_type)


def _query() -> str:
    return request.args.get("q", "")[:MAX_QUERY].strip()


def _entry(slug: str | None) -> RequestType | None:
    """The catalogue form a reader came from (`from`): an active one they may use, else none.
    A hand-made link naming a staff-only form must not send a student back to it ("I still
    need help" would end at a 403) nor credit it with their deflection."""
    if not slug:
        return None
    # From the process's copy of the catalogue (no query): the suggestions ask at every
    # pause in the typing, and an entry turned off leaves the copy at its commit.
    entry = get_active_request_type(slug[:60])
    return entry if entry is not None and _may_ask(entry) else None


@bp.get("")
@access(PUBLIC)
@search_limit
def index():
    """Search the articles; without a query, every article one may read by category."""
    query = _query()
    found = search_articles(query, _reader(), limit=20) if query else []
    if query:
        record_search(query, len(found), _reader())
        db.session.commit()
    groups = (
        []
        if query
        else [
            (category, list(items))
            for category, items in groupby(published_articles(_reader()), key=lambda a: a.category)
        ]
    )
    return render_template("kb/index.html", query=query, found=found, groups=groups)


@bp.get("/<slug>")
@access(PUBLIC)
def article(slug: str):
    """One article; staff-only ones (and drafts) do not exist for others (404)."""
    item = get_readable(slug, _reader())
    if item is None:
        abort(404)
    if item.is_published:
        record_view(item, _reader())
        db.session.commit()
    entry = _entry(request.args.get("from"))
    return render_template(
        "kb/article.html",
        article=item,
        body=scrolling_tables(render_markdown(item.body), lambda n: _table_name(item, n)),
        entry=entry,
        asks=[rt for rt in item.request_types if rt.is_active and _may_ask(rt)],
        may_edit=may_edit(_reader()),
    )


def _visit_secret() -> str:
    """A secret of this visit that two clicks at once both carry: the session's CSRF secret,
    set when the page with the button was drawn (the POST was checked against it). Kept
    apart otherwise (CSRF off)."""
    secret = session.get("csrf_token") or session.get("kb_visit")
    if not secret:
        secret = session["kb_visit"] = secrets.token_urlsafe(16)
    return str(secret)


def _table_name(item: Article, number: int) -> str:
    # In the article's language: a French article on an English page is marked lang="fr",
    # and the names of its tables are read with it.
    with force_locale(item.lang()):
        return gettext("Table %(num)d", num=number)


@bp.post("/<slug>/resolu")
@access(PUBLIC)
def solved(slug: str):
    """ "This solved my problem": counted for the article (and the form it came from)."""
    item = get_readable(slug, _reader())
    if item is None or not item.is_published:
        abort(404)
    voter = deflection_voter(_reader(), _visit_secret())
    if record_deflection(item, voter, local_today(), _reader(), _entry(request.form.get("from"))):
        db.session.commit()
    return redirect(url_for("kb.thanks", slug=item.slug))


@bp.get("/<slug>/merci")
@access(PUBLIC)
def thanks(slug: str):
    """No request was sent: say so."""
    item = get_readable(slug, _reader())
    if item is None:
        abort(404)
    return render_template("kb/thanks.html", article=item)


def _parts(marked: str) -> list[list]:
    """A snippet as [text, highlighted] pieces, for the script to build with textContent."""
    parts, on = [], False
    for piece in marked.replace(HIGHLIGHT_STOP, HIGHLIGHT_START).split(HIGHLIGHT_START):
        if piece:
            parts.append([piece, on])
        on = not on
    return parts


def _json_hit(article: Article, marked: str, entry: RequestType | None) -> dict:
    return {
        "title": article.title,
        "lang": article.lang(),
        "url": url_for("kb.article", slug=article.slug, **({"from": entry.slug} if entry else {})),
        # Pasted into a reply the requester gets by e-mail: the site's address (DESK_BASE_URL),
        # never the Host or X-Forwarded-Host header a request came with.
        "link": current_app.config["BASE_URL"] + url_for("kb.article", slug=article.slug),
        "solved": url_for("kb.solved", slug=article.slug),
        "snippet": _parts(marked),
    }


@bp.get("/suggestions")
@json_errors
@access(PUBLIC)
@suggest_limit
def suggestions():
    """Articles for what is being typed (JSON for static/kb.js); `record=1` counts it;
    `for=reply` (the staff's link picker of a ticket) keeps to what the requester may open."""
    query = _query()
    entry = _entry(request.args.get("from"))
    for_reply = request.args.get("for") == "reply"
    found: list[Hit] = (
        search_articles(query, _reader(), limit=5, for_requester=for_reply) if query else []
    )
    if query and request.args.get("record") == "1":
        record_search(query, len(found), _reader())
        db.session.commit()
        session[PAUSE_COUNTED] = query
    return jsonify(
        query=query,
        articles=[_json_hit(h.article, h.marked, entry) for h in found],
    )


@bp.app_template_global("kb_form_articles")
def form_articles(request_type: RequestType) -> list[Article]:
    """Articles shown on a catalogue form: the entry's own, then its category's."""
    return articles_for_request_type(_reader(), request_type)


@bp.app_template_global("kb_status_label")
def status_label(status) -> str:
    """An article status in the user's language."""
    return str(STATUS_LABELS.get(status, status))


@bp.app_template_global("kb_audience_label")
def audience_label(audience) -> str:
    """An audience in the user's language."""
    return str(AUDIENCE_LABELS.get(audience, audience))


from desk.kb import editor  # noqa: E402,F401 - the editors' pages share this blueprint
