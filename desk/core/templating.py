"""Template globals: navigation by role, the user menu, form accessibility helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, has_request_context, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

from desk.auth.models import Role
from desk.core.form_errors import (
    alert_attrs,
    aria,
    error_attrs,
    error_summary_shown,
    error_summary_slot,
    fill_error_summaries,
    page_alert,
    page_errors,
    summarise_errors,
)
from desk.core.forms import given_back
from desk.core.i18n import day_month, lang_of
from desk.core.i18n import lazy_gettext as _l

ROLE_LABELS = {
    Role.REQUESTER: _l("requester"),
    Role.TECHNICIAN: _l("technician"),
    Role.ADMIN: _l("administrator"),
}


@dataclass(frozen=True)
class MenuEntry:
    """A link shown to some roles (and to anonymous visitors when public); features register
    theirs at import."""

    label: object
    endpoint: str
    roles: frozenset[Role]
    order: int
    public: bool = False


MAIN_NAV: list[MenuEntry] = []
USER_MENU: list[MenuEntry] = []
# The settings pages: tiles of the Administration page, whose link in the main menu is the
# current one while any of them is open (the main menu holds the daily work only).
ADMIN_MENU: list[MenuEntry] = []
ADMIN_HOME = "admin.index"
# Templates included in the top bar, before the user menu (e.g. the notification bell).
HEADER_PARTIALS: list[str] = []
# Templates included under the login form (e.g. the help articles open to visitors).
LOGIN_PARTIALS: list[str] = []
# Templates included in the home page under its greeting (e.g. a technician's queues); each
# decides from the signed-in user whether it shows anything.
HOME_PARTIALS: list[str] = []


def register_nav(
    label,
    endpoint: str,
    roles: tuple[Role, ...],
    order: int,
    menu: list[MenuEntry] = MAIN_NAV,
    *,
    public: bool = False,
) -> None:
    """Add a link to the main navigation (or the user menu) for the given roles, and for
    anonymous visitors too when `public` (a page they may open)."""
    if any(e.endpoint == endpoint for e in menu):
        return
    menu.append(MenuEntry(label, endpoint, frozenset(roles), order, public))
    menu.sort(key=lambda e: e.order)
    _shown.clear()


# (menu, role or None for a visitor, language, script root) → [(label, URL)]: the same on
# every page (both menus are on every page: 13 URL builds and translations each time).
_shown: dict[tuple, list[tuple[str, str]]] = {}


def _items(menu: list[MenuEntry]) -> list[dict]:
    user = current_user._get_current_object()
    role = user.role if user.is_authenticated else None
    key = (id(menu), role, str(get_locale()), request.script_root)
    entries = _shown.get(key)
    if entries is None:
        entries = [
            (str(entry.label), url_for(entry.endpoint))
            for entry in menu
            if ((role in entry.roles) if role is not None else entry.public)
        ]
        _shown[key] = entries
    path = request.path
    # aria-current: "page" on the page's own link; "true" on Administration's while one of its
    # settings pages is open (the page is within that part of the site).
    current = {url: "page" for _label, url in entries if url == path}
    if menu is MAIN_NAV and not current and any(i["url"] == path for i in _items(ADMIN_MENU)):
        current = {url_for(ADMIN_HOME): "true"}
    return [{"label": label, "url": url, "active": current.get(url, "")} for label, url in entries]


# (script root, endpoint, static file name) → URL, for the links with no per-page value that
# every page draws (stylesheet, script, icon, home, logout, inbox…): about ten URL builds each.
_urls: dict[tuple[str, str, str | None], str] = {}


def _template_url_for(endpoint: str, **values: Any) -> str:
    """`url_for` for templates, kept per process when it has nothing page-specific (no
    values but a static file's name; desk has no URL defaults nor host matching)."""
    constant = not values or (endpoint == "static" and values.keys() == {"filename"})
    if not constant or not has_request_context():
        return url_for(endpoint, **values)
    key = (request.script_root, endpoint, values.get("filename"))
    url = _urls.get(key)
    if url is None:
        url = _urls[key] = url_for(endpoint, **values)
    return url


def email_html(address: str) -> Markup:
    """An e-mail address that a narrow column wraps before its @ or a dot ("leo.petit
    @etu.umontpellier.fr"), rather than inside a word ("leo.petit@etu.um / ontpellier.fr")."""
    local, at, domain = str(address).partition("@")
    dot = Markup("<wbr>.")
    html = dot.join(escape(part) for part in local.split("."))
    if at:
        html += Markup("<wbr>@") + dot.join(escape(part) for part in domain.split("."))
    return html


def text_lines(text: object) -> Markup:
    """Typed text for an e-mail's HTML: escaped, each line break a `<br>`. Outlook's Word
    engine ignores `white-space: pre-wrap`, so a reply's lines ran together into one
    paragraph there; a `<br>` is kept by every client. Only desk's `<br>` is markup."""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return Markup("<br>").join(escape(line) for line in lines)


def init_templating(app: Flask) -> None:
    """Expose the helpers to every template."""
    globals_: dict[str, Callable] = {
        "nav_items": lambda: _items(MAIN_NAV),
        "user_menu_items": lambda: _items(USER_MENU),
        "admin_items": lambda: _items(ADMIN_MENU),
        "role_label": lambda role: ROLE_LABELS.get(role, role),
        "current_locale": lambda: str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"]),
        "aria": aria,
        "given_back": given_back,
        "error_attrs": error_attrs,
        "lang_of": lang_of,
        "summarise_errors": summarise_errors,
        "error_summary_slot": error_summary_slot,
        "fill_error_summaries": fill_error_summaries,
        "page_errors": page_errors,
        "alert_attrs": alert_attrs,
        "page_alert": page_alert,
        "error_summary_shown": error_summary_shown,
        "header_partials": HEADER_PARTIALS,
        "login_partials": LOGIN_PARTIALS,
        "home_partials": HOME_PARTIALS,
        "url_for": _template_url_for,
    }
    app.jinja_env.globals.update(globals_)
    app.jinja_env.filters["email"] = email_html
    app.jinja_env.filters["lines"] = text_lines
    # A day without its year, in the reader's words: "12 December", "12 décembre", « 1er mai ».
    app.jinja_env.filters["day"] = day_month


register_nav(_l("Home"), "core.home", tuple(Role), 0)
