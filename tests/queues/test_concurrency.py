"""No lost updates: two technicians on the same ticket, the second is told who changed it when.

The first test replays "both load the page, both submit" (any engine); the second is a true
race on PostgreSQL: two threads pass the version check together, then both UPDATE — the row
lock and the version column let exactly one through. A technician's own message sent twice
from one page (a double click without JavaScript) is not a conflict: it is written once.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from html import escape
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from desk.extensions import db
from desk.tickets.actions import change_status
from desk.tickets.models import EventKind, Status, Ticket, TicketEvent

# The ticket page's (in English until its French is in the catalogue) and the bulk result's.
CONFLICT = re.compile(
    r"(?:This ticket was changed by|Ce ticket a été modifié par) (?P<name>[^<]+?) (?:at|à) "
    r"\d\d:\d\d\. (?:It is shown below|Il est affiché ci-dessous)"
)
BULK_CONFLICT = re.compile(
    r"Ce ticket a été modifié par (?P<name>[^<]+?) à \d\d:\d\d ; rechargez la page\."
)


def _token_and_version(client, ticket):
    html = client.get(f"/tickets/{ticket.reference}").text
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    return client.last_csrf, version


def _fresh(ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def test_second_technician_gets_a_conflict_and_changes_nothing(desk, login):
    first, second = login(desk.tech), login(desk.mate)
    csrf1, v1 = _token_and_version(first, desk.ticket)
    csrf2, v2 = _token_and_version(second, desk.ticket)
    assert v1 == v2 == "1"
    response = first.post(
        f"/tickets/{desk.ticket.reference}/claim", data={"csrf_token": csrf1, "version": v1}
    )
    assert response.status_code == 302
    response = second.post(
        f"/tickets/{desk.ticket.reference}/priority",
        data={"csrf_token": csrf2, "version": v2, "priority": "4"},
    )
    assert response.status_code == 409
    match = CONFLICT.search(response.text)
    assert match and match.group("name") == "Karim Benali"
    ticket = _fresh(desk.ticket)
    assert (ticket.assignee_id, ticket.priority, ticket.version) == (desk.tech.id, 2, 2)
    # The page shown is the current state: reloading it lets the second one act.
    assert 'value="2"' in response.text
    csrf2, v2 = _token_and_version(second, desk.ticket)
    response = second.post(
        f"/tickets/{desk.ticket.reference}/priority",
        data={"csrf_token": csrf2, "version": v2, "priority": "4"},
    )
    assert response.status_code == 302
    assert _fresh(desk.ticket).priority == 4


def test_a_stale_reply_keeps_the_draft(desk, login):
    first, second = login(desk.tech), login(desk.mate)
    csrf1, v1 = _token_and_version(first, desk.ticket)
    csrf2, v2 = _token_and_version(second, desk.ticket)
    first.post(
        f"/tickets/{desk.ticket.reference}/reply",
        data={"csrf_token": csrf1, "version": v1, "body": "Je m’en occupe."},
    )
    response = second.post(
        f"/tickets/{desk.ticket.reference}/reply",
        data={"csrf_token": csrf2, "version": v2, "body": "Moi aussi !"},
    )
    assert response.status_code == 409
    assert "Moi aussi !" in response.text  # the draft is still in the form
    assert "Je m’en occupe." in response.text  # next to what the other one wrote
    bodies = db.session.scalars(
        select(TicketEvent.body).where(TicketEvent.kind == EventKind.REPLY)
    ).all()
    assert bodies == ["Je m’en occupe."]


def test_the_conflict_page_s_own_form_sends_the_draft(desk, login):
    """The 409 page is the answer to a POST: reloading it sends the stale form again, so it
    must not say to reload; what it offers, the draft on the current version, goes through."""
    first, second = login(desk.tech), login(desk.mate)
    csrf1, v1 = _token_and_version(first, desk.ticket)
    csrf2, v2 = _token_and_version(second, desk.ticket)
    first.post(f"/tickets/{desk.ticket.reference}/claim", data={"csrf_token": csrf1, "version": v1})
    reply = f"/tickets/{desk.ticket.reference}/reply"
    stale = {"csrf_token": csrf2, "version": v2, "body": "Je passe à 14 h."}
    response = second.post(reply, data=stale)
    assert response.status_code == 409
    assert CONFLICT.search(response.text).group("name") == "Karim Benali"
    assert "recharge" not in response.text and "reload" not in response.text
    assert second.post(reply, data=stale).status_code == 409  # what a reload would send
    form = re.search(r'<form[^>]*id="reply-form".*?</form>', response.text, re.S).group(0)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
    assert "Je passe à 14 h." in form
    sent = second.post(reply, data={**stale, "version": version})
    assert sent.status_code == 302
    bodies = db.session.scalars(
        select(TicketEvent.body).where(TicketEvent.kind == EventKind.REPLY)
    ).all()
    assert bodies == ["Je passe à 14 h."]


def test_bulk_refuses_a_ticket_changed_since_the_list_was_shown(desk, login):
    first, second = login(desk.tech), login(desk.mate)
    second.get("/queues/reseau")
    csrf1, v1 = _token_and_version(first, desk.ticket)
    first.post(f"/tickets/{desk.ticket.reference}/claim", data={"csrf_token": csrf1, "version": v1})
    response = second.post(
        "/queues/reseau/bulk",
        data={
            "csrf_token": second.last_csrf,
            "ticket": f"{desk.ticket.id}:1",
            "action": "status",
            "status": "in_progress",
        },
    )
    assert response.status_code == 409
    assert BULK_CONFLICT.search(response.text).group("name") == "Karim Benali"


@pytest.fixture
def postgres(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("a true race needs PostgreSQL's row locks")


def _at_once(*posts: Callable[[], Any]) -> list[Any]:
    """Run each post in a thread of its own; the threads meet just before each flushes its
    change to the ticket (each has read the same version and passed the form's check), then
    all write. Their results, in order."""
    barrier = threading.Barrier(len(posts), timeout=10)
    waited = threading.local()

    @event.listens_for(Session, "before_flush")
    def meet(session, flush_context, instances):
        if not getattr(waited, "done", False) and any(isinstance(o, Ticket) for o in session.dirty):
            waited.done = True
            barrier.wait()

    results: list[Any] = [None] * len(posts)

    def run(i: int) -> None:
        results[i] = posts[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(posts))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        event.remove(Session, "before_flush", meet)
    return results


def test_true_race_between_two_threads(postgres, desk, login, monkeypatch):
    import desk.tickets.actions as actions

    stale = []
    original = actions._conflict_for

    def counted(ticket_id):
        stale.append(ticket_id)
        return original(ticket_id)

    # The loser must be stopped by the versioned UPDATE (StaleDataError), not the form check.
    monkeypatch.setattr(actions, "_conflict_for", counted)
    clients = [login(desk.tech), login(desk.mate)]
    forms = [_token_and_version(c, desk.ticket) for c in clients]

    def act(i: int):
        csrf, version = forms[i]
        return clients[i].post(
            f"/tickets/{desk.ticket.reference}/priority",
            data={"csrf_token": csrf, "version": version, "priority": str(3 + i)},
        )

    results = dict(enumerate(_at_once(lambda: act(0), lambda: act(1))))
    codes = sorted(r.status_code for r in results.values())
    assert codes == [302, 409]
    winner = next(i for i, r in results.items() if r.status_code == 302)
    loser = results[1 - winner]
    names = {0: "Karim Benali", 1: "Sophie Durand"}
    assert CONFLICT.search(loser.text).group("name") == names[winner]
    ticket = _fresh(desk.ticket)
    assert (ticket.priority, ticket.version) == (3 + winner, 2)
    changes = db.session.scalars(select(TicketEvent).where(TicketEvent.field == "priority")).all()
    assert len(changes) == 1
    assert stale == [desk.ticket.id]


def _messages(ticket, kind: EventKind) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(TicketEvent.body)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind)
            .order_by(TicketEvent.id)
        )
    )


def _requester_mails(ticket) -> int:
    from desk.notifications.models import Channel, Notification

    db.session.expire_all()
    return len(
        db.session.scalars(
            select(Notification.id).where(
                Notification.ticket_id == ticket.id,
                Notification.recipient_id == ticket.requester_id,
                Notification.channel == Channel.EMAIL,
            )
        ).all()
    )


@pytest.mark.parametrize(("action", "kind"), [("reply", EventKind.REPLY), ("note", EventKind.NOTE)])
def test_a_message_sent_twice_from_one_page_is_written_once(desk, login, action, kind):
    """Without JavaScript a double click posts the same form twice with the same version:
    the second is the first sent again, not a conflict with oneself."""
    client = login(desk.tech)
    csrf, version = _token_and_version(client, desk.ticket)
    mails = _requester_mails(desk.ticket)
    form = {"csrf_token": csrf, "version": version, "body": " Redémarrez le poste. "}
    for _click in range(2):
        response = client.post(f"/tickets/{desk.ticket.reference}/{action}", data=form)
        assert response.status_code == 302
    assert _messages(desk.ticket, kind) == ["Redémarrez le poste."]
    assert _fresh(desk.ticket).version == int(version) + 1
    if kind is EventKind.REPLY:
        assert _requester_mails(desk.ticket) == mails + 1  # told once
    else:
        assert _requester_mails(desk.ticket) == mails  # a note is never sent to them


def test_the_same_text_is_still_a_conflict_when_it_is_not_the_same_message(desk, login):
    first, second = login(desk.tech), login(desk.mate)
    csrf1, v1 = _token_and_version(first, desk.ticket)
    csrf2, v2 = _token_and_version(second, desk.ticket)
    reply = f"/tickets/{desk.ticket.reference}/reply"
    first.post(reply, data={"csrf_token": csrf1, "version": v1, "body": "C’est réglé."})
    # Another technician's identical text on a stale page: a conflict, their draft kept.
    response = second.post(reply, data={"csrf_token": csrf2, "version": v2, "body": "C’est réglé."})
    assert response.status_code == 409 and CONFLICT.search(response.text)
    # The same technician's text as a note, not a reply: a conflict too.
    response = first.post(
        f"/tickets/{desk.ticket.reference}/note",
        data={"csrf_token": csrf1, "version": v1, "body": "C’est réglé."},
    )
    assert response.status_code == 409
    # The same reply resent more than a minute later: a conflict (the page is stale).
    last = db.session.scalars(select(TicketEvent).order_by(TicketEvent.id.desc())).first()
    last.created_at -= dt.timedelta(minutes=2)
    db.session.commit()
    response = first.post(reply, data={"csrf_token": csrf1, "version": v1, "body": "C’est réglé."})
    assert response.status_code == 409
    assert _messages(desk.ticket, EventKind.REPLY) == ["C’est réglé."]
    assert _messages(desk.ticket, EventKind.NOTE) == []


def test_a_reply_sent_twice_at_the_same_instant_is_written_once(postgres, desk, login):
    """Both posts pass the version check together; the versioned UPDATE stops the second,
    which then finds the first's reply and answers as it did."""
    client = login(desk.tech)
    csrf, version = _token_and_version(client, desk.ticket)
    mails = _requester_mails(desk.ticket)

    def post() -> int:
        return client.post(
            f"/tickets/{desk.ticket.reference}/reply",
            data={"csrf_token": csrf, "version": version, "body": "J’arrive."},
        ).status_code

    results = _at_once(post, post)
    assert results == [302, 302]
    assert _messages(desk.ticket, EventKind.REPLY) == ["J’arrive."]
    assert _requester_mails(desk.ticket) == mails + 1


def test_a_reply_to_a_ticket_closed_meanwhile_is_given_back(desk, login):
    desk.ticket.status = Status.RESOLVED
    db.session.commit()
    client = login(desk.tech)
    csrf, version = _token_and_version(client, desk.ticket)
    change_status(desk.ticket, Status.CLOSED, actor=desk.mate)
    db.session.commit()
    written = "Bonjour, le technicien passe demain <à 9 h>."
    response = client.post(
        f"/tickets/{desk.ticket.reference}/reply",
        data={"csrf_token": csrf, "version": version, "body": written},
    )
    assert response.status_code == 409
    assert "on ne peut plus répondre au demandeur ici" in response.text
    # Not lost with the reply box: given back to copy (escaped like any text).
    given_back = re.search(r'<textarea id="reply-draft"[^>]*>(.*?)</textarea>', response.text, re.S)
    assert given_back is not None and given_back.group(1).strip() == escape(written, quote=False)
    assert not db.session.scalars(
        select(TicketEvent).where(TicketEvent.kind == EventKind.REPLY)
    ).all()
