"""Putting a ticket back in its queue without a technician: it is "new" again if nobody had
started it, its staff history says who let go of it and why, and the queue's other members are
told (bell and e-mail) that it needs someone. Every wrong use is refused with nothing changed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from desk.core.db import utcnow
from desk.extensions import db
from desk.notifications.content import render_email
from desk.notifications.models import Channel, Notification, NotificationEvent
from desk.tickets.actions import transfer_ticket
from desk.tickets.models import Status, Ticket, TicketEvent
from tests.catalog.world import field_errors
from tests.support.factories import make_ticket

E = NotificationEvent


def _version(client, ticket) -> str:
    page = client.get(f"/tickets/{ticket.reference}").text
    return re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)


def _give_back(client, ticket, note: str = "", version: str | None = None):
    current = _version(client, ticket)  # also the page's CSRF token
    data = {
        "version": version or current,
        "csrf_token": client.last_csrf,
        "note": note,
    }
    return client.post(f"/tickets/{ticket.reference}/give-back", data=data)


def _fresh(ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def _events() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(TicketEvent))


def _returned(channel: Channel) -> dict[int, Notification]:
    db.session.expire_all()
    query = select(Notification).where(
        Notification.event == E.RETURNED, Notification.channel == channel
    )
    return {n.recipient_id: n for n in db.session.scalars(query)}


def test_an_assigned_ticket_goes_back_new_and_the_queue_is_told(desk, login):
    ticket = make_ticket(
        queue=desk.network, requester=desk.requester, status="assigned", assignee=desk.tech
    )
    client = login(desk.tech)
    page = client.get(f"/tickets/{ticket.reference}").text
    assert "Remettre dans la file" in page
    response = _give_back(client, ticket, note="  Je pars en congés ; la prise B12 est testée.  ")
    assert response.status_code == 302
    assert "sans technicien ; ses membres ont été prévenus" in client.get(response.location).text

    fresh = _fresh(ticket)
    assert fresh.assignee_id is None and fresh.status is Status.NEW
    staff_page = client.get(f"/tickets/{ticket.reference}").text
    assert "Remis dans la file, sans technicien (il était confié à Karim Benali)." in staff_page
    assert "Je pars en congés ; la prise B12 est testée." in staff_page
    assert "Remettre dans la file" not in staff_page  # nobody holds it now

    # The queue's other member hears it, in the bell and by e-mail; the giver does not, nor
    # the technician of another queue.
    assert set(_returned(Channel.INAPP)) == {desk.mate.id}
    mail = _returned(Channel.EMAIL)[desk.mate.id]
    subject, text, _html = render_email(mail.payload, mail.id)
    assert subject.startswith(f"[{ticket.reference}] De retour dans votre file, sans technicien")
    assert "Karim Benali a remis ce ticket dans votre file « " in text
    assert "Un mot pour l’équipe :" in text and "la prise B12 est testée." in text
    assert "/tickets/" + ticket.reference in text

    # The requester sees a new request again, not who let go of it or the word to the team.
    own = login(desk.requester).get(f"/mes-demandes/{ticket.reference}").text
    assert "Remis dans la file" not in own and "congés" not in own


def test_work_already_started_keeps_its_status(desk, login):
    ticket = make_ticket(
        queue=desk.network, requester=desk.requester, status="in_progress", assignee=desk.tech
    )
    assert _give_back(login(desk.tech), ticket).status_code == 302
    fresh = _fresh(ticket)
    assert fresh.assignee_id is None and fresh.status is Status.IN_PROGRESS


def test_a_colleague_takes_it_back_from_its_holder_who_is_told(desk, login):
    ticket = make_ticket(
        queue=desk.network, requester=desk.requester, status="assigned", assignee=desk.tech
    )
    assert _give_back(login(desk.mate), ticket, note="<b>urgent</b>").status_code == 302
    # Told that it is no longer theirs (tests/queues/test_taken_over.py), under that switch,
    # not as the queue's news of a ticket back "with Karim Benali" addressed to Karim.
    assert not _returned(Channel.EMAIL)
    db.session.expire_all()
    (mail,) = db.session.scalars(
        select(Notification).where(
            Notification.event == E.TAKEN_OVER, Notification.channel == Channel.EMAIL
        )
    )
    assert mail.recipient_id == desk.tech.id
    _subject, text, html = render_email(mail.payload, mail.id)
    assert "Bonjour Karim Benali" in text and "Sophie Durand" in text
    assert "<b>urgent</b>" not in html and "&lt;b&gt;urgent&lt;/b&gt;" in html


def test_the_mail_follows_each_member_s_choice(desk, login):
    from desk.notifications.services import set_email_preferences
    from desk.notifications.views import STAFF_EVENTS

    set_email_preferences(desk.mate, set(STAFF_EVENTS) - {E.RETURNED}, actor=desk.mate)
    db.session.commit()
    page = login(desk.mate).get("/preferences/notifications").text
    assert "Un ticket d’une de mes files y revient sans technicien" in page
    ticket = make_ticket(
        queue=desk.network, requester=desk.requester, status="assigned", assignee=desk.tech
    )
    assert _give_back(login(desk.tech), ticket).status_code == 302
    assert set(_returned(Channel.INAPP)) == {desk.mate.id}
    assert not _returned(Channel.EMAIL)


def test_a_transfer_that_unassigns_makes_an_untouched_ticket_new(desk):
    ticket = make_ticket(
        queue=desk.network, requester=desk.requester, status="assigned", assignee=desk.tech
    )
    transfer_ticket(ticket, desk.mail, reason="Messagerie", actor=desk.tech)
    fresh = _fresh(ticket)
    assert fresh.queue_id == desk.mail.id and fresh.assignee_id is None
    assert fresh.status is Status.NEW


def test_the_receiving_queue_hears_that_nobody_holds_it_now_and_who_did(desk, login):
    held = make_ticket(
        queue=desk.network, requester=desk.requester, status="in_progress", assignee=desk.tech
    )
    assert _transfer(login(desk.tech), held, desk.mail, "page").status_code == 302
    unheld = make_ticket(queue=desk.network, requester=desk.requester, status="new")
    assert _transfer(login(desk.tech), unheld, desk.mail, "page").status_code == 302
    db.session.expire_all()
    mails = {
        n.ticket_id: render_email(n.payload, n.id)[1]
        for n in db.session.scalars(
            select(Notification).where(
                Notification.event == E.TRANSFERRED,
                Notification.channel == Channel.EMAIL,
                Notification.recipient_id == desk.mail_tech.id,
            )
        )
    }
    said = f"Personne ne s’en occupe pour l’instant. Il était confié à {desk.tech.display_name}."
    assert said in mails[held.id]
    assert "Il était confié" not in mails[unheld.id]


def _transfer(client, ticket, queue, how: str):
    """Transfer `ticket` from its page, or from its queue list's bulk bar (both go through
    `transfer_ticket`)."""
    data = {"queue": str(queue.id), "reason": "Un souci de messagerie"}
    if how == "page":
        data |= {"version": _version(client, ticket), "csrf_token": client.last_csrf}
        return client.post(f"/tickets/{ticket.reference}/transfer", data=data)
    client.get("/queues/reseau")
    data |= {"action": "transfer", "ticket": f"{ticket.id}:{_fresh(ticket).version}"}
    return client.post("/queues/reseau/bulk", data={**data, "csrf_token": client.last_csrf})


@pytest.mark.parametrize("how", ["page", "bulk"])
@pytest.mark.parametrize(
    ("status", "after"),
    [
        ("assigned", Status.NEW),
        ("in_progress", Status.IN_PROGRESS),
        ("waiting_on_requester", Status.WAITING_ON_REQUESTER),
        ("reopened", Status.REOPENED),
    ],
)
def test_a_transfer_out_of_its_technician_s_queues_lets_go_as_giving_back_does(
    desk, login, how, status, after
):
    """The one rule of desk.tickets.actions: only a ticket nobody had started ("assigned") is
    new again; work started keeps its status for its requester and the SLA clock, as when it
    is given back, and the receiving queue sees it among its unassigned tickets."""
    given = make_ticket(
        queue=desk.network, requester=desk.requester, status=status, assignee=desk.tech
    )
    assert _give_back(login(desk.tech), given).status_code == 302
    assert _fresh(given).status is after

    ticket = make_ticket(
        queue=desk.network, requester=desk.requester, status=status, assignee=desk.tech
    )
    response = _transfer(login(desk.tech), ticket, desk.mail, how)
    assert response.status_code == (302 if how == "page" else 200)
    fresh = _fresh(ticket)
    assert (fresh.queue_id, fresh.assignee_id, fresh.status) == (desk.mail.id, None, after)
    lines = {
        e.field: (e.old_value, e.new_value)
        for e in db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
        if e.field
    }
    assert lines.pop("queue_id") == (str(desk.network.id), str(desk.mail.id))
    assert lines.pop("assignee_id") == (str(desk.tech.id), None)
    assert lines == ({"status": ("assigned", "new")} if status == "assigned" else {})

    receiving = login(desk.mail_tech)
    listed = receiving.get("/queues/messagerie?assignee=unassigned").text
    assert f'data-ref="{ticket.reference}"' in listed
    page = receiving.get(f"/tickets/{ticket.reference}").text
    assert "Prendre ce ticket" in page


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unassigned", "Personne ne s’occupe de ce ticket : il est déjà dans sa file."),
        ("finished", "ne peut plus être modifié"),
        ("too long", "Le texte doit faire moins de 500 caractères."),
    ],
)
def test_wrong_uses_are_refused_with_nothing_changed(desk, login, case, message):
    ticket = {
        "unassigned": desk.ticket,
        "finished": make_ticket(
            queue=desk.network, requester=desk.requester, status="resolved", assignee=desk.tech
        ),
    }.get(case) or make_ticket(
        queue=desk.network, requester=desk.requester, status="assigned", assignee=desk.tech
    )
    before, status, holder = _events(), _fresh(ticket).status, _fresh(ticket).assignee_id
    response = _give_back(login(desk.tech), ticket, note="x" * 501 if case == "too long" else "")
    assert response.status_code == 400
    if case == "too long":
        assert message in field_errors(response.text, "give-back-note")[0]
    else:
        assert message in response.text
    assert _events() == before
    fresh = _fresh(ticket)
    assert (fresh.status, fresh.assignee_id) == (status, holder)
    assert not _returned(Channel.INAPP)


def test_nul_bytes_and_a_stale_page(desk, login):
    ticket = make_ticket(
        queue=desk.network, requester=desk.requester, status="assigned", assignee=desk.tech
    )
    client = login(desk.tech)
    assert _give_back(client, ticket, version="99").status_code == 409
    assert _fresh(ticket).assignee_id == desk.tech.id
    assert _give_back(client, ticket, version="x" * 40).status_code == 400
    # NUL bytes are refused before any form reads them (desk.core.input), as everywhere.
    assert _give_back(client, ticket, note="a\x00b").status_code == 400
    assert _fresh(ticket).assignee_id == desk.tech.id
    assert _give_back(client, ticket, note="ab").status_code == 302


def test_who_may_not(desk, login, client):
    ticket = make_ticket(
        queue=desk.network, requester=desk.requester, status="assigned", assignee=desk.tech
    )
    url = f"/tickets/{ticket.reference}/give-back"
    assert client.post(url, data={"version": "1"}).status_code in (302, 400)
    requester = login(desk.requester)
    requester.get("/mes-demandes")
    data = {"version": "1", "csrf_token": requester.last_csrf}
    assert requester.post(url, data=data).status_code == 403
    other = login(desk.mail_tech)
    other.get("/queues")
    assert other.post(url, data={**data, "csrf_token": other.last_csrf}).status_code == 404
    tech = login(desk.tech)
    tech.get("/queues")
    assert tech.post(url, data={"version": "1"}).status_code == 400  # no CSRF token
    assert _fresh(ticket).assignee_id == desk.tech.id


def test_a_deactivated_technician_s_tickets_come_back_new_and_the_queue_is_told(desk, login):
    ticket = make_ticket(
        queue=desk.network, requester=desk.requester, status="assigned", assignee=desk.tech
    )
    admin = login(desk.admin)
    admin.get(f"/admin/accounts/{desk.tech.id}")
    response = admin.post(
        f"/admin/accounts/{desk.tech.id}/deactivate", data={"csrf_token": admin.last_csrf}
    )
    assert response.status_code == 302
    fresh = _fresh(ticket)
    assert fresh.assignee_id is None and fresh.status is Status.NEW
    mail = _returned(Channel.EMAIL)[desk.mate.id]
    _subject, text, _html = render_email(mail.payload, mail.id)
    assert "le compte de Karim Benali a été désactivé" in text


def _history(ticket) -> list[tuple[str, str | None, str | None, bool]]:
    db.session.expire_all()
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    return [(e.field, e.old_value, e.new_value, e.is_internal) for e in db.session.scalars(query)]


@pytest.mark.parametrize("gone", ["left", "deactivated"])
def test_a_request_reopened_after_its_technician_went_comes_back_to_the_queue(desk, login, gone):
    """A resolved ticket keeps its technician (reports count what they resolved); reopened
    once they no longer work its queue, it was still theirs: the queue was not told, the
    reopening reached them (a link to a ticket they may not open) or nobody, and no
    "unassigned" list showed it. It comes back to the queue, which hears why."""
    ticket = make_ticket(
        queue=desk.network,
        requester=desk.requester,
        status="resolved",
        assignee=desk.tech,
        resolved_at=utcnow(),
    )
    admin = login(desk.admin)
    admin.get(f"/admin/accounts/{desk.tech.id}")
    if gone == "left":  # Karim moves to the e-mail team
        data = {"display_name": "Karim Benali", "role": "technician", "is_staff": "y"}
        data |= {"queue": str(desk.mail.id), "csrf_token": admin.last_csrf}
        response = admin.post(f"/admin/accounts/{desk.tech.id}", data=data)
    else:
        url = f"/admin/accounts/{desk.tech.id}/deactivate"
        response = admin.post(url, data={"csrf_token": admin.last_csrf})
    assert response.status_code == 302
    assert _fresh(ticket).assignee_id == desk.tech.id  # finished: it stays theirs

    claire = login(desk.requester)
    claire.get(f"/mes-demandes/{ticket.reference}")
    reason = "La prise ne marche toujours pas."
    data = {"reason": reason, "csrf_token": claire.last_csrf}
    response = claire.post(f"/mes-demandes/{ticket.reference}/reouverture", data=data)
    assert response.status_code == 302

    fresh = _fresh(ticket)
    assert fresh.status is Status.REOPENED and fresh.assignee_id is None
    assert ("released", str(desk.tech.id), gone, True) in _history(ticket)
    reopened = {
        (n.recipient_id, n.channel)
        for n in db.session.scalars(select(Notification).where(Notification.event == E.REOPENED))
    }
    assert reopened == {(desk.mate.id, Channel.INAPP), (desk.mate.id, Channel.EMAIL)}
    # One e-mail says it all: reopened, with the requester's words, and nobody holds it.
    (mail,) = db.session.scalars(
        select(Notification).where(
            Notification.recipient_id == desk.mate.id, Notification.channel == Channel.EMAIL
        )
    )
    subject, text, html = render_email(mail.payload, mail.id)
    assert "Rouvert par le demandeur" in subject
    assert reason in text and reason in html
    why = "Karim Benali ne traite plus cette file" if gone == "left" else "a été désactivé"
    assert why in text
    # The queue lists it among the tickets nobody holds.
    mate = login(desk.mate)
    listing = mate.get("/queues/reseau?assignee=unassigned").text
    assert ticket.reference in listing
    # The requester's page does not say who let go of it.
    assert "Karim" not in claire.get(f"/mes-demandes/{ticket.reference}").text


def _claim(client, ticket):
    version = _version(client, ticket)
    data = {"version": version, "csrf_token": client.last_csrf}
    return client.post(f"/tickets/{ticket.reference}/claim", data=data)


def _change_lines(page: str) -> list[str]:
    items = re.findall(r'<li class="event event-change[^"]*"[^>]*>(.*?)</li>', page, re.S)
    return [re.findall(r"<p>(.*?)</p>", item, re.S)[0].strip() for item in items]


def test_the_requester_s_history_across_claim_give_back_and_claim_by_another(desk, login):
    """Karim takes the request, gives it back, Sophie takes it: the requester read "Assignee:
    — → Karim", then nothing, then "Assignee: — → Sophie", Karim never let go of. Their page
    now says it went back to the queue, in neutral words (not who let go, nor why)."""
    desk.requester.locale = "en"
    db.session.commit()
    ticket = desk.ticket
    karim, sophie = login(desk.tech), login(desk.mate)
    assert _claim(karim, ticket).status_code == 302
    assert _give_back(karim, ticket, note="Je pars en congés demain.").status_code == 302
    assert _claim(sophie, ticket).status_code == 302

    own = login(desk.requester).get(f"/mes-demandes/{ticket.reference}").text
    assert _change_lines(own) == [
        "Assignee: — → Karim Benali",
        "Status: New → Assigned",
        "Back in the queue, waiting for a technician to take it over.",
        "Assignee: — → Sophie Durand",
        "Status: New → Assigned",
    ]
    assert "congés" not in own
    # The staff's page tells it their way once (who, and the word), not twice.
    staff = sophie.get(f"/tickets/{ticket.reference}").text
    assert "Back in the queue, waiting" not in staff
    assert "Remis dans la file, sans technicien (il était confié à Karim Benali)." in staff
