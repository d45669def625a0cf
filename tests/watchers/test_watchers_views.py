"""People in copy: the requester (or the ticket's staff) puts a colleague in copy by their
address; the colleague reads the request without its internal notes, writes to it, hears of
its replies and its end, and may leave; only the requester cancels or reopens."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from desk.extensions import db
from desk.notifications.content import render_email
from desk.notifications.models import Channel, Notification, NotificationEvent
from desk.tickets.actions import add_note, add_reply, change_status
from desk.tickets.models import EventKind, Status, TicketEvent
from desk.watchers.models import TicketWatcher
from desk.watchers.services import MAX_WATCHERS
from tests.notifications.helpers import rows
from tests.support.factories import make_user


def _manage(world) -> str:
    return f"/demandes/{world.ticket.reference}/en-copie"


def _portal(world) -> str:
    return f"/mes-demandes/{world.ticket.reference}"


def _text(page: str) -> str:
    page = page.replace("<wbr>", "")
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _field_error(page: str) -> str:
    match = re.search(r'<ul class="errors" id="email-error">(.*?)</ul>', page, re.S)
    assert match, "no error next to the address"
    return _text(match.group(1))


def _watchers() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(TicketWatcher))


def _put_in_copy(client, world, email: str):
    return client.submit(_manage(world), {"email": email})


def test_the_requester_puts_a_colleague_in_copy_who_is_told(world, login):
    claire = login(world.claire)
    response = _put_in_copy(claire, world, "  Paul.Durand@UMONTPELLIER.fr ")
    assert response.status_code == 302
    assert response.headers["Location"] == _manage(world)
    page = _text(claire.get(_manage(world)).text)
    assert "Paul Durand est en copie et en a été informé par e-mail." in page
    assert "Paul Durand paul.durand@umontpellier.fr" in page
    # The history says so, to the requester too.
    portal = _text(claire.get(_portal(world)).text)
    assert "Paul Durand est désormais en copie de cette demande." in portal
    (mail,) = rows(Channel.EMAIL, recipient_id=world.paul.id)
    assert mail.event is NotificationEvent.WATCHER_ADDED
    assert mail.payload["role"] == "watcher"
    assert mail.payload["path"] == _portal(world)
    subject, text, _html = render_email(mail.payload, mail.id)
    assert subject.startswith(f"[{world.ticket.reference}] Vous êtes en copie d’une demande")
    # Put in copy by the requester: "of their request", not "of Claire Martin's" again.
    assert mail.payload["events"][0]["own"] is True
    assert "de la demande de Claire Martin" not in text


def test_someone_in_copy_reads_the_request_without_the_internal_notes(world, login):
    _put_in_copy(login(world.claire), world, world.paul.email)
    add_reply(world.ticket, "Nous passons demain matin.", actor=world.tech)
    add_note(world.ticket, "Switch du 2e étage à remplacer", actor=world.tech)
    paul = login(world.paul)
    page = paul.get(_portal(world))
    assert page.status_code == 200
    text = _text(page.text)
    assert "Vous êtes en copie de cette demande de Claire Martin." in text
    assert "Nous passons demain matin." in text
    assert "Switch du 2e étage" not in text
    # Cancelling and reopening are the requester's.
    assert "/annulation" not in page.text and "Annuler cette demande" not in text
    # Listed under "In copy", not among their own requests.
    assert world.ticket.reference in paul.get("/mes-demandes?show=copy").text
    assert world.ticket.reference not in paul.get("/mes-demandes?show=all").text
    assert "Claire Martin" in _text(paul.get("/mes-demandes?show=copy").text)


def test_someone_in_copy_may_not_cancel_manage_or_rate(world, login):
    _put_in_copy(login(world.claire), world, world.paul.email)
    paul = login(world.paul)
    cancel = paul.submit(f"{_portal(world)}/annulation", {"reason": "x"}, page=_portal(world))
    assert cancel.status_code == 404
    assert paul.get(_manage(world)).status_code == 403
    response = paul.submit(_manage(world), {"email": world.john.email}, page=_portal(world))
    assert response.status_code == 403
    db.session.expire_all()
    assert world.ticket.status is Status.IN_PROGRESS and _watchers() == 1


def test_a_message_from_someone_in_copy_reaches_the_requester_and_the_staff(world, login):
    claire = login(world.claire)
    _put_in_copy(claire, world, world.paul.email)
    _put_in_copy(claire, world, world.john.email)
    paul = login(world.paul)
    response = paul.submit(
        f"{_portal(world)}/commentaire", {"body": "Même souci dans le B205."}, page=_portal(world)
    )
    assert response.status_code == 302
    event = db.session.scalar(select(TicketEvent).where(TicketEvent.kind == EventKind.COMMENT))
    assert event.actor_id == world.paul.id
    told = {r.recipient_id: r for r in rows(Channel.EMAIL, event=NotificationEvent.COMMENTED)}
    assert set(told) == {world.claire.id, world.john.id, world.tech.id}  # not Paul himself
    subject = render_email(told[world.claire.id].payload, 1)[0]
    assert "Nouveau message sur votre demande" in subject
    subject = render_email(told[world.tech.id].payload, 1)[0]
    assert "Nouveau message d’une personne en copie" in subject
    subject = render_email(told[world.john.id].payload, 1)[0]
    assert "New message on a request you follow" in subject


def test_a_technician_of_the_queue_in_copy_hears_the_requester_as_its_staff(world, login):
    """Told of the requester's message once as a member of the queue and once as someone in
    copy, the technician gets one e-mail, the staff's: their page, not the requester's."""
    claire = login(world.claire)
    _put_in_copy(claire, world, world.tech.email)
    response = claire.submit(
        f"{_portal(world)}/commentaire", {"body": "Toujours rien."}, page=_portal(world)
    )
    assert response.status_code == 302
    (row,) = rows(Channel.EMAIL, event=NotificationEvent.COMMENTED)
    assert row.recipient_id == world.tech.id
    assert row.payload["role"] == "staff"
    assert row.payload["path"] == f"/tickets/{world.ticket.reference}"
    assert "Nouveau message du demandeur" in render_email(row.payload, row.id)[0]


def test_replies_and_the_end_reach_those_in_copy_in_their_words(world, login):
    _put_in_copy(login(world.claire), world, world.john.email)
    add_reply(world.ticket, "Fixed the socket.", actor=world.tech)
    change_status(world.ticket, Status.RESOLVED, actor=world.tech)
    mails = rows(Channel.EMAIL, recipient_id=world.john.id)
    events = [r.event for r in mails]
    assert NotificationEvent.REPLIED in events and NotificationEvent.RESOLVED in events
    resolved = next(r for r in mails if r.event is NotificationEvent.RESOLVED)
    subject, text, _html = render_email(resolved.payload, resolved.id)
    assert "A request you follow is resolved" in subject
    assert "The request of Claire Martin, which you follow, has been resolved." in text
    assert "/evaluation/" not in text  # rating is the requester's
    # The requester still gets her own words, and the rating link.
    (hers,) = rows(Channel.EMAIL, recipient_id=world.claire.id, event=NotificationEvent.RESOLVED)
    assert "/evaluation/" in render_email(hers.payload, hers.id)[1]


def test_someone_in_copy_leaves_and_no_longer_sees_it(world, login):
    _put_in_copy(login(world.claire), world, world.paul.email)
    paul = login(world.paul)
    assert "Ne plus suivre cette demande" in paul.get(_portal(world)).text
    response = paul.submit(
        f"{_manage(world)}/{world.paul.id}/retrait", page=_portal(world), follow_redirects=True
    )
    assert f"Vous n’êtes plus en copie de {world.ticket.reference}." in response.text
    assert _watchers() == 0
    assert paul.get(_portal(world)).status_code == 404
    assert "n’est plus en copie" in _text(login(world.claire).get(_portal(world)).text)


def test_the_requester_takes_someone_out(world, login):
    claire = login(world.claire)
    _put_in_copy(claire, world, world.paul.email)
    response = claire.submit(f"{_manage(world)}/{world.paul.id}/retrait", page=_manage(world))
    assert response.status_code == 302 and _watchers() == 0


def test_someone_in_copy_cannot_take_others_out(world, login):
    claire = login(world.claire)
    _put_in_copy(claire, world, world.paul.email)
    _put_in_copy(claire, world, world.john.email)
    paul = login(world.paul)
    response = paul.submit(f"{_manage(world)}/{world.john.id}/retrait", page=_portal(world))
    assert response.status_code == 403 and _watchers() == 2


def test_others_do_not_see_the_ticket_or_its_copy_list(world, login):
    _put_in_copy(login(world.claire), world, world.paul.email)
    for user in (world.stranger, world.tech_hr):
        client = login(user)
        assert client.get(_portal(world)).status_code == 404
        assert client.get(_manage(world)).status_code == 404
        response = client.submit(f"{_manage(world)}/{world.paul.id}/retrait", page="/mes-demandes")
        assert response.status_code == 404
    assert _watchers() == 1


def test_the_ticket_s_staff_put_people_in_copy_from_its_page(world, login):
    tech = login(world.tech)
    page = tech.get(f"/tickets/{world.ticket.reference}").text
    assert f'href="{_manage(world)}"' in page
    response = _put_in_copy(tech, world, world.paul.email)
    assert response.status_code == 302
    staff_page = _text(tech.get(f"/tickets/{world.ticket.reference}").text)
    assert "Personnes en copie Paul Durand" in staff_page
    assert f'href="/tickets/{world.ticket.reference}"' in tech.get(_manage(world)).text


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Saisissez l’adresse e-mail de la personne à mettre en copie."),
        ("   ", "Saisissez l’adresse e-mail de la personne à mettre en copie."),
        ("pas une adresse", "Saisissez une adresse e-mail valide."),
        ("a" * 250 + "@umontpellier.fr", "254 caractères au plus."),
        ("personne@umontpellier.fr", "Personne à l’université n’a cette adresse"),
        ("claire.martin@umontpellier.fr", "C’est le demandeur du ticket"),
        ("<script>@x.fr", "Saisissez une adresse e-mail valide."),
    ],
)
def test_a_wrong_address_is_refused_next_to_the_field(world, login, email, message):
    response = _put_in_copy(login(world.claire), world, email)
    assert response.status_code == 400
    assert message in _field_error(response.text)
    assert "<script>@" not in response.text
    assert _watchers() == 0
    db.session.expire_all()
    assert rows(Channel.EMAIL) == []


def test_the_same_person_twice_and_a_deactivated_account(world, login):
    claire = login(world.claire)
    _put_in_copy(claire, world, world.paul.email)
    response = _put_in_copy(claire, world, world.paul.email)
    assert response.status_code == 400
    assert "Cette personne est déjà en copie." in _field_error(response.text)
    gone = make_user("ancien@umontpellier.fr", is_active=False)
    response = _put_in_copy(claire, world, gone.email)
    assert "Personne à l’université n’a cette adresse" in _field_error(response.text)
    assert _watchers() == 1


def test_at_most_ten_people_in_copy(world, login):
    claire = login(world.claire)
    for n in range(MAX_WATCHERS):
        assert (
            _put_in_copy(claire, world, make_user(f"c{n}@umontpellier.fr").email).status_code == 302
        )
    extra = make_user("onze@umontpellier.fr")
    response = claire.submit(_manage(world), {"email": extra.email}, follow_redirects=True)
    assert "10 personnes au plus peuvent être en copie." in response.text
    # Full is said first, before anyone is looked up (no account made for nothing).
    nobody = claire.submit(_manage(world), {"email": "x@umontpellier.fr"}, follow_redirects=True)
    assert "10 personnes au plus peuvent être en copie." in nobody.text
    assert _watchers() == MAX_WATCHERS


def test_nobody_is_put_in_copy_of_a_finished_ticket(world, login):
    world.ticket.status = Status.CLOSED
    db.session.commit()
    claire = login(world.claire)
    assert 'name="email"' not in claire.get(_manage(world)).text
    response = claire.submit(_manage(world), {"email": world.paul.email}, follow_redirects=True)
    assert "Ce ticket est terminé" in response.text
    assert _watchers() == 0


def test_forms_without_their_token_or_with_bad_bytes_are_refused(world, login):
    claire = login(world.claire)
    claire.get(_manage(world))
    assert claire.post(_manage(world), data={"email": world.paul.email}).status_code == 400
    response = claire.submit(_manage(world), {"email": "paul\x00@umontpellier.fr"})
    assert response.status_code == 400
    remove = claire.post(f"{_manage(world)}/{world.paul.id}/retrait")
    assert remove.status_code == 400
    assert _watchers() == 0


def test_a_reference_or_user_id_from_nowhere_is_not_found(world, login):
    claire = login(world.claire)
    assert claire.get("/demandes/DEM-2026-999999/en-copie").status_code == 404
    assert claire.get("/demandes/" + "X" * 5000 + "/en-copie").status_code == 404
    response = claire.submit(f"{_manage(world)}/99999999999999999999/retrait", page=_manage(world))
    assert response.status_code == 404


def test_someone_in_copy_downloads_the_public_files_only(world, login):
    from tests.tickets.test_attachments import _stored

    public = _stored(world.ticket, world.tech)
    internal = _stored(world.ticket, world.tech, internal=True, name="notes.pdf")
    paul = login(world.paul)
    assert paul.get(f"/attachments/{public.id}").status_code == 404  # not yet in copy
    _put_in_copy(login(world.claire), world, world.paul.email)
    assert paul.get(f"/attachments/{public.id}").status_code == 200
    assert paul.get(f"/attachments/{internal.id}").status_code == 404
    paul.submit(f"{_manage(world)}/{world.paul.id}/retrait", page=_portal(world))
    assert paul.get(f"/attachments/{public.id}").status_code == 404


def test_being_put_in_copy_follows_the_e_mail_choice(world, login):
    paul = login(world.paul)
    page = paul.get("/preferences/notifications").text
    assert "Quelqu’un me met en copie d’une demande" in page
    from desk.notifications.models import NotificationPreference

    db.session.add(
        NotificationPreference(
            user_id=world.paul.id, event=NotificationEvent.WATCHER_ADDED, email_enabled=False
        )
    )
    db.session.commit()
    _put_in_copy(login(world.claire), world, world.paul.email)
    assert rows(Channel.EMAIL, recipient_id=world.paul.id) == []
    (bell,) = rows(Channel.INAPP, recipient_id=world.paul.id)
    assert bell.event is NotificationEvent.WATCHER_ADDED
    assert "Vous êtes en copie d’une demande" in _text(paul.get("/notifications").text)


def test_someone_in_copy_sees_no_rating_of_the_requester(world, login):
    from desk.satisfaction.models import Rating

    _put_in_copy(login(world.claire), world, world.paul.email)
    world.ticket.status = Status.RESOLVED
    db.session.add(
        Rating(ticket_id=world.ticket.id, user_id=world.claire.id, score=2, comment="Trop long")
    )
    db.session.commit()
    page = _text(login(world.paul).get(_portal(world)).text)
    assert "Trop long" not in page and "Votre évaluation" not in page
    assert "Trop long" in _text(login(world.claire).get(_portal(world)).text)


def test_someone_in_copy_finds_the_request_by_searching_their_requests(world, login):
    _put_in_copy(login(world.claire), world, world.paul.email)
    add_note(world.ticket, "Switch du 2e étage à remplacer", actor=world.tech)
    search = "/mes-demandes/recherche"
    row = f'<tr data-ref="{world.ticket.reference}"'
    paul = login(world.paul)
    page = paul.get(search, query_string={"q": "prise murale"})
    assert page.status_code == 200
    assert row in page.text
    assert f'href="{_portal(world)}"' in page.text
    assert "En copie : demande de Claire Martin" in _text(page.text)
    for q in (world.ticket.reference, "Claire"):
        assert row in paul.get(search, query_string={"q": q}).text
    # Never through the internal notes, and not for someone who is not in copy.
    assert row not in paul.get(search, query_string={"q": "switch"}).text
    stranger = login(world.stranger)
    for q in ("prise murale", world.ticket.reference):
        assert row not in stranger.get(search, query_string={"q": q}).text
    # The requester's own results do not call her request someone else's.
    mine = login(world.claire).get(search, query_string={"q": "prise murale"}).text
    assert row in mine and "En copie" not in _text(mine)
    # Once out of copy, it is out of the search too.
    paul.submit(f"{_manage(world)}/{world.paul.id}/retrait", page=_portal(world))
    assert row not in paul.get(search, query_string={"q": "prise"}).text


def test_messages_between_requester_and_copy_follow_their_own_switch(world, login):
    """The requester may turn off the messages of the people in copy, and they those of the
    requester, with a switch of their own: not the staff's "a requester writes"."""
    prefs = "/preferences/notifications"
    label = "Une personne en copie écrit sur ma demande"

    def turn_off(client, event):
        kept = [e.value for e in NotificationEvent if e is not event]
        form = {"email": kept, "new_ticket_mode": "each"}  # the staff's other choice
        assert client.submit(prefs, form, page=prefs).status_code == 302

    def mailed(event=NotificationEvent.COMMENTED):
        return sorted(r.recipient_id for r in rows(Channel.EMAIL, event=event))

    claire = login(world.claire)
    _put_in_copy(claire, world, world.paul.email)
    assert label in claire.get(prefs).text
    assert "Un demandeur ou une personne en copie écrit" in login(world.tech).get(prefs).text
    turn_off(claire, NotificationEvent.FOLLOWED_MESSAGE)

    paul = login(world.paul)
    paul.submit(f"{_portal(world)}/commentaire", {"body": "Idem B205."}, page=_portal(world))
    assert mailed() == [world.tech.id]  # Claire turned it off; the staff did not
    assert world.claire.id in [r.recipient_id for r in rows(Channel.INAPP)]  # her bell still

    db.session.query(Notification).delete()
    db.session.commit()
    turn_off(paul, NotificationEvent.FOLLOWED_MESSAGE)
    claire.submit(f"{_portal(world)}/commentaire", {"body": "Merci."}, page=_portal(world))
    assert mailed() == [world.tech.id]  # Paul turned it off too

    # The staff's switch does not silence the requester's.
    db.session.query(Notification).delete()
    db.session.commit()
    turn_off(login(world.tech), NotificationEvent.COMMENTED)
    turn_off(claire, NotificationEvent.WATCHER_ADDED)  # her messages switch on again
    paul.submit(f"{_portal(world)}/commentaire", {"body": "Encore."}, page=_portal(world))
    assert mailed() == [world.claire.id]
