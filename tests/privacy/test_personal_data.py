"""The privacy page (public, both languages, the configured periods and contact) and a
person's data as a JSON download: their own, or an admin's download for them; never another
person's ticket, never a queue's internal notes unless they work it."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from desk.extensions import db
from desk.tickets.actions import add_note, add_reply
from desk.tickets.models import Ticket
from desk.tickets.services import add_requester_comment
from desk.watchers.models import TicketWatcher
from tests.support.factories import make_ticket, make_user


def _conversation(desk):
    ticket = db.session.get(Ticket, desk.ticket.id)
    add_requester_comment(ticket, desk.requester, "Bureau 214, poste PC-LAB-42")
    add_reply(ticket, "Prise murale changée", actor=desk.tech)
    add_note(ticket, "Mot de passe du switch : hunter2", actor=desk.tech)
    db.session.commit()
    return ticket


def _download(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.text[:300]
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    return json.loads(response.data)


def test_the_privacy_page_is_public_in_both_languages(app, client):
    page = client.get("/donnees-personnelles")
    assert page.status_code == 200
    assert "<h1>Données personnelles</h1>" in page.text
    # Grouped as each language writes numbers: a narrow no-break space in French, a comma in
    # English.
    assert "effacé 1\u202f095 jours après sa dernière modification" in page.text
    assert "anonymisé 365 jours après sa fin" in page.text
    assert 'href="mailto:dpo@umontpellier.fr"' in page.text
    assert "Université de Montpellier est responsable de ce traitement." in page.text
    assert "mes-donnees.json" not in page.text  # nothing to download for a visitor
    english = client.get("/donnees-personnelles", headers={"Accept-Language": "en"})
    assert "<h1>Personal data</h1>" in english.text
    assert "erased 1,095 days after its last change" in english.text
    # Every page's footer leads to it.
    assert 'href="/donnees-personnelles"' in client.get("/login").text


def test_the_page_follows_the_configuration(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "TICKET_RETENTION_DAYS", 0)
    monkeypatch.setitem(app.config, "PRIVACY_CONTACT", "cil@univ.example")
    monkeypatch.setitem(app.config, "PRIVACY_CONTROLLER", "Université <Exemple>")
    page = client.get("/donnees-personnelles").text
    assert "gardé jusqu’à ce qu’on demande son effacement" in page
    assert "mailto:cil@univ.example" in page
    assert "Université &lt;Exemple&gt; est responsable de ce traitement." in page


def test_a_requester_downloads_what_they_may_read_and_nothing_else(desk, login):
    _conversation(desk)
    stranger = make_user("autre@umontpellier.fr", name="Jean Autre")
    make_ticket(queue=desk.network, requester=stranger, subject="Son ticket à lui")
    client = login(desk.requester)
    assert "mes-donnees.json" in client.get("/donnees-personnelles").text
    client.get("/home", headers={"Accept-Language": "en"})  # remembered for the e-mails
    data = _download(client, "/donnees-personnelles/mes-donnees.json")

    assert data["account"]["email"] == "claire.martin@umontpellier.fr"
    assert data["account"]["browser_language"] == "en"
    assert data["account"]["name"] == "Claire Martin"
    references = [r["reference"] for r in data["requests"]]
    assert references == [desk.ticket.reference, desk.mail_ticket.reference]
    texts = [m["text"] for m in data["requests"][0]["messages"]]
    assert "Bureau 214, poste PC-LAB-42" in texts and "Prise murale changée" in texts
    body = json.dumps(data, ensure_ascii=False)
    assert "hunter2" not in body  # the queue's internal note
    assert "Son ticket à lui" not in body and "Jean Autre" not in body
    assert [w["text"] for w in data["written"]] == ["Bureau 214, poste PC-LAB-42"]


def test_people_in_copy_get_the_requests_they_follow(desk, login):
    _conversation(desk)
    friend = make_user("ami@umontpellier.fr", name="Paul Ami")
    db.session.add(TicketWatcher(ticket_id=desk.ticket.id, user_id=friend.id))
    db.session.commit()
    data = _download(login(friend), "/donnees-personnelles/mes-donnees.json")
    assert data["requests"] == []
    (followed,) = data["in_copy"]
    assert followed["reference"] == desk.ticket.reference
    assert "hunter2" not in json.dumps(data, ensure_ascii=False)


def test_a_technician_gets_the_notes_they_wrote(desk, login):
    _conversation(desk)
    data = _download(login(desk.tech), "/donnees-personnelles/mes-donnees.json")
    written = {(w["kind"], w["internal"], w["text"]) for w in data["written"]}
    assert ("note", True, "Mot de passe du switch : hunter2") in written
    assert ("reply", False, "Prise murale changée") in written


def test_an_admin_downloads_someone_elses_data_and_nobody_else_may(desk, login):
    _conversation(desk)
    url = f"/admin/accounts/{desk.requester.id}/donnees.json"
    data = _download(login(desk.admin), url)
    assert data["account"]["email"] == "claire.martin@umontpellier.fr"
    assert "hunter2" not in json.dumps(data, ensure_ascii=False)  # what she may read, not more
    page = login(desk.admin).get(f"/admin/accounts/{desk.requester.id}").text
    assert f'href="{url}"' in page
    assert login(desk.requester).get(url).status_code == 403
    assert login(desk.tech).get(url).status_code == 403
    admin = login(desk.admin)
    assert admin.get("/admin/accounts/987654/donnees.json").status_code == 404
    assert admin.get(f"/admin/accounts/{10**30}/donnees.json").status_code == 404


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get("/donnees-personnelles/mes-donnees.json")
    assert response.status_code == 302 and "/login" in response.location


def test_the_download_reads_the_same_number_of_statements_for_many_tickets(desk, login, app):
    from sqlalchemy import event

    def statements() -> int:
        counted = []
        listener = lambda *args: counted.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            _download(client, "/donnees-personnelles/mes-donnees.json")
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(counted)

    client = login(desk.requester)
    few = statements()
    for n in range(15):
        make_ticket(queue=desk.network, requester=desk.requester, subject=f"Demande {n}")
    assert db.session.scalar(select(func.count()).select_from(Ticket)) >= 17
    assert statements() == few
