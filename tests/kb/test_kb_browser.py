"""In a real browser on the demo articles: the catalogue suggests as you type, a form shows the
checks to make, "this solved it" leaves no ticket and counts in the report, and anonymous
visitors read public articles (static/kb.js and the server together)."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func, select

from desk.auth.models import Role
from desk.extensions import db
from desk.kb.models import EventKind, KbEvent
from desk.tickets.models import Ticket
from tests.support.factories import make_user
from tests.support.live_server import log_in, new_page

pytestmark = pytest.mark.browser


def test_typing_zoom_40_min_in_the_catalogue_shows_the_zoom_article_first(
    live_server, chromium, demo_kb
):
    from playwright.sync_api import expect

    user = make_user()
    page = new_page(chromium)
    log_in(page, live_server, user.email)
    page.goto(f"{live_server}/catalogue")
    panel = page.locator("[data-kb-suggest]")
    expect(panel).to_be_hidden()
    page.locator("#catalogue-q").press_sequentially("zoom 40 min")
    first = panel.locator(".kb-hit a").first
    expect(first).to_have_text("Zoom : mes réunions s'arrêtent au bout de 40 minutes")
    expect(panel.locator(".kb-snippet mark").first).to_be_visible()
    # The entries are still filtered below, and nothing was submitted.
    expect(page).to_have_url(f"{live_server}/catalogue")
    first.click()
    expect(page.locator("h1")).to_have_text("Zoom : mes réunions s'arrêtent au bout de 40 minutes")


def test_the_network_form_shows_the_checks_to_make(live_server, chromium, demo_kb):
    from playwright.sync_api import expect

    page = new_page(chromium)
    log_in(page, live_server, make_user().email)
    page.goto(f"{live_server}/catalogue/probleme-connexion-reseau")
    related = page.locator(".kb-related")
    expect(related).to_contain_text("Plus de réseau : les vérifications à faire avant de signaler")
    related.get_by_role("link", name="Plus de réseau").click()
    expect(page.locator(".kb-body")).to_contain_text("prise murale")
    # "I still need help" goes back to the form.
    page.get_by_role("link", name="J’ai encore besoin d’aide").click()
    expect(page).to_have_url(f"{live_server}/catalogue/probleme-connexion-reseau")


def test_this_solved_it_leaves_no_ticket_and_counts_in_the_report(live_server, chromium, demo_kb):
    from playwright.sync_api import expect

    page = new_page(chromium)
    log_in(page, live_server, make_user().email)
    page.goto(f"{live_server}/catalogue/creation-liste-diffusion")
    page.fill("#list_name", "secretariat-labo")
    page.locator("#purpose").press_sequentially("une adresse commune pour le secrétariat")
    suggestions = page.locator("[data-kb-suggest][data-kb-source=form]")
    link = suggestions.get_by_role("link", name="Une adresse commune pour un service")
    expect(link).to_be_visible()
    link.click()
    page.get_by_role("button", name="Cela a réglé mon problème").click()
    expect(page.locator("h1")).to_have_text("Tant mieux, c’est réglé")
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0

    admin = new_page(chromium)
    log_in(admin, live_server, make_user(role=Role.ADMIN).email)
    admin.goto(f"{live_server}/aide/rapport")
    expect(admin.locator("[data-total=deflections]")).to_have_text("1")
    expect(admin.locator("tr[data-entry=creation-liste-diffusion] td")).to_have_text("1")
    expect(admin.locator("figure.kb-chart svg")).to_be_visible()


def test_i_still_need_help_brings_back_the_form_as_typed(live_server, chromium, demo_kb):
    # Coming back from an article is a new visit of the form, which the browser showed empty:
    # everything typed before following the article's link was lost.
    import re

    from playwright.sync_api import expect

    from tests.support.factories import make_site_tree

    make_site_tree()
    site, building, floor = make_site_tree()
    page = new_page(chromium)
    log_in(page, live_server, make_user().email)
    form_url = f"{live_server}/catalogue/probleme-connexion-reseau"
    page.goto(form_url)
    page.check("input[name=connection][value=wired]")
    page.check("#checked_cable")
    page.fill("#wall_socket", "B16-1-023")
    page.check("input[name=plugged_via][value=docking]")
    page.fill("#since", "2026-12-01T09:30")
    page.fill("#pc_name", "UM-PC-042")
    page.select_option("#site", str(site.id))
    expect(page.locator(f"#building option[value='{building.id}']")).to_be_attached()
    page.select_option("#building", str(building.id))
    expect(page.locator(f"#floor option[value='{floor.id}']")).to_be_attached()
    page.select_option("#floor", str(floor.id))
    page.fill("#description", "Plus de réseau depuis ce matin dans mon bureau.")
    page.locator(".kb-related").get_by_role("link", name="Plus de réseau").click()
    page.get_by_role("link", name="J’ai encore besoin d’aide").click()

    expect(page).to_have_url(form_url)
    expect(page.locator("input[name=connection][value=wired]")).to_be_checked()
    expect(page.locator("#checked_cable")).to_be_checked()
    expect(page.locator("#wall_socket")).to_have_value("B16-1-023")
    expect(page.locator("input[name=plugged_via][value=docking]")).to_be_checked()
    expect(page.locator("#since")).to_have_value("2026-12-01T09:30")
    expect(page.locator("#pc_name")).to_have_value("UM-PC-042")
    expect(page.locator("#site")).to_have_value(str(site.id))
    expect(page.locator("#building")).to_have_value(str(building.id))  # refilled, then set
    expect(page.locator("#floor")).to_have_value(str(floor.id))
    expect(page.locator("#description")).to_have_value(
        "Plus de réseau depuis ce matin dans mon bureau."
    )
    page.locator("#request-form [type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/confirmation/INC-\d{4}-\d+"))  # sent as typed
    ticket = db.session.scalar(select(Ticket))
    assert "UM-PC-042" in str(ticket.data), ticket.data

    # Only when coming back from the article: the form opened again from the catalogue is new.
    page.goto(form_url)
    page.fill("#pc_name", "UM-PC-043")
    page.locator(".kb-related").get_by_role("link", name="Plus de réseau").click()
    page.goto(f"{live_server}/catalogue")
    page.goto(form_url)
    expect(page.locator("#pc_name")).to_have_value("")


def test_anonymous_visitors_read_public_articles_not_internal_ones(live_server, chromium, demo_kb):
    from playwright.sync_api import expect

    page = new_page(chromium)
    # A visitor lands on the login page and finds the help from the menu, without logging in.
    page.goto(f"{live_server}/")
    expect(page).to_have_url(f"{live_server}/login")
    expect(
        page.locator(".card").get_by_role("link", name="Lisez les articles d’aide")
    ).to_be_visible()
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Articles d’aide"
    ).click()
    expect(page.locator("h1")).to_have_text("Articles d’aide")
    page.fill("#kb-q", "mot de passe oublie")
    page.click(".kb-search button[type=submit]")
    page.locator(".kb-hit a").first.click()
    expect(page.locator("h1")).to_have_text(
        "J'ai oublié le mot de passe de mon compte informatique"
    )
    response = page.goto(f"{live_server}/aide/procedure-interne-association-zoom")
    assert response.status == 404


def test_without_javascript_a_form_asks_to_check_the_articles_first_then_sends(
    live_server, chromium, demo_kb
):
    import re

    from playwright.sync_api import expect

    page = new_page(chromium, javascript=False)
    log_in(page, live_server, make_user(email="claire@umontpellier.fr").email)
    page.goto(f"{live_server}/catalogue/creation-liste-diffusion")
    page.fill("#list_name", "doctorants-richter")
    page.fill("#purpose", "Une adresse commune pour le secrétariat")
    page.fill("#recipients", "alice@umontpellier.fr")
    page.fill("#owners", "claire@umontpellier.fr")
    page.locator("#request-form [type=submit]").last.click()
    check = page.locator("#kb-check")
    expect(check).to_be_visible()
    expect(check.get_by_role("link", name="Une adresse commune pour un service")).to_be_visible()
    expect(page.locator("#list_name")).to_have_value("doctorants-richter")  # as typed
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
    check.get_by_role("button", name=re.compile("envoyer ma demande")).click()
    expect(page).to_have_url(re.compile(r"/DEM-\d{4}-\d+"))  # the confirmation page
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def _searches_counted():
    db.session.commit()  # a new transaction: the live server's rows
    kind = EventKind.SEARCH
    return db.session.scalar(select(func.count()).select_from(KbEvent).filter_by(kind=kind))


def test_a_pause_in_the_search_box_counts_as_a_search_not_one_in_a_form(
    live_server, chromium, demo_kb
):
    """The report's gaps, read by every technician, showed what requesters wrote in any form
    (a health matter in an HR form), sent or not: only the search box's pauses count."""
    page = new_page(chromium)
    log_in(page, live_server, make_user().email)
    page.goto(f"{live_server}/catalogue/creation-liste-diffusion")
    page.locator("#purpose").press_sequentially("Jeanne Martin en arrêt maladie")
    page.wait_for_timeout(2500)  # past the pause that counts (RECORD_AFTER_MS, 1.5 s)
    assert _searches_counted() == 0
    page.goto(f"{live_server}/catalogue")
    page.locator("#catalogue-q").press_sequentially("imprimante couleur")
    for _ in range(50):
        if _searches_counted():
            break
        page.wait_for_timeout(100)
    assert _searches_counted() == 1


def test_a_pause_then_enter_in_the_search_box_is_one_search_in_the_report(
    live_server, chromium, demo_kb
):
    """The pause counted the search; Enter then sent the same one to the catalogue, which
    counted it a second time."""
    from playwright.sync_api import expect

    page = new_page(chromium)
    log_in(page, live_server, make_user().email)
    page.goto(f"{live_server}/catalogue")
    box = page.locator("#catalogue-q")
    box.press_sequentially("zoom 40 min")
    for _ in range(50):
        if _searches_counted():
            break
        page.wait_for_timeout(100)
    assert _searches_counted() == 1
    box.press("Enter")
    expect(page).to_have_url(f"{live_server}/catalogue?q=zoom+40+min")
    expect(page.locator("[data-kb-suggest] .kb-hit a").first).to_contain_text("40 minutes")
    assert _searches_counted() == 1
    # Another search sent at once, before any pause, is counted by the catalogue.
    page.locator("#catalogue-q").fill("wifi colloque")
    page.locator("#catalogue-q").press("Enter")
    expect(page).to_have_url(f"{live_server}/catalogue?q=wifi+colloque")
    assert _searches_counted() == 2


def test_a_technician_filing_for_someone_sees_articles_but_their_pauses_are_not_counted(
    live_server, chromium, demo_kb
):
    """The catalogue page counts no search made for someone else (?pour=); its search box's
    pauses did, and the report's searches and gaps showed the staff's typing."""
    from playwright.sync_api import expect

    requester = make_user(email="appelant@umontpellier.fr")
    page = new_page(chromium)
    log_in(page, live_server, make_user(role=Role.TECHNICIAN).email)
    page.goto(f"{live_server}/catalogue?pour={requester.id}")
    page.locator("#catalogue-q").press_sequentially("zoom 40 min")
    panel = page.locator("[data-kb-suggest]")
    expect(panel.locator(".kb-hit a").first).to_contain_text("40 minutes")  # still shown
    page.wait_for_timeout(2500)  # past the pause that counts (RECORD_AFTER_MS, 1.5 s)
    assert _searches_counted() == 0


def test_the_reply_link_picker_leaves_out_staff_only_articles(live_server, chromium, demo_kb):
    from playwright.sync_api import expect

    from tests.support.factories import make_ticket

    tech = make_user(role=Role.ADMIN)
    ticket = make_ticket(subject="Licence Zoom")
    page = new_page(chromium)
    log_in(page, live_server, tech.email)
    page.goto(f"{live_server}/tickets/{ticket.reference}")
    page.locator("#kb-link-q").press_sequentially("procédure interne console zoom")
    results = page.locator("[data-kb-link-results]")
    expect(results.get_by_role("button").first).to_be_visible()
    # Pasted into the reply, a staff-only article's link would be a 404 for the requester.
    expect(results.get_by_role("button", name="Procédure interne")).to_have_count(0)


def test_form_suggestions_are_told_in_one_sentence_when_they_change(live_server, chromium, demo_kb):
    """The list of suggestions is no live region (its titles and snippets, read at every
    pause in typing, drowned the screen reader); a status sentence outside the hidden panel
    counts them, written again only when the articles change (WCAG 4.1.3, RGAA 7.5)."""
    from playwright.sync_api import expect

    page = new_page(chromium)
    log_in(page, live_server, make_user().email)
    page.goto(f"{live_server}/catalogue/creation-liste-diffusion")
    panel = page.locator("[data-kb-suggest][data-kb-source=form]")
    status = page.locator("#" + panel.get_attribute("data-kb-status"))
    assert status.get_attribute("role") == "status"
    assert panel.locator("[aria-live], [role=status], [role=log]").count() == 0
    # Every sentence the status says, with the articles listed at that moment.
    page.evaluate(
        """el => {
             window.told = [];
             new MutationObserver(() => window.told.push([el.textContent,
               [...document.querySelectorAll('[data-kb-list] .kb-hit a')].map(a => a.href)]))
               .observe(el, {childList: true, characterData: true, subtree: true});
           }""",
        status.element_handle(),
    )
    page.locator("#purpose").press_sequentially("une adresse commune pour le secrétariat")
    expect(panel.get_by_role("link", name="Une adresse commune pour un service")).to_be_visible()
    page.locator("#purpose").press_sequentially(" du laboratoire, merci")
    page.wait_for_timeout(1000)  # the last pauses' answers are in
    told = page.evaluate("() => window.told")
    assert told, "nothing said"
    for text, hits in told:
        key = "data-one" if len(hits) == 1 else "data-many"
        assert text == status.get_attribute(key).replace("{count}", str(len(hits)))
    # Said again only when the articles changed.
    assert all(a[1] != b[1] for a, b in itertools.pairwise(told)), told


def test_the_reply_link_picker_counts_its_articles_in_one_sentence(live_server, chromium, demo_kb):
    """The picker's list is no live region (read whole again at each pause in typing): a
    status sentence counts what the search found, none included (WCAG 4.1.3)."""
    from playwright.sync_api import expect

    from tests.support.factories import make_ticket

    tech = make_user(role=Role.ADMIN)
    ticket = make_ticket(subject="Licence Zoom")
    page = new_page(chromium)
    log_in(page, live_server, tech.email)
    page.goto(f"{live_server}/tickets/{ticket.reference}")
    results = page.locator("[data-kb-link-results]")
    assert results.get_attribute("aria-live") is None
    status = page.locator("#kb-link-status")
    assert status.get_attribute("role") == "status"
    page.locator("#kb-link-q").press_sequentially("zoom")
    expect(results.get_by_role("button").first).to_be_visible()
    found = results.get_by_role("button").count()
    expect(status).to_have_text(
        "1 article trouvé : choisissez-le ci-dessous pour ajouter son lien."
        if found == 1
        else f"{found} articles trouvés : choisissez-en un ci-dessous pour ajouter son lien."
    )
    page.locator("#kb-link-q").fill("")
    page.locator("#kb-link-q").press_sequentially("xqzwv")
    expect(status).to_have_text("Aucun article trouvé.")


# A table of commands and a command line, as IT articles have them.
_WIDE_BODY = """Ouvrez une invite de commandes et tapez :

```
ipconfig /all | findstr /i "Adresse IPv4 Passerelle par défaut Serveurs DNS Adresse physique"
```

| Système | Commande | Où regarder | Remarque |
|---|---|---|---|
| Windows 11 | ipconfig /all | Adresse physique | Carte Ethernet |
| macOS Sonoma | ifconfig en0 | ether | Préférences Système › Réseau |
"""


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_an_article_with_a_table_and_a_command_reflows_at_320_px(
    live_server, chromium, demo_kb, locale
):
    """RGAA 10.11: an article's command line pushed the page to 908 px at 320 px, and its
    table's headers broke inside words ("Systè/me"). The command wraps; the table scrolls
    in a box of its own, named in the article's language and reachable from the keyboard."""
    from desk.kb.models import ArticleStatus
    from desk.kb.services import ArticleDraft, create_article
    from tests.support.a11y import axe_violations, narrow_view

    draft = ArticleDraft(
        title_fr="Trouver l’adresse de sa carte réseau",
        body_fr=_WIDE_BODY,
        status=ArticleStatus.PUBLISHED,
    )
    slug = create_article(draft, actor=None).slug
    db.session.commit()
    context = chromium.new_context(locale=locale)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/aide/{slug}")
        width, broken = narrow_view(page, 320)
        assert width <= 320 and broken == [], (width, broken)
        box = page.locator(".kb-body .table-scroll")
        assert box.get_attribute("role") == "region"
        assert box.get_attribute("tabindex") == "0"
        # Named in French, the article's language ("Table 1" until the catalogue has it).
        name = box.get_attribute("aria-label")
        assert name in ("Tableau 1", "Table 1"), name
        assert page.locator(".kb-body table").get_attribute("aria-label") == name
        assert axe_violations(page) == []
    finally:
        context.close()
