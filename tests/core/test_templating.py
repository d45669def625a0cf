"""Template helpers kept per process: the menus (each role sees its own links, in its own
language, whatever page came before) and the constant URLs (per script root)."""

from __future__ import annotations

import re

from desk.auth.models import Role
from desk.extensions import db
from tests.support.factories import make_queue, make_user


def _menu(html: str, css: str) -> list[tuple[str, str]]:
    block = html.split(f'class="{css}"')[1].split("</ul>")[0]
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', block)


def _current(html: str) -> list[tuple[str, str]]:
    block = html.split('class="mainnav"')[1].split("</ul>")[0]
    return re.findall(r'<a href="([^"]+)" aria-current="(\w+)"', block)


def test_each_role_and_language_gets_its_own_menus_in_turn(app_ctx, login, client):
    queue = make_queue()
    requester = make_user(role=Role.REQUESTER)
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    admin = make_user(role=Role.ADMIN)
    seen = {}
    for user, locale in ((requester, "fr"), (tech, "fr"), (admin, "en"), (requester, "en")):
        user.locale = locale
        db.session.commit()
        html = login(user).get("/home").text
        seen[(user.role, locale)] = (_menu(html, "mainnav"), _menu(html, "usermenu"))
    visitor = _menu(client.get("/login").text, "mainnav")

    req_fr, req_en = seen[(Role.REQUESTER, "fr")], seen[(Role.REQUESTER, "en")]
    assert ("/mes-demandes", "Mes demandes") in req_fr[0]
    assert ("/mes-demandes", "My requests") in req_en[0]
    # The same links for the same role, whatever the language; not the same words.
    assert [u for u, _ in req_fr[0]] == [u for u, _ in req_en[0]]
    assert [w for _, w in req_fr[0]] != [w for _, w in req_en[0]]
    tech_links = [u for u, _ in seen[(Role.TECHNICIAN, "fr")][0]]
    assert "/queues" in tech_links and "/queues" not in [u for u, _ in req_fr[0]]
    admin_links = [u for u, _ in seen[(Role.ADMIN, "en")][0] + seen[(Role.ADMIN, "en")][1]]
    assert any(u.startswith("/admin") for u in admin_links)
    assert not any(u.startswith("/admin") for u, _ in req_en[0] + req_en[1] + visitor)
    # A visitor sees only the public links (help articles, service status), after all of them.
    assert [u for u, _ in visitor] == ["/aide", "/etat-des-services"]


def test_constant_urls_follow_the_script_root_of_each_request(app_ctx, client):
    # The same process serves desk at the root and behind a prefix (a reverse proxy's
    # SCRIPT_NAME): the stylesheet's and the menu's URLs are each request's own.
    plain = client.get("/login").text
    prefixed = client.get("/login", environ_overrides={"SCRIPT_NAME": "/desk"}).text
    again = client.get("/login").text
    assert 'href="/static/desk.css"' in plain and 'href="/static/desk.css"' in again
    assert 'href="/desk/static/desk.css"' in prefixed
    assert 'href="/desk/aide"' in prefixed and 'href="/desk/aide"' not in plain


def test_settings_are_tiles_of_the_administration_page_not_main_menu_links(app_ctx, login):
    make_queue()  # canned replies belong to queues
    admin = make_user(role=Role.ADMIN)
    admin.locale = "fr"
    db.session.commit()
    client = login(admin)
    main = [u for u, _ in _menu(client.get("/home").text, "mainnav")]
    # The daily work, and one way into the settings: a short menu (it took four lines).
    assert "/admin" in main and "/queues" in main and len(main) <= 10
    settings_page = client.get("/admin").text
    tiles = re.findall(r'<a class="tile" href="([^"]+)">([^<]+)</a>', settings_page)
    urls = [u for u, _ in tiles]
    for label in ("Lieux", "Paramétrage du catalogue", "Réglages SLA", "Réponses types", "Comptes"):
        assert label in [w for _, w in tiles], label
    assert "/admin/places" in urls and "/admin/queues" in urls
    assert not set(urls) & set(main)  # each settings page is a tile, not a menu link too
    # Every tile opens, and while one is open the menu says it is within Administration.
    for url in urls:
        page = client.get(url)
        assert page.status_code == 200, url
        assert _current(page.text) == [("/admin", "true")], url
    assert _current(settings_page) == [("/admin", "page")]
    # Nobody else sees the tiles.
    tech = make_user(role=Role.TECHNICIAN)
    assert login(tech).get("/admin").status_code == 403


def test_an_e_mail_address_wraps_before_its_at_sign_or_a_dot_never_inside_a_word(app_ctx):
    from desk.core.templating import email_html

    assert str(email_html("leo.petit@etu.umontpellier.fr")) == (
        "leo<wbr>.petit<wbr>@etu<wbr>.umontpellier<wbr>.fr"
    )
    # What it was given is text: escaped, whatever it holds.
    assert str(email_html("<b>x</b>@a&b")) == "&lt;b&gt;x&lt;/b&gt;<wbr>@a&amp;b"
    assert str(email_html("no-at-sign")) == "no-at-sign"
