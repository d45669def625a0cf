"""The staff ticket page: actions through the real forms, refusals with messages, no changes."""

from __future__ import annotations

import re

from sqlalchemy import select

from desk.extensions import db
from desk.tickets.models import EventKind, Status, Ticket, TicketEvent


def _page(client, ticket):
    response = client.get(f"/tickets/{ticket.reference}")
    assert response.status_code == 200
    return response


def _version(html: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)


def _post(client, ticket, action, data=None, version=None):
    page = _page(client, ticket)
    payload = {"version": version or _version(page.text), "csrf_token": client.last_csrf}
    payload.update(data or {})
    return client.post(f"/tickets/{ticket.reference}/{action}", data=payload)


def _fresh(ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def test_page_shows_the_ticket_forms_and_the_version(desk, login):
    client = login(desk.tech)
    html = _page(client, desk.ticket).text
    assert "Wi-Fi en panne salle 12" in html
    assert "Claire Martin" in html
    assert "Prendre ce ticket" in html
    assert _version(html) == "1"
    # Only the moves the state machine allows from "new" are offered.
    assert 'value="in_progress"' in html and 'value="resolved"' not in html


def test_claim_reply_wait_resolve(desk, login):
    client = login(desk.tech)
    response = _post(client, desk.ticket, "claim")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/tickets/{desk.ticket.reference}")
    assert "Vous avez pris le ticket." in client.get(response.headers["Location"]).text
    ticket = _fresh(desk.ticket)
    assert (ticket.status, ticket.assignee_id) == (Status.ASSIGNED, desk.tech.id)

    assert (
        _post(client, ticket, "reply", {"body": "Nous passons cet après-midi."}).status_code == 302
    )
    assert _post(client, ticket, "status", {"status": "waiting_on_requester"}).status_code == 302
    assert (
        _post(
            client, ticket, "status", {"status": "resolved", "note": "Borne remplacée."}
        ).status_code
        == 302
    )
    ticket = _fresh(ticket)
    assert ticket.status is Status.RESOLVED
    assert ticket.first_responded_at is not None
    html = _page(client, ticket).text
    for text in (
        "Nous passons cet après-midi.",
        "Borne remplacée.",
        "Résolu",
        "En attente du demandeur",
    ):
        assert text in html


def test_note_shows_as_internal_on_the_staff_page(desk, login):
    client = login(desk.tech)
    assert _post(client, desk.ticket, "note", {"body": "Code du local : 4521"}).status_code == 302
    html = _page(client, desk.ticket).text
    assert "Code du local : 4521" in html
    assert "event-note internal" in html


def test_invalid_transition_is_refused_next_to_the_field(desk, login):
    client = login(desk.tech)
    response = _post(client, desk.ticket, "status", {"status": "closed"})
    assert response.status_code == 400
    assert (
        "Un ticket ne peut pas passer de « Nouveau » à « Clos »" in response.text
        or "ne peut pas passer" in response.text
    )
    assert _fresh(desk.ticket).status is Status.NEW


def test_unknown_status_value(desk, login):
    response = _post(login(desk.tech), desk.ticket, "status", {"status": "<script>"})
    assert response.status_code == 400
    assert "<script>" not in response.text
    assert "Statut inconnu." in response.text


def test_assignee_outside_the_queue_is_refused(desk, login):
    client = login(desk.tech)
    response = _post(client, desk.ticket, "assign", {"assignee": str(desk.mail_tech.id)})
    assert response.status_code == 400
    assert "Choisissez un membre de la file." in response.text
    response = _post(client, desk.ticket, "assign", {"assignee": "abc"})
    assert response.status_code == 400
    assert _fresh(desk.ticket).assignee_id is None


def test_assign_to_a_teammate(desk, login):
    client = login(desk.tech)
    assert _post(client, desk.ticket, "assign", {"assignee": str(desk.mate.id)}).status_code == 302
    assert _fresh(desk.ticket).assignee_id == desk.mate.id


def test_transfer_needs_a_real_queue_and_a_reason(desk, login):
    client = login(desk.tech)
    response = _post(client, desk.ticket, "transfer", {"queue": "999999", "reason": "x"})
    assert response.status_code == 400
    assert "Cette file n’existe pas." in response.text
    response = _post(client, desk.ticket, "transfer", {"queue": str(desk.mail.id), "reason": ""})
    assert response.status_code == 400
    assert "Indiquez pourquoi le ticket est transféré." in response.text
    assert _fresh(desk.ticket).queue_id == desk.network.id


def test_transfer_out_of_my_queues_goes_back_to_the_list(desk, login):
    client = login(desk.tech)
    response = _post(
        client,
        desk.ticket,
        "transfer",
        {"queue": str(desk.mail.id), "reason": "Problème de messagerie"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/queues/reseau")
    assert client.get(f"/tickets/{desk.ticket.reference}").status_code == 404
    event = db.session.scalar(select(TicketEvent).where(TicketEvent.field == "queue_id"))
    assert event.body == "Problème de messagerie"
    assert (
        "Problème de messagerie"
        in login(desk.mail_tech).get(f"/tickets/{desk.ticket.reference}").text
    )


def test_priority(desk, login):
    client = login(desk.tech)
    assert _post(client, desk.ticket, "priority", {"priority": "4"}).status_code == 302
    assert _fresh(desk.ticket).priority == 4
    response = _post(client, desk.ticket, "priority", {"priority": "12"})
    assert response.status_code == 400
    assert "Priorité inconnue." in response.text


def test_missing_or_forged_version(desk, login):
    client = login(desk.tech)
    page = _page(client, desk.ticket)
    assert page.status_code == 200
    response = client.post(
        f"/tickets/{desk.ticket.reference}/claim", data={"csrf_token": client.last_csrf}
    )
    assert response.status_code == 400
    assert "Ce formulaire est incomplet" in response.text
    for forged in ("abc", "²", "9" * 5000, "-1"):
        response = _post(client, desk.ticket, "claim", version=forged)
        assert response.status_code == 400, forged
        assert "Ce formulaire est incomplet" in response.text
    assert _fresh(desk.ticket).assignee_id is None


def test_empty_reply_is_refused(desk, login):
    response = _post(login(desk.tech), desk.ticket, "reply", {"body": "   "})
    assert response.status_code == 400
    assert "Écrivez un message." in response.text
    assert db.session.scalar(select(TicketEvent).where(TicketEvent.kind == EventKind.REPLY)) is None


def test_csrf_is_required(desk, login):
    client = login(desk.tech)
    response = client.post(f"/tickets/{desk.ticket.reference}/claim", data={"version": "1"})
    assert response.status_code == 400
    assert _fresh(desk.ticket).assignee_id is None


def test_forged_reference_is_404_never_500(desk, login):
    client = login(desk.tech)
    for ref in ("DEM-2026-999999", "nope", "x" * 300):
        assert client.get(f"/tickets/{ref}").status_code == 404
    assert client.get("/tickets/%00").status_code == 400  # refused app-wide
    client.get("/queues")
    response = client.post(
        "/tickets/DEM-2026-999999/claim", data={"version": "1", "csrf_token": client.last_csrf}
    )
    assert response.status_code == 404


def test_english_page(desk, login):
    from tests.support.factories import make_user

    english = make_user(role="technician", queues=(desk.network,), locale="en")
    html = _page(login(english), desk.ticket).text
    assert "Take this ticket" in html


def test_nul_characters_in_messages_are_refused(desk, login):
    client = login(desk.tech)
    response = _post(client, desk.ticket, "reply", {"body": "Bon\x00jour"})
    assert response.status_code == 400
    assert "ne peut pas être enregistré" in response.text
    assert _post(client, desk.ticket, "note", {"body": "\x00"}).status_code == 400
    assert "Bonjour" not in _page(client, desk.ticket).text  # nothing was saved


def test_a_finished_ticket_offers_no_reply_box_only_the_note(desk, login):
    client = login(desk.tech)
    for status, answerable in (
        (Status.RESOLVED, True),
        (Status.CLOSED, False),
        (Status.CANCELLED, False),
    ):
        desk.ticket.status = status
        db.session.commit()
        html = _page(client, desk.ticket).text
        assert ('id="reply-form"' in html) is answerable, status
        assert ("on ne peut plus répondre au demandeur ici" in html) is not answerable
        assert f'action="/tickets/{desk.ticket.reference}/note"' in html
