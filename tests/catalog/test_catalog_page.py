"""The catalogue page: grouping, search with and without JavaScript, permissions, SLA hint."""

from __future__ import annotations

from desk.extensions import db
from tests.support.factories import make_user


def test_anonymous_users_are_sent_to_login(world, client):
    for url in ("/catalogue", "/catalogue/licence-zoom", "/mes-demandes"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_entries_grouped_by_domain_then_category(world, staff, login):
    page = login(staff).get("/catalogue").text
    order = [
        page.index(s)
        for s in (
            "Informatique et Numérique",
            "Réseau et Wi-Fi",
            "Titre comptes-wifi",
            "Titre connexion-reseau",
            "Messagerie",
            "Titre liste-diffusion",
            "Visioconférence",
            "Titre licence-zoom",
            "Ressources Humaines",
            "Annuaire et téléphonie",
            "Titre numero-telephone",
        )
    ]
    assert order == sorted(order)
    assert "Description de licence-zoom" in page
    assert 'href="/catalogue/licence-zoom"' in page
    assert "Catalogue de services" in page  # navigation entry, in French


def test_search_filters_without_javascript_ignoring_accents(world, staff, login):
    client = login(staff)
    page = client.get("/catalogue?q=ZOOM").text
    assert "Titre licence-zoom" in page and "Titre liste-diffusion" not in page
    page = client.get("/catalogue?q=telephonie").text  # category "Annuaire et téléphonie"
    assert "Titre numero-telephone" in page and "Titre licence-zoom" not in page
    page = client.get("/catalogue?q=introuvable").text
    assert "Aucune entrée ne correspond" in page and "Titre" not in page.split("<main")[1]


def test_search_ignores_hyphens_and_punctuation(world, staff, login):
    # The category "Réseau et Wi-Fi" holds both network entries; only one has "wifi" in its
    # title. Whatever way "Wi-Fi" is typed, both are found, and nothing else.
    world.types["wifi"].title_fr = "Comptes Wi-Fi invités pour un événement"
    world.types["network"].description_fr = "Plus d’accès au réseau, en filaire ou en Wi-Fi ?"
    db.session.commit()
    client = login(staff)
    for query in ("wifi", "Wi-Fi", "WI-FI", "wi fi", "wi‑fi", "wi.fi"):
        page = client.get("/catalogue", query_string={"q": query}).text
        assert "Comptes Wi-Fi invités" in page and "Titre connexion-reseau" in page, query
        assert "Titre licence-zoom" not in page, query
    # The category "E-mail" (English name of "Messagerie"): "email" finds its entry.
    page = client.get("/catalogue?q=email").text
    assert "Titre liste-diffusion" in page and "Titre licence-zoom" not in page
    # Apostrophes, straight or curly, separate words as they read.
    for query in ("d'accès", "d’acces", "l'accès filaire"):
        page = client.get("/catalogue", query_string={"q": query}).text
        assert "Titre connexion-reseau" in page and "Comptes Wi-Fi" not in page, query
    # Punctuation alone is no word: everything is shown.
    page = client.get("/catalogue?q=-").text
    assert "Titre connexion-reseau" in page and "Titre licence-zoom" in page


def test_search_key_folds_case_accents_and_punctuation():
    from desk.catalog.services import search_key

    assert search_key("Comptes Wi-Fi invités (UM-NET)") == "comptes wifi invites umnet"
    assert search_key("Plus d’accès à l'ENT…") == "plus d acces a l ent"
    assert search_key("Réseau et Wi‑Fi") == search_key("reseau et wifi")


def test_entries_carry_their_search_text_for_the_live_filter(world, staff, login):
    page = login(staff).get("/catalogue").text
    assert 'data-search="titre licence-zoom title licence-zoom' in page
    assert "catalog.js" in page


def test_inactive_entries_are_hidden_and_their_form_is_404(world, staff, login):
    world.types["zoom"].is_active = False
    db.session.commit()
    client = login(staff)
    assert "Titre licence-zoom" not in client.get("/catalogue").text
    assert client.get("/catalogue/licence-zoom").status_code == 404
    assert client.get("/catalogue/nexiste-pas").status_code == 404


def test_an_entry_with_an_unknown_form_key_is_404(world, staff, login):
    world.types["zoom"].form_key = "disparu"
    db.session.commit()
    assert login(staff).get("/catalogue/licence-zoom").status_code == 404


def test_english_interface(world, login):
    user = make_user(locale="en")
    page = login(user).get("/catalogue").text
    assert (
        "Service catalogue" in page
        and "Title licence-zoom" in page
        and "About licence-zoom" in page
    )


def test_the_sla_hint_is_shown_when_the_sla_feature_provides_it(world, staff, login, app):
    had = app.jinja_env.globals.get("sla_hint")
    app.jinja_env.globals["sla_hint"] = lambda rt: f"2 jours ouvrés pour {rt.slug}"
    try:
        page = login(staff).get("/catalogue").text
    finally:
        if had is None:
            app.jinja_env.globals.pop("sla_hint")
        else:
            app.jinja_env.globals["sla_hint"] = had
    assert "2 jours ouvrés pour licence-zoom" in page


def test_each_form_link_names_its_entry(world, staff, login):
    """Out of its card (a screen reader's list of links), "Open the form" says which one."""
    import html
    import re

    page = login(staff).get("/catalogue").text
    links = re.findall(r'<a class="button primary" href="/catalogue/[^"]+">(.*?)</a>', page)
    names = [html.unescape(re.sub(r"<[^>]+>", "", link)) for link in links]
    assert "Ouvrir le formulaire : Titre licence-zoom" in names
    assert len(names) == len(set(names)) == 5
