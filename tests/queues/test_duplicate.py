"""Closing a ticket as a duplicate of another request of the same requester: both histories
name each other, the requester is told where it goes on, and every wrong link is refused
next to the field with nothing changed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from desk.extensions import db
from desk.notifications.content import render_email
from desk.notifications.models import Channel, Notification, NotificationEvent
from desk.tickets.models import Status, Ticket, TicketEvent
from tests.catalog.world import field_errors
from tests.support.factories import make_ticket, make_user


def _post(client, ticket, original: str, version: str | None = None):
    page = client.get(f"/tickets/{ticket.reference}").text
    current = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    data = {"version": version or current, "csrf_token": client.last_csrf, "original": original}
    return client.post(f"/tickets/{ticket.reference}/duplicate", data=data)


def _events() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(TicketEvent))


def _status(ticket) -> Status:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id).status


def test_a_repeat_is_closed_and_both_histories_name_each_other(desk, login):
    original = make_ticket(queue=desk.network, requester=desk.requester, subject="Wi-Fi, salle 12")
    client = login(desk.tech)
    # Typed as people do: lower case, spaces around.
    response = _post(client, desk.ticket, f"  {original.reference.lower()} ")
    assert response.status_code == 302
    assert _status(desk.ticket) is Status.CANCELLED
    assert _status(original) is not Status.CANCELLED

    line = f"Fermé comme doublon de {original.reference}."
    assert line in client.get(f"/tickets/{desk.ticket.reference}").text
    assert (
        f"{desk.ticket.reference} a été fermé comme doublon de ce ticket."
        in client.get(f"/tickets/{original.reference}").text
    )
    own = login(desk.requester)
    assert line in own.get(f"/mes-demandes/{desk.ticket.reference}").text

    mail = db.session.scalars(
        select(Notification).where(
            Notification.channel == Channel.EMAIL,
            Notification.event == NotificationEvent.CLOSED,
            Notification.recipient_id == desk.requester.id,
        )
    ).one()
    _subject, text, _html = render_email(mail.payload, mail.id)
    assert f"Votre demande reprend {original.reference}, que nous traitons déjà" in text


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("", "Indiquez la référence du ticket dont celui-ci est le doublon."),
        ("DEM-2026-999999", "Aucun ticket de vos files n’a cette référence."),
        ("x" * 41, "Une référence fait au plus 40 caractères."),
        ("*", "Aucun ticket de vos files n’a cette référence."),
        ("itself", "Indiquez la référence de l’autre ticket."),
        ("other queue", "Aucun ticket de vos files n’a cette référence."),
        ("other person", "est la demande d’une autre personne"),
        ("finished", "est terminé : rouvrez-le d’abord"),
    ],
)
def test_a_wrong_link_is_refused_next_to_the_field(desk, login, which, message):
    others = {
        "itself": desk.ticket,
        "other queue": desk.mail_ticket,
        "other person": make_ticket(queue=desk.network, requester=make_user()),
        "finished": make_ticket(queue=desk.network, requester=desk.requester, status="closed"),
    }
    target = others.get(which)
    before = _events()
    response = _post(login(desk.tech), desk.ticket, target.reference if target else which)
    assert response.status_code == 400
    errors = field_errors(response.text, "original")
    assert errors and message in errors[0], errors
    assert _status(desk.ticket) is Status.NEW and _events() == before


def test_a_finished_ticket_is_not_closed_again(desk, login):
    original = make_ticket(queue=desk.network, requester=desk.requester)
    done = make_ticket(queue=desk.network, requester=desk.requester, status="resolved")
    before = _events()
    response = _post(login(desk.tech), done, original.reference)
    assert response.status_code == 400 and "ne peut plus être modifié" in response.text
    assert _status(done) is Status.RESOLVED and _events() == before


def test_a_stale_page_gets_the_conflict_not_a_lost_update(desk, login):
    original = make_ticket(queue=desk.network, requester=desk.requester)
    response = _post(login(desk.tech), desk.ticket, original.reference, version="99")
    assert response.status_code == 409
    assert _status(desk.ticket) is Status.NEW


def test_requesters_and_other_queues_may_not(desk, login):
    original = make_ticket(queue=desk.network, requester=desk.requester)
    requester = login(desk.requester)
    requester.get("/mes-demandes")
    data = {"version": "1", "csrf_token": requester.last_csrf, "original": original.reference}
    assert (
        requester.post(f"/tickets/{desk.ticket.reference}/duplicate", data=data).status_code == 403
    )
    mail_tech = login(desk.mail_tech)
    mail_tech.get("/queues")
    data["csrf_token"] = mail_tech.last_csrf
    assert (
        mail_tech.post(f"/tickets/{desk.ticket.reference}/duplicate", data=data).status_code == 404
    )
    assert _status(desk.ticket) is Status.NEW


def test_a_finished_ticket_says_there_is_nothing_left_to_do(desk, login):
    original = make_ticket(queue=desk.network, requester=desk.requester)
    client = login(desk.tech)
    assert "data-no-actions" not in client.get(f"/tickets/{desk.ticket.reference}").text
    _post(client, desk.ticket, original.reference)
    page = client.get(f"/tickets/{desk.ticket.reference}").text
    # The "Handle" card of a cancelled ticket had no content at all.
    assert "Ce ticket est terminé : il n’y a plus rien à y faire." in page
    assert f'action="/tickets/{desk.ticket.reference}/duplicate"' not in page


def _closed_mails() -> list[Notification]:
    db.session.expire_all()
    query = select(Notification).where(
        Notification.channel == Channel.EMAIL, Notification.event == NotificationEvent.CLOSED
    )
    return list(db.session.scalars(query))


def test_a_cancellation_by_the_desk_tells_the_requester_theirs_does_not(desk, login):
    """Not a duplicate, a plain cancellation: the requester must not find out by chance."""
    client = login(desk.tech)
    page = client.get(f"/tickets/{desk.ticket.reference}").text
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    data = {"version": version, "csrf_token": client.last_csrf, "status": "cancelled"}
    assert client.post(f"/tickets/{desk.ticket.reference}/status", data=data).status_code == 302
    (mail,) = _closed_mails()
    assert mail.recipient_id == desk.requester.id
    _subject, text, _html = render_email(mail.payload, mail.id)
    assert "Le centre de services a annulé votre demande." in text

    # The requester cancelling their own request is told nothing: they did it.
    own = make_ticket(queue=desk.network, requester=desk.requester)
    requester = login(desk.requester)
    url = f"/mes-demandes/{own.reference}"
    assert requester.submit(f"{url}/annulation", {}, page=url).status_code == 302
    assert _status(own) is Status.CANCELLED
    assert len(_closed_mails()) == 1
