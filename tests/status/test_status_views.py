"""Service status: staff publish, edit and end disruptions; everyone sees them before filing a
request, follows those that affect them and is e-mailed when they are over."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import func, select

from desk.extensions import db
from desk.notifications.models import Channel, Notification, NotificationEvent
from desk.status.models import Disruption, DisruptionFollower
from desk.status.services import DisruptionText, end_disruption, publish_disruption
from tests.support.factories import make_category, make_domain, make_ticket
from tests.support.sql import statements_sent

STATUS = "/etat-des-services"
NEW = f"{STATUS}/nouvelle"


def _publish(services, title="Wi-Fi coupé au bâtiment B", category=None, **more) -> Disruption:
    content = DisruptionText(title_fr=title, details_fr=more.pop("details_fr", ""), **more)
    content.category = category
    return publish_disruption(content, actor=services.tech)


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _field_error(page: str, field: str) -> str:
    match = re.search(rf'<ul class="errors" id="{field}-error">(.*?)</ul>', page, re.S)
    assert match, f"no error next to {field}"
    # Only the markup's own white space: a number's narrow no-break space (« 2 000 ») stays.
    return re.sub(r"[ \t\r\n]+", " ", _text(match.group(1))).strip()


def test_staff_publish_and_everyone_sees_it_before_filing(services, login):
    tech = login(services.tech)
    response = tech.submit(
        NEW,
        {
            "title_fr": "  Wi-Fi coupé au bâtiment B  ",
            "details_fr": "Depuis 9 h.\nUtilisez le réseau filaire en attendant.",
            "category": str(services.network.id),
            "title_en": "",
            "details_en": "",
            "version": "0",
        },
    )
    assert response.status_code == 302
    disruption = db.session.scalar(select(Disruption))
    assert disruption.title_fr == "Wi-Fi coupé au bâtiment B"
    assert disruption.category_id == services.network.id and disruption.ended_at is None
    assert disruption.created_by_id == services.tech.id

    claire = login(services.claire)
    for page in ("/home", "/catalogue", "/catalogue/wifi", STATUS):
        assert "Wi-Fi coupé au bâtiment B" in claire.get(page).text, page
    # The mail form is another service: no banner there.
    assert "Wi-Fi coupé" not in claire.get("/catalogue/boite").text
    status = _text(claire.get(STATUS).text)
    assert "Utilisez le réseau filaire en attendant." in status
    assert "Personnes qui la suivent" not in status  # staff only


def test_a_disruption_of_every_service_shows_on_every_form(services, login):
    _publish(services, "Panne générale du réseau")
    claire = login(services.claire)
    assert "Panne générale du réseau" in claire.get("/catalogue/boite").text
    assert "Tous les services" in claire.get(STATUS).text


def test_an_english_reader_gets_the_english_text_or_the_french_one_marked(services, login):
    _publish(services, "Messagerie lente", title_en="Slow e-mail", details_en="Since 9 am.")
    _publish(services, "Imprimantes hors service")
    page = login(services.john).get(STATUS).text
    assert "Slow e-mail" in page and "Since 9 am." in page and "Messagerie lente" not in page
    assert '<span lang="fr">Imprimantes hors service</span>' in page
    assert "Known disruptions" in login(services.john).get("/home").text


def test_anonymous_visitors_read_the_status_and_are_offered_to_log_in(services, client):
    _publish(services)
    page = client.get(STATUS)
    assert page.status_code == 200
    assert "Wi-Fi coupé au bâtiment B" in page.text
    assert "Connectez-vous pour être prévenu" in page.text
    assert "/suivre" not in page.text


def test_recently_ended_disruptions_stay_a_week(services, client):
    recent = _publish(services, "Réglée hier")
    old = _publish(services, "Réglée le mois dernier")
    end_disruption(recent, actor=services.tech)
    end_disruption(old, actor=services.tech)
    old.ended_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=8)
    db.session.commit()
    page = client.get(STATUS).text
    going_on, fixed = page.split("Réglées cette semaine")
    assert "Réglée hier" in fixed and "Réglée hier" not in going_on
    assert "Réglée le mois dernier" not in page
    assert "Tout fonctionne : aucune perturbation connue." in going_on


def test_a_title_is_one_line(services, login):
    data = {"title_fr": "Wi-Fi\r\ncoupé\n\tB", "title_en": "No\nWi-Fi", "category": ""}
    assert login(services.tech).submit(NEW, {**data, "version": "0"}).status_code == 302
    disruption = db.session.scalar(select(Disruption))
    assert (disruption.title_fr, disruption.title_en) == ("Wi-Fi coupé B", "No Wi-Fi")


def test_typed_text_is_escaped(services, login):
    _publish(services, "<script>alert(1)</script>", details_fr="<b>gras</b>")
    for page in ("/home", STATUS):
        text = login(services.claire).get(page).text
        assert "<script>alert(1)</script>" not in text and "<b>gras</b>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


BAD = [
    ({"title_fr": ""}, "title_fr", "Dites en quelques mots ce qui ne fonctionne pas."),
    ({"title_fr": "   "}, "title_fr", "Dites en quelques mots ce qui ne fonctionne pas."),
    ({"title_fr": "x" * 121}, "title_fr", "120 caractères au plus."),
    ({"details_fr": "x" * 2001}, "details_fr", "2\u202f000 caractères au plus."),
    ({"title_en": "x" * 121}, "title_en", "120 caractères au plus."),
    (
        {"details_en": "Since 9 am."},
        "details_en",
        "Donnez aussi le titre en anglais, ou laissez vide le texte en anglais.",
    ),
    ({"category": "999999"}, "category", "Choisissez un service de la liste."),
    ({"category": "abc"}, "category", "Choisissez un service de la liste."),
    ({"category": "9" * 40}, "category", "Choisissez un service de la liste."),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD)
def test_bad_input_is_refused_next_to_its_field_with_nothing_saved(
    services, login, change, field, message
):
    data = {"title_fr": "Wi-Fi coupé", "details_fr": "", "category": "", "version": "0"}
    response = login(services.tech).submit(NEW, {**data, **change})
    assert response.status_code == 400
    assert _field_error(response.text, field) == message
    assert "1 erreur" in response.text
    assert _count(Disruption) == 0


@pytest.mark.parametrize(
    "data",
    [
        {"title_fr": "Wi-Fi\x00 coupé", "category": "", "version": "0"},
        {"title_fr": "Wi-Fi", "category": "\x00", "version": "0"},
    ],
)
def test_unstorable_bytes_get_a_clean_400(services, login, data):
    response = login(services.tech).submit(NEW, data)
    assert response.status_code == 400
    assert "Traceback" not in response.text
    assert _count(Disruption) == 0


def test_invalid_utf8_gets_a_clean_answer(services, login):
    tech = login(services.tech)
    tech.get(NEW)
    body = (
        b"csrf_token=" + tech.last_csrf.encode() + b"&title_fr=Wi-Fi+\xff\xfe&category=&version=0"
    )
    response = tech.post(NEW, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500
    assert _count(Disruption) <= 1


def test_without_csrf_nothing_is_published_or_ended(services, login):
    tech = login(services.tech)
    response = tech.post(NEW, data={"title_fr": "Wi-Fi", "category": "", "version": "0"})
    assert response.status_code == 400 and _count(Disruption) == 0
    disruption = _publish(services)
    assert tech.post(f"{STATUS}/{disruption.id}/fin", data={}).status_code == 400
    db.session.expire_all()
    assert db.session.get(Disruption, disruption.id).ended_at is None


def test_requesters_may_not_publish_edit_or_end(services, login, client):
    disruption = _publish(services)
    claire = login(services.claire)
    assert claire.get(NEW).status_code == 403
    assert claire.submit(NEW, {"title_fr": "Faux", "category": ""}, page="/home").status_code == 403
    assert claire.get(f"{STATUS}/{disruption.id}/modifier").status_code == 403
    assert claire.submit(f"{STATUS}/{disruption.id}/fin", page="/home").status_code == 403
    assert "Signaler une perturbation" not in claire.get(STATUS).text
    assert client.get(NEW).status_code == 302  # anonymous: to the login page
    assert client.post(f"{STATUS}/{disruption.id}/suivre").status_code in (302, 400)
    assert _count(Disruption) == 1 and _count(DisruptionFollower) == 0
    db.session.expire_all()
    assert db.session.get(Disruption, disruption.id).ended_at is None


@pytest.mark.parametrize(
    "missing", ["/etat-des-services/0/modifier", "/etat-des-services/99999999999999999999/modifier"]
)
def test_unknown_disruptions_are_not_found(services, login, missing):
    assert login(services.tech).get(missing).status_code == 404


def test_follow_from_a_form_comes_back_to_it_once(services, login):
    disruption = _publish(services, category=services.network)
    claire = login(services.claire)
    page = claire.get("/catalogue/wifi").text
    assert "Je suis concerné : prévenez-moi quand ce sera réglé" in page
    follow = f"{STATUS}/{disruption.id}/suivre"
    for _ in range(2):  # a double click follows once
        response = claire.submit(follow, {"next": "/catalogue/wifi"}, page="/catalogue/wifi")
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/catalogue/wifi")
    assert _count(DisruptionFollower) == 1
    page = claire.get("/catalogue/wifi").text
    assert "Vous serez prévenu quand ce sera rétabli." in page
    assert "C’est noté" in page or "Je suis concerné" not in page
    assert "Vous serez prévenu par e-mail" in claire.get(STATUS).text
    assert ">1<" in login(services.tech).get(STATUS).text.replace(" ", "")

    claire.submit(f"{STATUS}/{disruption.id}/ne-plus-suivre", page=STATUS)
    assert _count(DisruptionFollower) == 0


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_follow_never_leaves_the_site(services, login, target):
    disruption = _publish(services)
    response = login(services.claire).submit(
        f"{STATUS}/{disruption.id}/suivre", {"next": target}, page=STATUS
    )
    assert response.headers["Location"].endswith(STATUS)


def test_ending_tells_each_active_follower_once_in_their_language(services, login):
    disruption = _publish(services, "Messagerie lente", title_en="Slow e-mail")
    for user in (services.claire, services.john):
        login(user).submit(f"{STATUS}/{disruption.id}/suivre", page=STATUS)
    tech = login(services.tech)
    response = tech.submit(f"{STATUS}/{disruption.id}/fin", page=STATUS)
    assert response.status_code == 302
    assert "personnes prévenues par e-mail : 2" in tech.get(STATUS).text
    rows = db.session.scalars(select(Notification)).all()
    assert {r.recipient_id for r in rows} == {services.claire.id, services.john.id}
    assert {r.event for r in rows} == {NotificationEvent.DISRUPTION_ENDED}
    assert {r.channel for r in rows} == {Channel.EMAIL}
    assert {r.payload["locale"] for r in rows} == {"fr", "en"}
    db.session.expire_all()
    ended = db.session.get(Disruption, disruption.id)
    assert ended.ended_at is not None and ended.ended_by_id == services.tech.id

    # Ended twice (two technicians at once): the second is told, nobody is e-mailed again.
    again = login(services.admin)
    again.submit(f"{STATUS}/{disruption.id}/fin", page=STATUS)
    assert "Cette perturbation est déjà terminée." in again.get(STATUS).text
    assert _count(Notification) == 2
    # Over: it leaves the banners, and can be neither followed nor edited.
    claire = login(services.claire)
    assert "Messagerie lente" not in claire.get("/home").text
    claire.submit(f"{STATUS}/{disruption.id}/suivre", page=STATUS)
    assert "Cette perturbation est déjà terminée." in claire.get(STATUS).text
    edit = tech.get(f"{STATUS}/{disruption.id}/modifier")
    assert edit.status_code == 302


def test_a_deactivated_follower_is_not_told(services, login):
    disruption = _publish(services)
    login(services.claire).submit(f"{STATUS}/{disruption.id}/suivre", page=STATUS)
    services.claire.is_active_account = False
    db.session.commit()
    assert end_disruption(disruption, actor=services.tech) == 0
    assert _count(Notification) == 0


def test_edit_changes_the_text_and_refuses_a_stale_page(services, login):
    disruption = _publish(services, "Wi-Fi coupé")
    first, second = login(services.tech), login(services.admin)
    url = f"{STATUS}/{disruption.id}/modifier"
    form = first.get(url).text
    assert 'value="Wi-Fi coupé"' in form
    version = re.search(r'name="version"[^>]*value="(\d+)"', form).group(1)
    second.get(url)
    data = {"title_fr": "Wi-Fi coupé au bâtiment B", "category": str(services.network.id)}
    assert second.submit(url, {**data, "version": version}).status_code == 302

    stale = first.submit(url, {"title_fr": "Wi-Fi rétabli ?", "category": "", "version": version})
    assert stale.status_code == 409
    assert "Quelqu’un a modifié cette perturbation" in stale.text
    assert 'value="Wi-Fi rétabli ?"' in stale.text  # their text is kept
    db.session.expire_all()
    assert db.session.get(Disruption, disruption.id).title_fr == "Wi-Fi coupé au bâtiment B"
    newer = re.search(r'name="version"[^>]*value="(\d+)"', stale.text).group(1)
    again = first.submit(url, {"title_fr": "Wi-Fi rétabli ?", "category": "", "version": newer})
    assert again.status_code == 302
    db.session.expire_all()
    edited = db.session.get(Disruption, disruption.id)
    assert edited.title_fr == "Wi-Fi rétabli ?" and edited.category_id is None


def test_a_garbage_version_is_a_field_error(services, login):
    disruption = _publish(services)
    response = login(services.tech).submit(
        f"{STATUS}/{disruption.id}/modifier", {"title_fr": "X", "category": "", "version": "1e9"}
    )
    assert response.status_code == 400
    assert "Ce formulaire est incomplet" in response.text


def test_the_banner_costs_the_same_queries_whatever_the_number_of_disruptions(services, login):
    # Each measure follows a first visit: the test's commits expired rows the page reloads.
    claire = login(services.claire)
    _publish(services, "Une")
    claire.get("/catalogue/wifi")
    with statements_sent(db.engine) as one:
        claire.get("/catalogue/wifi")
    for n in range(5):
        _publish(services, f"Perturbation {n}", category=services.network)
    claire.get("/catalogue/wifi")
    with statements_sent(db.engine) as six:
        assert "Perturbation 4" in claire.get("/catalogue/wifi").text
    assert len(six) == len(one), "\n\n".join(s[:150] for s in six)


def test_the_staff_ticket_page_names_a_disruption_of_its_service(services, login):
    wifi = make_ticket(request_type=services.wifi_form, requester=services.claire)
    mail = make_ticket(request_type=services.mail_form, requester=services.claire)
    closed = make_ticket(request_type=services.wifi_form, status="closed")
    disruption = _publish(services, "Wi-Fi coupé", category=services.network, title_en="No Wi-Fi")
    tech = login(services.tech)
    page = tech.get(f"/tickets/{wifi.reference}").text
    assert "Perturbation connue" in page
    link = f'href="/etat-des-services#perturbation-{disruption.id}" id="disruption-{disruption.id}"'
    assert f"{link}>Wi-Fi coupé</a>" in page
    assert "Wi-Fi coupé" not in tech.get(f"/tickets/{mail.reference}").text
    assert "Wi-Fi coupé" not in tech.get(f"/tickets/{closed.reference}").text
    services.tech.locale = "en"
    db.session.commit()
    assert ">No Wi-Fi</a>" in login(services.tech).get(f"/tickets/{wifi.reference}").text
    end_disruption(disruption, actor=services.admin)
    assert "Wi-Fi coupé" not in tech.get(f"/tickets/{wifi.reference}").text


def test_staff_find_the_page_from_my_queues_and_every_footer(services, login, client):
    tech = login(services.tech)
    assert 'href="/etat-des-services/nouvelle"' in tech.get("/queues").text
    for page in ("/home", "/catalogue", "/aide"):
        footer = tech.get(page).text.split('<footer class="sitefooter">')[1]
        assert 'href="/etat-des-services"' in footer, page
    assert 'href="/etat-des-services"' in client.get("/login").text


def test_the_editor_reads_its_services_in_one_query_however_many(services, login):
    tech = login(services.tech)
    tech.get(NEW)
    with statements_sent(db.engine) as few:
        tech.get(NEW)
    for _ in range(2):
        domain = make_domain()
        for _ in range(3):
            make_category(domain)
    tech.get(NEW)
    with statements_sent(db.engine) as more:
        page = tech.get(NEW).text
    assert page.count("› Réseau") == 7  # the network of the fixture, six new ones
    assert len(more) == len(few), "\n\n".join(s[:150] for s in more)


def test_the_kb_report_counts_follows_as_requests_avoided(services, login):
    wifi = _publish(services, "Wi-Fi coupé", title_en="No Wi-Fi")
    mail = _publish(services, "Messagerie lente")
    for user in (services.claire, services.john):
        login(user).submit(f"{STATUS}/{wifi.id}/suivre", page=STATUS)
    login(services.claire).submit(f"{STATUS}/{mail.id}/suivre", page=STATUS)
    # A follow of two months ago is outside the last 30 days.
    old = db.session.get(DisruptionFollower, (mail.id, services.claire.id))
    old.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=60)
    db.session.commit()
    tech = login(services.tech)
    page = tech.get("/aide/rapport?days=30").text
    row = re.search(rf'<tr data-disruption="{wifi.id}">(.*?)</tr>', page, re.S)
    assert row and "Wi-Fi coupé" in row.group(1) and "<td>2</td>" in row.group(1)
    assert f'data-disruption="{mail.id}"' not in page
    assert f'data-disruption="{mail.id}"' in tech.get("/aide/rapport?days=90").text
    assert login(services.claire).get("/aide/rapport").status_code == 403
