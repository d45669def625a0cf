"""A link to a ticket that left the technician's queues: still 404, but saying where it went.

The e-mails of a queue (a new ticket, a reminder, a note for them) link to /tickets/<ref>. Once
the ticket is transferred to a queue its reader does not work, the page tells a member of the
queue it left when it moved, by whom and to which queue, and nothing of the ticket itself.
Everyone else gets exactly what they got before, whether the reference exists or not.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from desk.auth.models import Role
from desk.extensions import db
from desk.reference.models import QueueMembership
from desk.tickets.actions import transfer_ticket
from desk.tickets.models import EventKind, TicketEvent
from tests.support.factories import make_queue, make_user
from tests.support.sql import statements_sent

UNKNOWN = "DEM-2026-999999"
# 10:05 in Paris (winter time): the page reads the time in the display time zone.
MOVED_AT = dt.datetime(2026, 3, 14, 9, 5, tzinfo=dt.UTC)
LEAKS = ("Wi-Fi en panne salle 12", "Claire Martin", "claire.martin")


def _transfer(ticket, queue, actor, reason="Ce n’est pas un problème réseau."):
    transfer_ticket(ticket, queue, reason=reason, actor=actor)
    db.session.commit()
    event = db.session.scalars(
        select(TicketEvent)
        .where(
            TicketEvent.ticket_id == ticket.id,
            TicketEvent.kind == EventKind.CHANGE,
            TicketEvent.field == "queue_id",
        )
        .order_by(TicketEvent.id.desc())
        .limit(1)
    ).one()
    event.created_at = MOVED_AT
    db.session.commit()


@pytest.fixture
def moved(desk):
    """The network ticket, transferred by Sophie Durand to the mail queue."""
    desk.network.name_fr, desk.network.name_en = "Réseau", "Network"
    desk.mail.name_fr, desk.mail.name_en = "Messagerie et visio", "Mail and video"
    db.session.commit()
    _transfer(desk.ticket, desk.mail, desk.mate)
    return desk.ticket


def _signed_in(login, user):
    """A client past its first page (which carries the welcome message)."""
    client = login(user)
    client.get("/home")
    return client


def _plain(html: str) -> str:
    """The page without its CSRF token (signed with the second it was made in)."""
    return re.sub(r'name="csrf_token"([^>]*)value="[^"]+"', r'name="csrf_token"\1value=""', html)


def _no_leak(html: str) -> None:
    for text in LEAKS:
        assert text not in html


WRITTEN = "Bonjour,\nnous passons demain <b>matin</b> & vérifions la prise."


def _given_back(html: str, box: str) -> None:
    """The page says nothing was saved and gives WRITTEN back, escaped, in the box `box`."""
    assert "Ce que vous avez envoyé n’a pas été enregistré." in html
    given_back = re.search(rf'<textarea id="{box}"[^>]*>(.*?)</textarea>', html, re.S)
    assert given_back is not None
    assert given_back.group(1).strip() == (
        "Bonjour,\nnous passons demain &lt;b&gt;matin&lt;/b&gt; &amp; vérifions la prise."
    )
    _no_leak(html)


def test_a_technician_of_the_queue_it_left_learns_where_it_went(desk, moved, login):
    response = login(desk.tech).get(f"/tickets/{moved.reference}")
    assert response.status_code == 404
    html = response.text
    assert '<html lang="fr">' in html
    assert "Ticket transféré vers une autre file" in html
    assert (
        f"Le ticket {moved.reference} a été transféré vers une autre file "
        "le 14 mars 2026 à 10:05 par Sophie Durand."
    ) in html
    assert (
        "Il est désormais traité dans la file « Messagerie et visio » : "
        "seuls ses membres peuvent l’ouvrir."
    ) in html
    assert '<a href="/queues">Mes files</a>' in html
    _no_leak(html)
    # Nothing of the ticket page: no form, no action, no timeline, not the reason given.
    assert "Ce n’est pas un problème réseau" not in html
    assert f"/tickets/{moved.reference}/" not in html


def test_the_page_in_english(desk, moved, login):
    english = make_user(role=Role.TECHNICIAN, queues=(desk.network,), locale="en")
    response = login(english).get(f"/tickets/{moved.reference}")
    assert response.status_code == 404
    html = response.text
    assert "<title>Ticket moved to another queue · desk</title>" in html
    assert (
        f"Ticket {moved.reference} was moved to another queue on 14 March 2026 at 10:05 "
        "by Sophie Durand."
    ) in html
    assert "It is now handled there, in the queue “Mail and video”: only its members" in html
    assert "Messagerie et visio" not in html
    _no_leak(html)


def test_the_one_who_moved_it_reads_that_they_did(desk, login):
    english = make_user(role=Role.TECHNICIAN, queues=(desk.network,), locale="en")
    _transfer(desk.ticket, desk.mail, english)
    html = login(english).get(f"/tickets/{desk.ticket.reference}").text
    assert f"You moved ticket {desk.ticket.reference} to another queue on 14 March 2026" in html


def test_it_names_the_queue_that_has_it_now_and_the_latest_move_out(desk, moved, login):
    """Network → mail → network → (Anne Roux) visio: the move out of network that counts is
    the last one, and the queue named is where the ticket is now."""
    visio = make_queue(desk.network.domain, code="visio")
    visio.name_fr = "Visioconférence"
    db.session.commit()
    _transfer(moved, desk.network, desk.mail_tech)
    _transfer(moved, visio, desk.admin)
    html = login(desk.tech).get(f"/tickets/{moved.reference}").text
    assert "par Admin Desk" in html or "by Admin Desk" in html
    assert "Sophie Durand" not in html
    assert "Visioconférence" in html and "Messagerie et visio" not in html


def test_a_ticket_back_in_the_queue_opens_as_usual(desk, moved, login):
    client = login(desk.tech)
    assert client.get(f"/tickets/{moved.reference}").status_code == 404
    _transfer(moved, desk.network, desk.admin)
    response = client.get(f"/tickets/{moved.reference}")
    assert response.status_code == 200
    assert "Wi-Fi en panne salle 12" in response.text


def test_an_action_sent_after_the_move_says_it_was_not_saved(desk, login):
    english = make_user(role=Role.TECHNICIAN, queues=(desk.network,), locale="en")
    client = login(english)
    page = client.get(f"/tickets/{desk.ticket.reference}")  # the page open in the browser
    assert page.status_code == 200
    _transfer(desk.ticket, desk.mail, desk.mate)
    response = client.post(
        f"/tickets/{desk.ticket.reference}/reply",
        data={"version": "1", "body": "Nous passons demain.", "csrf_token": client.last_csrf},
    )
    assert response.status_code == 404
    assert "What you sent was not saved." in response.text
    assert "was moved to another queue" in response.text
    assert not db.session.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id == desk.ticket.id, TicketEvent.kind == EventKind.REPLY
        )
    ).all()


@pytest.mark.parametrize(
    ("action", "field"),
    [("reply", "body"), ("note", "body"), ("status", "note"), ("transfer", "reason")],
)
def test_what_was_written_is_given_back_to_copy(desk, login, action, field):
    client = login(desk.tech)
    assert client.get(f"/tickets/{desk.ticket.reference}").status_code == 200
    _transfer(desk.ticket, desk.mail, desk.mate)
    response = client.post(
        f"/tickets/{desk.ticket.reference}/{action}",
        data={"version": "1", field: WRITTEN, "csrf_token": client.last_csrf},
    )
    assert response.status_code == 404
    _given_back(response.text, "moved-draft")


def test_a_plain_visit_has_nothing_to_give_back(desk, moved, login):
    response = _signed_in(login, desk.tech).get(f"/tickets/{desk.ticket.reference}")
    assert response.status_code == 404
    assert "moved-draft" not in response.text


# --- everybody else: what they got before, the same whether the ticket exists ---------------


def test_a_technician_who_never_had_it_gets_the_plain_404(desk, moved, login):
    visio = make_queue(desk.network.domain, code="visio")
    stranger = make_user(role=Role.TECHNICIAN, queues=(visio,))
    client = _signed_in(login, stranger)
    pages = [
        client.get(f"/tickets/{ref}")
        for ref in (moved.reference, desk.mail_ticket.reference, UNKNOWN)
    ]
    assert [p.status_code for p in pages] == [404, 404, 404]
    assert "Page introuvable" in pages[0].text
    assert "Messagerie et visio" not in pages[0].text and "Sophie Durand" not in pages[0].text
    # Byte for byte the same page for a moved ticket, another queue's and no ticket at all.
    assert _plain(pages[0].text) == _plain(pages[1].text) == _plain(pages[2].text)
    assert moved.reference not in pages[0].text


def test_a_member_of_the_queue_it_left_gets_the_plain_404_for_the_others(desk, moved, login):
    """Being owed an explanation for one ticket tells nothing of any other reference."""
    client = _signed_in(login, desk.tech)
    other = client.get(f"/tickets/{desk.mail_ticket.reference}")  # never in `reseau`
    unknown = client.get(f"/tickets/{UNKNOWN}")
    assert other.status_code == unknown.status_code == 404
    assert _plain(other.text) == _plain(unknown.text)
    assert "Page introuvable" in other.text


def test_a_technician_who_left_the_queue_gets_the_plain_404(desk, moved, login):
    client = _signed_in(login, desk.tech)
    db.session.execute(
        QueueMembership.__table__.delete().where(QueueMembership.user_id == desk.tech.id)
    )
    db.session.commit()
    moved_page = client.get(f"/tickets/{moved.reference}")
    unknown = client.get(f"/tickets/{UNKNOWN}")
    assert moved_page.status_code == 404
    assert _plain(moved_page.text) == _plain(unknown.text)


@pytest.mark.parametrize(
    ("action", "field"),
    [("reply", "body"), ("note", "body"), ("status", "note"), ("transfer", "reason")],
)
def test_taken_off_the_queue_while_writing_gets_the_text_back(desk, login, action, field):
    """An admin took the technician off the queue while they wrote: the plain 404 (the same
    page as for a reference that does not exist), with their own text to copy."""
    client = login(desk.tech)
    assert client.get(f"/tickets/{desk.ticket.reference}").status_code == 200
    db.session.execute(
        QueueMembership.__table__.delete().where(QueueMembership.user_id == desk.tech.id)
    )
    db.session.commit()
    pages = [
        client.post(
            f"/tickets/{ref}/{action}",
            data={"version": "1", field: WRITTEN, "csrf_token": client.last_csrf},
        )
        for ref in (desk.ticket.reference, UNKNOWN)
    ]
    assert [p.status_code for p in pages] == [404, 404]
    for page in pages:
        _given_back(page.text, "error-draft")
    # Nothing tells the ticket that exists from the one that does not.
    assert _plain(pages[0].text).replace(desk.ticket.reference, UNKNOWN) == _plain(pages[1].text)
    assert not db.session.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id == desk.ticket.id,
            TicketEvent.kind.in_((EventKind.REPLY, EventKind.NOTE)),
        )
    ).all()


def test_the_text_given_back_in_english(desk, login):
    english = make_user(role=Role.TECHNICIAN, queues=(desk.network,), locale="en")
    client = login(english)
    assert client.get(f"/tickets/{desk.ticket.reference}").status_code == 200
    db.session.execute(
        QueueMembership.__table__.delete().where(QueueMembership.user_id == english.id)
    )
    db.session.commit()
    response = client.post(
        f"/tickets/{desk.ticket.reference}/reply",
        data={"version": "1", "body": "We come tomorrow.", "csrf_token": client.last_csrf},
    )
    assert response.status_code == 404
    assert "What you sent was not saved." in response.text
    assert "What you wrote, to copy:" in response.text
    assert "We come tomorrow." in response.text


def test_a_requester_is_refused_the_staff_pages_as_before(desk, moved, login):
    """/tickets is the staff's: another requester gets the same 403 for the moved ticket as
    for a reference that does not exist; its own requester is sent to their page of it
    (tests/portal/test_staff_link.py), and refused a made-up reference like anyone."""
    client = _signed_in(login, make_user())
    pages = [client.get(f"/tickets/{ref}") for ref in (moved.reference, UNKNOWN)]
    assert [p.status_code for p in pages] == [403, 403]
    assert _plain(pages[0].text) == _plain(pages[1].text)
    assert "Accès refusé" in pages[0].text
    own = _signed_in(login, desk.requester)
    link = own.get(f"/tickets/{moved.reference}")
    assert link.status_code == 302
    assert link.headers["Location"] == f"/mes-demandes/{moved.reference}"
    assert own.get(f"/tickets/{UNKNOWN}").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(desk, moved, client):
    for ref in (moved.reference, UNKNOWN):
        response = client.get(f"/tickets/{ref}")
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_the_explanation_costs_what_the_plain_404_costs(app, desk, moved, login):
    """One indexed query after the access check, for any reference a technician opens that
    is not theirs: the moved page and the plain 404 send the same statements."""
    client = login(desk.tech)
    client.get(f"/tickets/{UNKNOWN}")  # warm up
    reference = moved.reference
    with app.app_context():
        engine = db.engine
    with statements_sent(engine) as plain:
        assert client.get(f"/tickets/{UNKNOWN}").status_code == 404
    with statements_sent(engine) as explained:
        assert client.get(f"/tickets/{reference}").status_code == 404
    # The signed-in user, the ticket under the access rule, the transfer that explains.
    assert len(plain) == len(explained) == 3
    assert len([s for s in explained if "ticket_event" in s]) == 1
