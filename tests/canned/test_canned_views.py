"""Managing canned replies (admins, queue leads), and using them on the ticket page."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import select

from desk.canned.models import CannedReply
from desk.extensions import db


def _count() -> int:
    db.session.expire_all()
    return len(db.session.scalars(select(CannedReply)).all())


def _reply_box(page: str) -> str:
    box = re.search(r'<textarea[^>]*id="reply-body"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    return html_lib.unescape(box).strip()


def test_admin_creates_edits_and_deletes(team, login):
    client = login(team.admin)
    assert client.get("/reponses-types").status_code == 200
    response = client.submit(
        "/reponses-types/nouvelle",
        {
            "queue": str(team.mail.id),
            "title": "Boîte pleine",
            "body_fr": "Bonjour {requester_name}, votre boîte est pleine.",
            "body_en": "Hello {requester_name}, your mailbox is full.",
        },
    )
    assert response.status_code == 302
    created = db.session.scalar(select(CannedReply).where(CannedReply.title == "Boîte pleine"))
    assert created.queue_id == team.mail.id and created.body_en.startswith("Hello")
    assert "Boîte pleine" in client.get("/reponses-types").text

    edit = client.submit(
        f"/reponses-types/{created.id}",
        {"queue": str(team.mail.id), "title": "Quota", "body_fr": "Texte", "body_en": ""},
    )
    assert edit.status_code == 302
    db.session.expire_all()
    assert db.session.get(CannedReply, created.id).title == "Quota"

    created_id = created.id
    delete = client.submit(f"/reponses-types/{created_id}/suppression", page="/reponses-types")
    assert delete.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(CannedReply).where(CannedReply.id == created_id)) is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": ""}, "title", "Saisissez un titre."),
        ({"body_fr": ""}, "body_fr", "Saisissez le texte en français."),
        ({"body_fr": "Bonjour {nom} {0}"}, "body_fr", "{nom}, {0}"),
        ({"body_en": "Hello {name"}, "body_en", "Espace(s) réservé(s) inconnu(s)"),
        ({"title": "x" * 121}, "title", "120 caractères au maximum."),
        ({"queue": "999999"}, "queue", "Choisissez une des files que vous gérez."),
        ({"queue": "abc"}, "queue", "Choisissez une des files que vous gérez."),
    ],
)
def test_invalid_input_is_refused_next_to_the_field(team, login, data, field, message):
    client = login(team.admin)
    before = _count()
    payload = {
        "queue": str(team.network.id),
        "title": "Titre",
        "body_fr": "Bonjour {requester_name}",
        "body_en": "",
        **data,
    }
    response = client.submit("/reponses-types/nouvelle", payload)
    assert response.status_code == 400
    errors = response.text.split(f'id="{field}-error"', 1)[1].split("</ul>", 1)[0]
    assert html_lib.escape(message, quote=False) in errors or message in html_lib.unescape(errors)
    assert f'aria-describedby="{field}-' in response.text
    assert _count() == before


def test_a_lead_manages_only_the_queues_they_lead(team, login):
    client = login(team.lead)
    page = client.get("/reponses-types").text
    assert "Prise en charge" in page and "Messagerie" not in page
    form = client.get("/reponses-types/nouvelle").text
    assert f'value="{team.network.id}"' in form and f'value="{team.mail.id}"' not in form
    # Another queue's id (the lead is a member of it, not its lead) is refused.
    response = client.submit(
        "/reponses-types/nouvelle",
        {"queue": str(team.mail.id), "title": "T", "body_fr": "Texte", "body_en": ""},
    )
    assert response.status_code == 400
    assert client.get(f"/reponses-types/{team.other.id}").status_code == 404
    before = _count()
    response = client.submit(f"/reponses-types/{team.other.id}/suppression", page="/reponses-types")
    assert response.status_code == 404 and _count() == before
    assert client.get(f"/reponses-types/{team.welcome.id}").status_code == 200


def test_who_may_not_manage(team, login, client):
    tech = login(team.tech)
    for url in (
        "/reponses-types",
        "/reponses-types/nouvelle",
        f"/reponses-types/{team.welcome.id}",
    ):
        assert tech.get(url).status_code == 403, url
    assert login(team.claire).get("/reponses-types").status_code == 403
    anonymous = client.get("/reponses-types")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    tech.get(f"/tickets/{team.ticket.reference}")
    response = tech.post(
        f"/reponses-types/{team.welcome.id}/suppression", data={"csrf_token": tech.last_csrf}
    )
    assert response.status_code == 403 and _count() == 2
    # Without a CSRF token even an admin cannot delete.
    admin = login(team.admin)
    assert admin.post(f"/reponses-types/{team.welcome.id}/suppression").status_code == 400
    assert _count() == 2


def test_ticket_page_offers_the_queues_replies_filled_in(team, login):
    page = login(team.tech).get(f"/tickets/{team.ticket.reference}").text
    assert 'id="canned-choice"' in page
    assert "Prise en charge" in page and "Messagerie" not in page  # only the ticket's queue
    expected = f"Bonjour Claire Martin,\nNous traitons {team.ticket.reference}."
    assert html_lib.escape(expected).replace("\n", "&#10;") in page or expected in (
        html_lib.unescape(page)
    )
    assert "Gérer les réponses types" not in page  # a plain technician does not manage them
    assert (
        "Gérer les réponses types" in login(team.lead).get(f"/tickets/{team.ticket.reference}").text
    )


def test_without_javascript_the_server_fills_the_reply_box(team, login):
    client = login(team.tech)
    page = client.get(f"/tickets/{team.ticket.reference}?canned={team.welcome.id}").text
    assert _reply_box(page).startswith(
        f"Bonjour Claire Martin,\nNous traitons {team.ticket.reference}."
    )
    # An English-speaking requester gets the English text.
    page = client.get(f"/tickets/{team.english.reference}?canned={team.welcome.id}").text
    assert _reply_box(page).startswith(f"Hello John Smith,\nWe are on {team.english.reference}.")
    # Another queue's reply, or garbage, fills nothing and says so.
    for raw in (str(team.other.id), "abc", "99999999999999999999", "1 OR 1=1"):
        response = client.get(f"/tickets/{team.ticket.reference}", query_string={"canned": raw})
        assert response.status_code == 200
        assert _reply_box(response.text) == ""
        assert "Cette réponse type n’est pas disponible" in response.text


def test_a_name_with_markup_is_escaped(team, login):
    team.claire.display_name = '<script>alert("x")</script> {reference}'
    db.session.commit()
    page = login(team.tech).get(f"/tickets/{team.ticket.reference}?canned={team.welcome.id}").text
    assert '<script>alert("x")</script>' not in page
    assert "{reference}" in _reply_box(page)  # a value is never expanded again


def test_an_admin_of_a_desk_with_no_queue_is_told_to_create_one(app_ctx, login):
    """A fresh desk: the admin's page says where to start instead of refusing them."""
    from desk.auth.models import Role
    from tests.support.factories import make_user

    admin = login(make_user("admin@umontpellier.fr", role=Role.ADMIN, locale="fr"))
    page = admin.get("/reponses-types")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "n’en a encore aucune" in text and 'href="/admin/queues/new"' in text
    assert 'href="/reponses-types/nouvelle"' not in text
    new = admin.get("/reponses-types/nouvelle")
    assert new.status_code == 302 and new.headers["Location"].endswith("/reponses-types")
    assert "Créez d’abord une file" in admin.get("/reponses-types").get_data(as_text=True)
    posted = admin.submit(
        "/reponses-types/nouvelle", {"title": "x", "body_fr": "y"}, page="/reponses-types"
    )
    assert posted.status_code == 302 and _count() == 0
