"""Reading, writing and counting through the web pages: who may see what, bad input, conflicts."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from desk.auth.models import Role
from desk.extensions import db
from desk.kb.models import Article, ArticleVersion, EventKind, KbEvent
from desk.tickets.models import EventKind as TicketEventKind
from desk.tickets.models import Ticket, TicketEvent
from tests.support.factories import make_ticket, make_user

PUBLIC = "mot-de-passe-oublie"
STAFF_ONLY = "procedure-interne-association-zoom"


def _article(slug):
    return db.session.scalar(select(Article).filter_by(slug=slug))


def _events(kind):
    return db.session.scalar(select(func.count()).select_from(KbEvent).filter_by(kind=kind))


def test_anonymous_visitors_read_public_articles_and_views_are_counted(demo_kb, client):
    page = client.get(f"/aide/{PUBLIC}")
    assert page.status_code == 200
    assert "adresse de secours" in page.text
    assert _events(EventKind.VIEW) == 1
    listing = client.get("/aide").text
    assert f"/aide/{PUBLIC}" in listing and STAFF_ONLY not in listing


def test_visitors_find_the_help_in_the_menu_and_under_the_login_form(demo_kb, client):
    login_page = client.get("/login").text
    menu = login_page.split('<nav class="mainnav"')[1].split("</nav>")[0]
    assert 'href="/aide"' in menu and "Articles d’aide" in menu
    form = login_page.split('class="card narrow"')[1].split("</section>")[0]
    assert 'href="/aide"' in form
    # On the help pages: the menu, and a way to log in (the login page needs none).
    help_page = client.get("/aide").text
    assert 'aria-current="page">Articles d’aide' in help_page
    assert 'class="visitor-login"><a href="/login">' in help_page
    assert 'class="visitor-login"' not in login_page
    # Pages that need a login stay out of a visitor's menu.
    assert "/catalogue" not in menu and "/mes-demandes" not in menu


def test_staff_only_article_is_404_for_anonymous_student_and_requester(demo_kb, client, login):
    student = make_user(email="etu1@etu.umontpellier.fr", is_staff=False)
    requester = make_user()
    tech = make_user(role=Role.TECHNICIAN)
    assert client.get(f"/aide/{STAFF_ONLY}").status_code == 404
    assert login(student).get(f"/aide/{STAFF_ONLY}").status_code == 404
    assert login(requester).get(f"/aide/{STAFF_ONLY}").status_code == 404
    assert login(tech).get(f"/aide/{STAFF_ONLY}").status_code == 200
    assert client.post(f"/aide/{STAFF_ONLY}/resolu", data={}).status_code in (400, 404)


def test_an_article_missing_in_english_is_shown_in_french_with_its_lang(demo_kb, login):
    english = make_user(locale="en")
    page = login(english).get("/aide/office-365-affichage-uniquement").text
    assert 'lang="fr"' in page and "affichage uniquement" in page
    page = login(english).get(f"/aide/{PUBLIC}").text
    assert "I forgot my IT account password" in page


def test_the_report_marks_the_language_of_an_article_shown_in_the_other_one(demo_kb, login):
    # RGAA 8.7: an English reader's screen reader read the French title with English sounds.
    login(make_user(locale="en")).get("/aide/office-365-affichage-uniquement")
    login(make_user(locale="en")).get(f"/aide/{PUBLIC}")
    page = login(make_user(role=Role.ADMIN, locale="en")).get("/aide/rapport").text
    french = 'href="/aide/office-365-affichage-uniquement" lang="fr">Office 365 reste en'
    assert french in page
    assert 'class="kb-chart-label" lang="fr">Office 365 reste en' in page
    assert f'href="/aide/{PUBLIC}">I forgot my IT account password' in page  # shown in English


def test_editors_only(demo_kb, client, login):
    requester = make_user()
    assert client.get("/aide/gestion").status_code == 302
    assert login(requester).get("/aide/gestion").status_code == 403
    assert login(requester).get("/aide/rapport").status_code == 403
    assert login(requester).post("/aide/gestion/nouveau", data={}).status_code in (400, 403)


def _form(**values):
    base = {
        "title_fr": "Imprimer en couleur",
        "body_fr": "Choisissez **couleur** dans les options.",
        "title_en": "",
        "body_en": "",
        "keywords": "imprimante",
        "category": "",
        "status": "published",
        "audience": "everyone",
    }
    base.update(values)
    return base


def test_markdown_is_sanitized_on_the_page(demo_kb, login):
    tech = login(make_user(role=Role.TECHNICIAN))
    body = (
        "Bonjour <script>alert(1)</script>\n\n<iframe src='https://evil'></iframe>\n\n"
        "[clic](javascript:alert(2)) <img src=x onerror=alert(3)> [bon](https://umontpellier.fr)"
    )
    response = tech.submit("/aide/gestion/nouveau", _form(body_fr=body))
    assert response.status_code == 302
    page = tech.get("/aide/imprimer-en-couleur").text
    article = page.split('class="kb-body"')[1].split("</div>")[0]
    assert "<script" not in article and "<iframe" not in article and "<img" not in article
    assert "javascript:" not in article.replace("[clic](javascript:alert(2))", "")
    assert 'href="https://umontpellier.fr"' in article


def test_invalid_articles_get_messages_next_to_the_field(demo_kb, login):
    tech = login(make_user(role=Role.TECHNICIAN))
    empty = tech.submit("/aide/gestion/nouveau", _form(title_fr="", body_fr=""))
    assert empty.status_code == 400
    assert (
        "Rédigez l’article en français ou en anglais" in empty.text
        or "title_fr-error" in empty.text
    )
    huge = tech.submit("/aide/gestion/nouveau", _form(body_fr="x" * 60_000))
    assert huge.status_code == 400 and 'id="body_fr-error"' in huge.text
    half = tech.submit("/aide/gestion/nouveau", _form(title_en="Only a title"))
    assert half.status_code == 400 and 'id="body_en-error"' in half.text
    # NUL cannot be stored: refused for the whole app by desk.core.input, with a message.
    nul = tech.submit("/aide/gestion/nouveau", _form(title_fr="Avec\x00nul", body_fr="a\x00b"))
    assert nul.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Article)) == 17


def _multipart(fields: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = "desk-kb-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value
        + b"\r\n"
        for name, value in fields.items()
    ]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


def test_broken_utf8_is_refused_with_a_message_next_to_the_field(demo_kb, login):
    tech = login(make_user(role=Role.TECHNICIAN))
    tech.get("/aide/gestion/nouveau")
    fields = {
        "csrf_token": tech.last_csrf.encode(),
        "title_fr": "Café".encode(),
        "body_fr": b"ok \xfe\xff fin",  # not UTF-8
        "status": b"draft",
        "audience": b"everyone",
        "category": b"",
    }
    body, boundary = _multipart(fields)
    response = tech.post(
        "/aide/gestion/nouveau",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    # Werkzeug decodes the undecodable bytes as U+FFFD: the editor says so, saves nothing.
    assert response.status_code == 400
    error = response.text.split('id="body_fr-error"')[1].split("</")[0]
    assert "ne sont pas de l’UTF-8 valide" in error
    assert db.session.scalar(select(func.count()).select_from(Article)) == 17
    # URL-encoded the same (desk.core.input: werkzeug alone kept them as the text "%FE").
    raw = (
        b"csrf_token=" + tech.last_csrf.encode() + b"&title_fr=Caf%C3%A9&body_fr=ok%FE%FF"
        b"&status=draft&audience=everyone&category="
    )
    refused = tech.post(
        "/aide/gestion/nouveau", data=raw, content_type="application/x-www-form-urlencoded"
    )
    assert refused.status_code == 400
    error = refused.text.split('id="body_fr-error"')[1].split("</")[0]
    assert "ne sont pas de l’UTF-8 valide" in error
    assert db.session.scalar(select(func.count()).select_from(Article)) == 17
    # In a search or an address, such bytes are only characters: no error either.
    assert tech.get("/aide?q=%FF%FE").status_code == 200
    assert tech.get("/aide/suggestions?q=zoom%FF").status_code == 200
    assert tech.get("/aide/caf%FF").status_code == 404


def test_huge_documents_are_refused_cleanly(demo_kb, login):
    tech = login(make_user(role=Role.TECHNICIAN))
    # Past the article limit: the form comes back with the message next to the text.
    for size in (60_000, 600_000):
        long = tech.submit("/aide/gestion/nouveau", _form(body_fr="mot " * (size // 4)))
        assert long.status_code == 400 and 'id="body_fr-error"' in long.text
        message = long.text.split('id="body_fr-error"')[1].split("</")[0]
        assert "trop long" in message, message
    # Past the request limit (uploads + 1 MB): refused before the view, by the error page in
    # French, not a 5xx.
    huge = tech.submit("/aide/gestion/nouveau", _form(body_fr="x" * 12 * 1024 * 1024))
    assert huge.status_code == 413
    assert "Envoi trop volumineux" in huge.text and "Raccourcissez le texte" in huge.text
    assert db.session.scalar(select(func.count()).select_from(Article)) == 17


def test_a_second_save_from_the_same_version_is_refused_not_lost(demo_kb, login):
    alice = make_user(role=Role.TECHNICIAN, name="Alice Tech")
    bob = make_user(role=Role.TECHNICIAN, name="Bob Tech")
    article = _article(PUBLIC)
    url = f"/aide/gestion/{article.id}"
    a, b = login(alice), login(bob)
    a.get(url)
    token_a = a.last_csrf
    b.get(url)
    token_b = b.last_csrf
    version = str(article.version)
    first = a.post(url, data=_form(title_fr="Version d'Alice", version=version, csrf_token=token_a))
    assert first.status_code == 302
    second = b.post(url, data=_form(title_fr="Version de Bob", version=version, csrf_token=token_b))
    assert second.status_code == 409
    assert "Alice Tech" in second.text and "Version de Bob" in second.text
    db.session.expire_all()
    assert _article(PUBLIC).title_fr == "Version d'Alice"
    # Saving again from the conflict page is a deliberate choice: it now goes through.
    version = str(_article(PUBLIC).version)
    third = b.post(url, data=_form(title_fr="Version de Bob", version=version, csrf_token=token_b))
    assert third.status_code == 302
    db.session.expire_all()
    versions = db.session.scalars(
        select(ArticleVersion).filter_by(article_id=article.id).order_by(ArticleVersion.number)
    ).all()
    assert [v.editor.display_name if v.editor else None for v in versions] == [
        None,
        "Alice Tech",
        "Bob Tech",
    ]
    history = a.get(f"/aide/gestion/{article.id}/historique").text
    assert "Bob Tech" in history and "Titre en français" in history


def test_a_forged_or_missing_version_is_refused(demo_kb, login):
    tech = login(make_user(role=Role.TECHNICIAN))
    article = _article(PUBLIC)
    url = f"/aide/gestion/{article.id}"
    for forged in ("²", "9" * 5000, "-3", "x"):
        response = tech.submit(url, _form(title_fr="Forgé", version=forged))
        assert response.status_code == 400, forged
        assert "Ce formulaire est incomplet" in response.text
    db.session.expire_all()
    assert _article(PUBLIC).title_fr != "Forgé"
    # Blank or left out: the save could not be checked against a colleague's and would
    # overwrite it; refused the same way (the page always sends the version).
    for missing in ("  ", ""):
        response = tech.submit(url, _form(title_fr="Sans version", version=missing))
        assert response.status_code == 400
        assert "Ce formulaire est incomplet" in response.text
    db.session.expire_all()
    assert _article(PUBLIC).title_fr != "Sans version"
    # A new article has no version yet.
    response = tech.submit("/aide/gestion/nouveau", _form(title_fr="Nouvel article", version=""))
    assert response.status_code == 302


@pytest.mark.parametrize("days", ["²", "9" * 5000, "-7", "abc", "0"])
def test_the_report_period_falls_back_to_30_days(demo_kb, login, days):
    report = login(make_user(role=Role.ADMIN)).get(f"/aide/rapport?days={days}")
    assert report.status_code == 200
    assert '<option value="30" selected>' in report.text


def test_solved_records_a_deflection_and_creates_no_ticket(demo_kb, login):
    requester = login(make_user())
    article = _article("liste-de-diffusion-plutot-que-boite-partagee")
    page = requester.get(f"/aide/{article.slug}?from=creation-liste-diffusion")
    assert 'value="creation-liste-diffusion"' in page.text
    response = requester.post(
        f"/aide/{article.slug}/resolu",
        data={"csrf_token": requester.last_csrf, "from": "creation-liste-diffusion"},
    )
    assert response.status_code == 302
    event = db.session.scalar(select(KbEvent).filter_by(kind=EventKind.DEFLECTION))
    assert event.article_id == article.id and event.request_type.slug == "creation-liste-diffusion"
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
    report = login(make_user(role=Role.ADMIN)).get("/aide/rapport").text
    assert 'data-total="deflections">1<' in report
    assert 'data-entry="creation-liste-diffusion"' in report


def _solved(browser, slug):
    return browser.submit(f"/aide/{slug}/resolu", page=f"/aide/{slug}")


def test_this_solved_it_counts_once_per_article_for_one_reader(demo_kb, client, login):
    requester = login(make_user())
    # Clicked again from the thanks page's link back to the article (or Back, then again).
    for _ in range(3):
        assert _solved(requester, PUBLIC).headers["Location"] == f"/aide/{PUBLIC}/merci"
    assert _events(EventKind.DEFLECTION) == 1
    _solved(requester, "liste-de-diffusion-plutot-que-boite-partagee")  # another article
    for _ in range(2):
        _solved(client, PUBLIC)  # a visitor who is not signed in: another reader
    _solved(login(make_user(email="autre@umontpellier.fr")), PUBLIC)
    report = login(make_user(role=Role.ADMIN)).get("/aide/rapport").text
    assert 'data-total="deflections">4<' in report


def test_searches_without_result_are_the_gaps_in_the_report(demo_kb, client, login):
    client.get("/aide?q=imprimante+couleur+recto")
    client.get("/aide?q=Imprimante couleur recto")
    client.get("/aide?q=zoom")
    report = login(make_user(role=Role.TECHNICIAN)).get("/aide/rapport").text
    assert 'data-total="searches">3<' in report and 'data-total="empty">2<' in report
    assert "imprimante couleur recto" in report


def test_suggestions_answer_any_query_shape(demo_kb, client):
    for query in ["zoom 40 min", "%", "'\"<>", "a" * 300_000, "é&|!:*()", "\x01\x7f"]:
        response = client.get("/aide/suggestions", query_string={"q": query})
        assert response.status_code == 200
    # NUL is refused for every route by desk.core.input (400, never a 5xx).
    assert client.get("/aide/suggestions", query_string={"q": "a\x00"}).status_code == 400
    first = client.get("/aide/suggestions", query_string={"q": "zoom 40 min"}).json
    assert first["articles"][0]["url"].startswith("/aide/zoom-reunions-limitees-a-40-minutes")
    assert any(highlighted for _text, highlighted in first["articles"][0]["snippet"])


def test_catalogue_search_shows_matching_articles_above_entries(demo_kb, login):
    page = login(make_user()).get("/catalogue?q=zoom 40 min").text
    articles = page.index("kb-catalogue-title")
    assert articles < page.index("catalogue-empty")
    first = page.index("/aide/zoom-reunions-limitees-a-40-minutes", articles)
    assert (
        first < page.index("/aide/zoom-delai-association-licence", articles)
        if ("/aide/zoom-delai-association-licence" in page[articles:])
        else True
    )


def test_form_shows_its_articles_and_checks_first_without_javascript(demo_kb, login):
    requester = login(make_user(email="claire@umontpellier.fr"))
    url = "/catalogue/creation-liste-diffusion"
    page = requester.get(url).text
    assert "/aide/liste-de-diffusion-plutot-que-boite-partagee" in page
    data = {
        "list_name": "doctorants-richter",
        "purpose": "Une adresse commune pour le secrétariat",
        "recipients": "alice@umontpellier.fr",
        "owners": "claire@umontpellier.fr",
    }
    step = requester.submit(url, data)
    assert step.status_code == 200 and 'id="kb-check"' in step.text
    assert "doctorants-richter" in step.text  # the form as typed
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
    sent = requester.post(
        url,
        data={
            **data,
            "kb_checked": "1",
            "csrf_token": requester.last_csrf,
            "idempotency_token": "tok-kb-1",
        },
    )
    assert sent.status_code == 302, sent.text[:2000]
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_what_a_form_says_is_not_a_search_in_the_report(demo_kb, login):
    # The report's gaps are read by every technician: they showed what requesters wrote in a
    # form of any queue (here a health matter), whether or not they sent it.
    requester = login(make_user(email="claire@umontpellier.fr"))
    data = {
        "list_name": "equipe-martin",
        "purpose": "Jeanne Martin en arrêt maladie jusqu'au 12 mars",
        "recipients": "alice@umontpellier.fr",
        "owners": "claire@umontpellier.fr",
    }
    step = requester.submit("/catalogue/creation-liste-diffusion", data)
    assert 'id="kb-check"' in step.text  # the form's articles are still offered first
    assert _events(EventKind.SEARCH) == 0
    report = login(make_user(role=Role.ADMIN)).get("/aide/rapport").text
    assert "martin" not in report.lower()


def test_a_search_counted_at_a_pause_is_not_counted_again_by_its_enter(demo_kb, login):
    # static/kb.js counts a pause in the catalogue's box (record=1); Enter then sends the same
    # search to the catalogue page: one search in the report, not two.
    requester = login(make_user())
    assert requester.get("/aide/suggestions?q=zoom+40+min&record=1").status_code == 200
    assert _events(EventKind.SEARCH) == 1
    assert "40 minutes" in requester.get("/catalogue?q=zoom+40+min").text
    assert _events(EventKind.SEARCH) == 1
    # Used once: the same search sent again later, or another one, is counted.
    requester.get("/catalogue?q=zoom+40+min")
    requester.get("/aide/suggestions?q=wifi&record=1")
    requester.get("/catalogue?q=teams")
    assert _events(EventKind.SEARCH) == 4


def test_technician_drafts_an_article_from_a_resolved_ticket(demo_kb, login):
    tech_user = make_user(role=Role.ADMIN)
    tech = login(tech_user)
    open_ticket = make_ticket(subject="Imprimante bloquée")
    assert (
        tech.submit(f"/aide/gestion/depuis-ticket/{open_ticket.reference}", {}).status_code == 302
    )
    assert db.session.scalar(select(func.count()).select_from(Article)) == 17
    done = make_ticket(
        subject="Wi-Fi coupé en salle 12", status="resolved", data={"description": "Plus de Wi-Fi"}
    )
    db.session.add_all(
        [
            TicketEvent(ticket=done, kind=TicketEventKind.REPLY, body="Redémarrez la borne."),
            TicketEvent(
                ticket=done, kind=TicketEventKind.NOTE, body="SECRET interne", is_internal=True
            ),
        ]
    )
    db.session.commit()
    page = tech.get(f"/equipe/tickets/{done.reference}") if False else None
    response = tech.submit(
        f"/aide/gestion/depuis-ticket/{done.reference}", {}, page="/aide/gestion"
    )
    assert response.status_code == 302
    draft = db.session.scalar(select(Article).filter_by(title_fr="Wi-Fi coupé en salle 12"))
    assert draft.status.value == "draft" and "Redémarrez la borne." in draft.body_fr
    assert "SECRET" not in draft.body_fr and "Plus de Wi-Fi" in draft.body_fr
    assert page is None


def test_an_article_offers_a_staff_only_form_only_to_those_who_may_use_it(demo_kb, client, login):
    url = "/aide/wifi-invites-evenement-colloque"
    form = 'href="/catalogue/comptes-wifi-evenement"'
    student = make_user("etu@etu.umontpellier.fr", is_staff=False)
    staff = make_user("agent@umontpellier.fr")
    # The student would meet "reserved for university staff": not offered.
    assert form not in login(student).get(url).text
    assert form in login(staff).get(url).text
    # A visitor not yet signed in is offered it: signing in tells who they are.
    assert form in client.get(url).text


def test_a_search_page_title_says_what_was_searched(demo_kb, client, login):
    # Its title is the first thing a screen reader reads of the new page: the help's and the
    # catalogue's own titles told nothing of the search that was just sent.
    import re

    def title(html):
        return re.search(r"<title>(.*?)</title>", html, re.S).group(1)

    assert title(client.get("/aide").text) == "Articles d’aide · desk"
    assert (
        title(client.get("/aide?q=zoom").text) == "Résultats pour « zoom » · Articles d’aide · desk"
    )
    catalogue = login(make_user())
    assert title(catalogue.get("/catalogue?q=wi-fi").text).startswith("Résultats pour « wi-fi » · ")
    assert title(catalogue.get("/catalogue").text) == "Catalogue de services · desk"


def test_the_editor_marks_the_language_of_each_text_not_of_its_labels(demo_kb, login):
    # English page: "Title (French)" is English and read as such; what is typed in the
    # field below it is French. The French column was one lang="fr" block, labels, hints
    # and error messages included.
    import re

    tech = login(make_user(role=Role.TECHNICIAN))
    html = tech.get("/aide/gestion/nouveau", headers={"Accept-Language": "en"}).text
    assert '<html lang="en">' in html
    editor = html.split('class="card kb-editor"')[1]
    assert not re.search(r'<(div|p|label)[^>]* lang="', editor)
    for name, lang in [("title_fr", "fr"), ("body_fr", "fr"), ("title_en", "en")]:
        tag = re.search(rf'<(?:input|textarea)[^>]* id="{name}"[^>]*>', editor).group(0)
        assert f'lang="{lang}"' in tag, tag
    keywords = re.search(r'<input[^>]* id="keywords"[^>]*>', editor).group(0)
    assert "lang=" not in keywords


def test_a_too_long_title_gets_desk_s_message(demo_kb, login):
    # It showed WTForms' own "Field cannot be longer than 200 characters." next to the field.
    tech = login(make_user(role=Role.TECHNICIAN))
    form = _form(title_fr="t" * 201, title_en="t" * 201, body_en="Choose **colour**.")
    response = tech.submit("/aide/gestion/nouveau", form)
    assert response.status_code == 400
    for field in ("title_fr", "title_en"):
        error = response.text.split(f'id="{field}-error"')[1].split("</")[0]
        assert "Le titre est trop long (200 caractères au plus)." in error, error
    assert db.session.scalar(select(func.count()).select_from(Article)) == 17


def test_a_form_the_reader_may_not_use_is_not_offered_back_nor_credited(demo_kb, login):
    """A hand-made link naming a staff-only form (Wi-Fi accounts for an event): a student's
    "I still need help" would end at a 403, and the deflection would be counted for it."""
    student = login(make_user(email="leo@etu.umontpellier.fr", is_staff=False))
    article = _article("liste-de-diffusion-plutot-que-boite-partagee")
    page = student.get(f"/aide/{article.slug}?from=comptes-wifi-evenement")
    assert page.status_code == 200
    assert "/catalogue/comptes-wifi-evenement" not in page.text
    assert 'value="comptes-wifi-evenement"' not in page.text
    student.post(
        f"/aide/{article.slug}/resolu",
        data={"csrf_token": student.last_csrf, "from": "comptes-wifi-evenement"},
    )
    event = db.session.scalar(select(KbEvent).filter_by(kind=EventKind.DEFLECTION))
    assert event.article_id == article.id and event.request_type is None
    # Staff may use that form: it is theirs to go back to.
    staff = login(make_user(email="claire@umontpellier.fr"))
    assert (
        'value="comptes-wifi-evenement"'
        in staff.get(f"/aide/{article.slug}?from=comptes-wifi-evenement").text
    )
