"""My requests: the list, the ticket page and its timeline, comments, cancel and reopen."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from desk.auth.models import Role
from desk.extensions import db
from desk.tickets.history import apply_status
from desk.tickets.models import Attachment, EventKind, Status, Ticket, TicketEvent
from desk.tickets.workflow import Actor
from tests.support.factories import make_ticket, make_user


@pytest.fixture
def ticket(world, staff):
    return make_ticket(
        requester=staff,
        request_type=world.types["zoom"],
        subject="Licence Zoom",
        data={"zoom_email": "claire@umontpellier.fr", "account_created": True},
    )


def _url(ticket, action=""):
    return f"/mes-demandes/{ticket.reference}{action}"


def test_the_list_shows_my_tickets_only(world, staff, ticket, login):
    mine_closed = make_ticket(requester=staff, request_type=world.types["list"], status="closed")
    theirs = make_ticket(requester=make_user(), request_type=world.types["zoom"])
    ticket.resolution_due_at = dt.datetime(2030, 1, 15, 9, 0, tzinfo=dt.UTC)
    db.session.commit()
    client = login(staff)
    page = client.get("/mes-demandes").text
    assert ticket.reference in page and "Titre licence-zoom" in page and "Nouveau" in page
    assert "15/01/2030" in page  # the expected date
    assert theirs.reference not in page and mine_closed.reference not in page
    finished = client.get("/mes-demandes?show=closed").text
    assert mine_closed.reference in finished and ticket.reference not in finished
    everything = client.get("/mes-demandes?show=all&page=abc").text
    assert mine_closed.reference in everything and ticket.reference in everything


def test_the_ticket_page_shows_the_data_with_labels(ticket, staff, login):
    page = login(staff).get(_url(ticket)).text
    assert "Adresse e-mail du compte Zoom" in page and "claire@umontpellier.fr" in page
    assert "J’ai déjà créé mon compte Zoom" in page and "Oui" in page
    assert "Ticket créé." in page


def test_someone_elses_ticket_is_404_even_for_a_technician_who_sees_it(ticket, login):
    assert login(make_user()).get(_url(ticket)).status_code == 404
    tech = make_user(role=Role.TECHNICIAN, queues=(ticket.queue,))
    assert login(tech).get(_url(ticket)).status_code == 404
    assert login(make_user()).post(_url(ticket, "/annulation")).status_code in (400, 404)
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status is Status.NEW


def test_internal_notes_are_never_shown(ticket, staff, login):
    tech = make_user(role=Role.TECHNICIAN, queues=(ticket.queue,))
    db.session.add_all(
        [
            TicketEvent(
                ticket=ticket,
                actor=tech,
                kind=EventKind.NOTE,
                is_internal=True,
                body="Note interne secrète",
            ),
            TicketEvent(ticket=ticket, actor=tech, kind=EventKind.REPLY, body="Réponse publique"),
        ]
    )
    db.session.commit()
    page = login(staff).get(_url(ticket)).text
    assert "Réponse publique" in page
    assert "Note interne secrète" not in page
    # A technician who is also the requester does not see them in the portal either.
    tech_ticket = make_ticket(requester=tech, queue=ticket.queue)
    db.session.add(
        TicketEvent(
            ticket=tech_ticket,
            actor=tech,
            kind=EventKind.NOTE,
            is_internal=True,
            body="Autre note interne",
        )
    )
    db.session.commit()
    assert "Autre note interne" not in login(tech).get(_url(tech_ticket)).text


def test_a_comment_with_a_file(ticket, staff, login):
    client = login(staff)
    response = client.submit(
        _url(ticket, "/commentaire"),
        {"body": "Voici la capture", "attachment": (io.BytesIO(b"%PDF-1.4 x"), "capture.pdf")},
        page=_url(ticket),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = client.get(_url(ticket)).text
    assert "Voici la capture" in page and "capture.pdf" in page
    attachment = db.session.query(Attachment).one()
    assert client.get(f"/attachments/{attachment.id}").data == b"%PDF-1.4 x"


def _comments(ticket) -> list[str]:
    db.session.expire_all()
    return [
        e.body
        for e in db.session.query(TicketEvent)
        .filter_by(ticket_id=ticket.id, kind=EventKind.COMMENT)
        .order_by(TicketEvent.id)
    ]


def test_the_same_comment_sent_twice_is_saved_once(ticket, staff, login):
    """Without JavaScript a double click posts the form twice: the second is the first."""
    client = login(staff)
    client.get(_url(ticket))
    token = client.last_csrf
    for _click in range(2):
        response = client.post(
            _url(ticket, "/commentaire"), data={"csrf_token": token, "body": " Toujours rien "}
        )
        assert response.status_code == 302
    assert _comments(ticket) == ["Toujours rien"]
    # Another text is another comment; so is the same text once a minute has passed.
    client.submit(_url(ticket, "/commentaire"), {"body": "Autre chose"}, page=_url(ticket))
    client.submit(_url(ticket, "/commentaire"), {"body": "Autre chose"}, page=_url(ticket))
    assert _comments(ticket) == ["Toujours rien", "Autre chose"]
    last = db.session.query(TicketEvent).order_by(TicketEvent.id.desc()).first()
    last.created_at -= dt.timedelta(minutes=2)
    db.session.commit()
    client.submit(_url(ticket, "/commentaire"), {"body": "Autre chose"}, page=_url(ticket))
    assert _comments(ticket) == ["Toujours rien", "Autre chose", "Autre chose"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"body": ""}, "Écrivez un message ou joignez un fichier."),
        ({"body": "x" * 5001}, "5\u202f000 caractères au plus"),
        ({"body": "ok", "attachment": (io.BytesIO(b"MZ"), "outil.exe")}, "type de fichier"),
    ],
)
def test_invalid_comments_save_nothing(ticket, staff, login, data, message):
    response = login(staff).submit(
        _url(ticket, "/commentaire"), data, page=_url(ticket), content_type="multipart/form-data"
    )
    assert response.status_code == 400 and message in response.text
    db.session.expire_all()
    assert db.session.query(TicketEvent).count() == 1
    assert db.session.query(Attachment).count() == 0


def test_answering_a_ticket_waiting_on_me_puts_it_back_in_progress(ticket, staff, login):
    tech = make_user(role=Role.TECHNICIAN, queues=(ticket.queue,))
    apply_status(ticket, Status.IN_PROGRESS, tech, Actor.STAFF)
    apply_status(ticket, Status.WAITING_ON_REQUESTER, tech, Actor.STAFF)
    db.session.commit()
    login(staff).submit(_url(ticket, "/commentaire"), {"body": "Le voici"}, page=_url(ticket))
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status is Status.IN_PROGRESS


def test_cancel_while_open_but_not_once_resolved(world, ticket, staff, login):
    client = login(staff)
    response = client.submit(
        _url(ticket, "/annulation"), {"reason": "Plus nécessaire"}, page=_url(ticket)
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status is Status.CANCELLED
    page = client.get(_url(ticket)).text
    assert "Annulé" in page and "Plus nécessaire" in page
    assert "Annuler cette demande" not in page and "Ajouter un message" not in page
    resolved = make_ticket(requester=staff, request_type=world.types["zoom"], status="resolved")
    resolved.resolved_at = dt.datetime.now(dt.UTC)
    db.session.commit()
    response = client.submit(_url(resolved, "/annulation"), {}, page=_url(resolved))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Ticket, resolved.id).status is Status.RESOLVED


def test_reopen_a_recently_resolved_ticket(world, staff, login):
    resolved = make_ticket(requester=staff, request_type=world.types["zoom"], status="resolved")
    resolved.resolved_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    db.session.commit()
    client = login(staff)
    response = client.submit(_url(resolved, "/reouverture"), {"reason": ""}, page=_url(resolved))
    assert response.status_code == 400 and "Expliquez pourquoi" in response.text
    response = client.submit(
        _url(resolved, "/reouverture"), {"reason": "Toujours limité"}, page=_url(resolved)
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Ticket, resolved.id).status is Status.REOPENED


def test_anonymous_is_sent_to_login(ticket, client):
    response = client.get(_url(ticket))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_list_names_the_request_type_once_then_what_the_form_said(world, staff, login):
    zoom = world.types["zoom"]
    filed = make_ticket(
        requester=staff, request_type=zoom, subject=f"{zoom.title_fr} – claire@umontpellier.fr"
    )
    mailed = make_ticket(requester=staff, request_type=zoom, subject="Ma licence ne marche pas")
    page = login(staff).get("/mes-demandes").text

    def cell(ticket) -> str:
        return page.split(f'data-reference="{ticket.reference}"')[1].split("</td>")[1]

    assert cell(filed).count(zoom.title_fr) == 1
    assert '<span class="hint">claire@umontpellier.fr</span>' in cell(filed)
    assert zoom.title_fr in cell(mailed)
    assert '<span class="hint">Ma licence ne marche pas</span>' in cell(mailed)


def _add_comments(ticket, who, count: int) -> list[TicketEvent]:
    events = [
        TicketEvent(ticket=ticket, actor=who, kind=EventKind.COMMENT, body=f"Message {n}")
        for n in range(count)
    ]
    db.session.add_all(events)
    db.session.commit()
    return events


def test_a_long_history_offers_a_way_to_its_latest_messages(ticket, staff, login):
    client = login(staff)
    assert "jump-latest" not in client.get(_url(ticket)).text  # a short one needs none
    last = _add_comments(ticket, staff, 12)[-1]
    page = client.get(_url(ticket)).text
    assert f'<a href="#event-{last.id}">Aller aux derniers messages et à la réponse</a>' in page
    assert f'id="event-{last.id}"' in page
    ticket.status = Status.CLOSED  # no message box any more: the link says so
    db.session.commit()
    page = client.get(_url(ticket)).text
    assert f'<a href="#event-{last.id}">Aller aux derniers messages</a>' in page


def test_a_refused_comment_says_its_file_was_not_sent(ticket, staff, login):
    """Sent back for its text (too long), a comment keeps its words but never its file (a
    browser does not fill a file field again): the field says so, as on the technicians'
    page, or the comment sent again would announce a file nobody gets."""
    staff.locale = "en"
    db.session.commit()
    response = login(staff).submit(
        _url(ticket, "/commentaire"),
        {"body": "x" * 5001, "attachment": (io.BytesIO(b"%PDF-1.4 x"), "capture.pdf")},
        page=_url(ticket),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    errors = response.text.split('id="attachment-error"', 1)[1].split("</ul>", 1)[0]
    assert "Your file “capture.pdf” was not sent: attach it again." in errors
    db.session.expire_all()
    assert db.session.query(Attachment).count() == 0


def test_an_answer_to_a_request_resolved_meanwhile_reopens_it(ticket, staff, login):
    """The requester writes in the comment box of her open request; a technician resolves it
    before she sends. Her words answer that resolution: within the window they reopen the
    request, as the same answer by e-mail does, and are not refused as if it were closed."""
    from desk.notifications.models import Channel, Notification, NotificationEvent
    from desk.tickets.actions import change_status

    tech = make_user(role=Role.TECHNICIAN, queues=(ticket.queue,))
    change_status(ticket, Status.IN_PROGRESS, actor=tech)
    client = login(staff)
    page = client.get(_url(ticket)).text
    assert "/commentaire" in page  # the comment box she is writing in
    change_status(ticket, Status.RESOLVED, actor=tech, note="Licence attribuée")
    response = client.post(
        _url(ticket, "/commentaire"),
        data={"csrf_token": client.last_csrf, "body": "Zoom me limite encore à 40 minutes"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    reopened = db.session.get(Ticket, ticket.id)
    assert reopened.status is Status.REOPENED
    assert "Zoom me limite encore à 40 minutes" in client.get(_url(ticket)).text
    told = db.session.query(Notification).filter_by(
        recipient_id=tech.id, channel=Channel.INAPP, event=NotificationEvent.REOPENED
    )
    assert told.count() == 1
    # Past the reopening window the request stays resolved, and she is told why.
    old = make_ticket(requester=staff, request_type=ticket.request_type, status="resolved")
    old.resolved_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    db.session.commit()
    response = client.post(
        _url(old, "/commentaire"), data={"csrf_token": client.last_csrf, "body": "Encore"}
    )
    assert response.status_code == 302
    assert "plus possible de le commenter" in client.get(response.headers["Location"]).text
    db.session.expire_all()
    assert db.session.get(Ticket, old.id).status is Status.RESOLVED


def _history(ticket) -> list[tuple[EventKind, str | None, str]]:
    db.session.expire_all()
    events = db.session.query(TicketEvent).filter_by(ticket_id=ticket.id).order_by(TicketEvent.id)
    return [(e.kind, e.new_value, e.body) for e in events]


@pytest.mark.parametrize("form", ["comment", "reopen"])
def test_a_reopening_sent_again_without_javascript_is_the_same_reopening(
    ticket, staff, login, form
):
    """Without JavaScript nothing stops a second click, and a browser may send the form
    again: her message that reopened the resolved request (or her reopening form) came back
    to a reopened request and was added once more as a message, its words twice in the
    history. Sent again, it is the first reopening: nothing added, nobody told twice, and she
    reads what she read the first time."""
    from desk.notifications.models import Channel, Notification, NotificationEvent
    from desk.tickets.actions import change_status

    tech = make_user(role=Role.TECHNICIAN, queues=(ticket.queue,))
    change_status(ticket, Status.IN_PROGRESS, actor=tech)
    client = login(staff)
    page = client.get(_url(ticket)).text  # her message box, open while the request is
    change_status(ticket, Status.RESOLVED, actor=tech, note="Licence attribuée")
    if form == "reopen":
        page = client.get(_url(ticket)).text  # the reopening form of a resolved request
    words = "Zoom me limite encore à 40 minutes"
    if form == "comment":
        action, data = "/commentaire", {"body": words}
    else:
        action, data = "/reouverture", {"reason": words}
    data["csrf_token"] = client.last_csrf
    assert f"{ticket.reference}{action}" in page
    first = client.post(_url(ticket, action), data=data)
    assert first.status_code == 302
    history = _history(ticket)
    assert history[-1] == (EventKind.CHANGE, "reopened", words)

    client.get(first.headers["Location"])  # she reads the answer, then sends it again
    again = client.post(_url(ticket, action), data=data)
    assert again.status_code == 302
    assert _history(ticket) == history
    page = client.get(again.headers["Location"]).text
    assert "Votre demande a été rouverte." in page
    assert "flash-error" not in page  # not "can only be reopened within 14 days"
    assert page.count(words) == 1
    told = db.session.query(Notification).filter_by(
        recipient_id=tech.id, channel=Channel.INAPP, event=NotificationEvent.REOPENED
    )
    assert told.count() == 1
    assert db.session.query(Notification).filter_by(event=NotificationEvent.COMMENTED).count() == 0
