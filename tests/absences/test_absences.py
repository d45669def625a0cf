"""A technician's absence: planned on its page (bad dates refused next to their fields, nothing
saved), then while it lasts desk e-mails them nothing about their queues, sends what concerns
the tickets they hold to their present colleagues, names them as away where a ticket can be
given to them, and warns the admins of a queue whose members are all away."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from desk.absences.models import Absence
from desk.absences.services import plan_absence
from desk.auth.models import Role
from desk.catalog.forms.fields import local_today
from desk.extensions import db
from desk.notifications.content import render_email
from desk.notifications.models import Channel, NotificationEvent
from desk.tickets.models import Status, Ticket
from desk.tickets.services import add_requester_comment
from tests.catalog.world import field_errors
from tests.notifications.helpers import rows, submit
from tests.support.factories import make_queue, make_ticket, make_user

E = NotificationEvent
URL = "/preferences/absence"


@pytest.fixture
def team(db):
    queue = make_queue(code="reseau")
    away = make_user(
        "karim@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,), name="Karim Benali"
    )
    present = make_user(
        "sophie@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,), name="Sophie Durand"
    )
    requester = make_user("claire@umontpellier.fr", name="Claire Martin")
    return queue, away, present, requester


def _events(user, channel: Channel) -> list[NotificationEvent]:
    return [r.event for r in rows(channel, recipient_id=user.id)]


def _days(first: int, last: int) -> dict[str, str]:
    today = local_today()
    return {
        "starts_on": (today + dt.timedelta(days=first)).isoformat(),
        "ends_on": (today + dt.timedelta(days=last)).isoformat(),
    }


def _away(user, first: int = 0, last: int = 5) -> None:
    today = local_today()
    plan_absence(
        user, today + dt.timedelta(days=first), today + dt.timedelta(days=last), actor=user
    )


def _stored(user) -> Absence | None:
    db.session.expire_all()
    return db.session.get(Absence, user.id)


def test_planning_and_ending_an_absence(team, login):
    _queue, away, _present, _requester = team
    client = login(away)
    page = client.get(URL).text
    assert "Aucune absence prévue : desk compte sur vous." in page
    assert 'href="/preferences/absence"' in client.get("/home").text  # in the user menu

    response = client.submit(URL, _days(2, 9), page=URL)
    assert response.status_code == 302
    page = client.get(URL).text
    assert "Votre absence est enregistrée." in page
    assert "Vous serez absent du " in page and " inclus." in page
    assert "Annuler cette absence" in page
    assert _stored(away).ends_on == local_today() + dt.timedelta(days=9)

    # Changed on the day it starts, as "since this morning".
    assert client.submit(URL, _days(0, 3), page=URL).status_code == 302
    assert "Vous êtes absent jusqu’au " in client.get(URL).text

    response = client.submit(f"{URL}/fin", {}, page=URL)
    assert response.status_code == 302
    assert "Bon retour : desk compte de nouveau sur vous." in client.get(URL).text
    assert _stored(away) is None


def test_calling_off_an_absence_not_begun_is_not_a_return(team, login):
    _queue, away, _present, _requester = team
    client = login(away)
    assert client.submit(URL, _days(15, 18), page=URL).status_code == 302
    assert client.submit(f"{URL}/fin", {}, page=URL).status_code == 302
    page = client.get(URL).text
    assert "Votre absence est annulée." in page and "Bon retour" not in page
    assert _stored(away) is None
    # An administrator calling off someone's planned absence is told the same way.
    _away(away, 3, 4)
    admin = login(make_user(role=Role.ADMIN))
    page_url = f"/admin/accounts/{away.id}/absence"
    assert admin.submit(f"{page_url}/fin", {}, page=page_url).status_code == 302
    assert "L’absence de Karim Benali est annulée." in admin.get(page_url).text


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"starts_on": "", "ends_on": ""}, "starts_on", "Indiquez votre premier jour d’absence."),
        ({"starts_on": "", "ends_on": ""}, "ends_on", "Indiquez votre dernier jour d’absence."),
        ({"starts_on": "31/02/2026", "ends_on": "2026-13-01"}, "starts_on", "Saisissez une date"),
        ({"starts_on": "demain", "ends_on": "9" * 40}, "ends_on", "Saisissez une date"),
        ((5, 2), "ends_on", "Le dernier jour doit être le premier jour ou après."),
        ((-9, -2), "ends_on", "Le dernier jour ne peut pas être dans le passé."),
        ((0, 400), "ends_on", "Une absence dure au plus un an"),
        ((-400, 2), "starts_on", "Le premier jour ne peut pas remonter à plus d’un an."),
    ],
)
def test_bad_days_are_refused_next_to_their_field(team, login, data, field, message):
    _queue, away, _present, _requester = team
    client = login(away)
    response = client.submit(URL, _days(*data) if isinstance(data, tuple) else data, page=URL)
    assert response.status_code == 400
    errors = field_errors(response.text, field)
    assert errors and message in errors[0], errors
    assert _stored(away) is None


def test_who_may_not(team, login, client):
    _queue, away, _present, requester = team
    assert client.get(URL).status_code == 302  # to the login page
    own = login(requester)
    assert own.get(URL).status_code == 403
    assert own.submit(URL, _days(0, 2), page="/home").status_code == 403
    tech = login(away)
    tech.get(URL)
    assert tech.post(URL, data=_days(0, 2)).status_code == 400  # no CSRF token
    assert tech.post(f"{URL}/fin", data={}).status_code == 400
    assert _stored(away) is None and _stored(requester) is None


def test_giving_the_tickets_back_when_leaving(team, login):
    queue, away, present, requester = team
    held = make_ticket(queue=queue, requester=requester, status="assigned", assignee=away)
    started = make_ticket(queue=queue, requester=requester, status="in_progress", assignee=away)
    client = login(away)
    assert "Vous vous occupez de 2 tickets ouverts" in client.get(URL).text
    response = client.submit(URL, {**_days(1, 4), "give_back": "y"}, page=URL)
    assert response.status_code == 302
    assert "Vos 2 tickets ouverts sont de retour dans leurs files" in client.get(URL).text
    db.session.expire_all()
    first, second = (db.session.get(Ticket, t.id) for t in (held, started))
    assert (first.assignee_id, first.status) == (None, Status.NEW)
    assert (second.assignee_id, second.status) == (None, Status.IN_PROGRESS)
    # The colleague hears of both in ONE e-mail listing them, with a link to each (in their
    # language, French), and keeps a bell entry per ticket.
    assert _events(present, Channel.INAPP) == [E.RETURNED, E.RETURNED]
    (mail,) = rows(Channel.EMAIL, recipient_id=present.id)
    assert (mail.event, mail.ticket_id) == (E.RETURNED, None)
    assert mail.payload["alert"] == "back_in_queue"
    subject, text, html = render_email(mail.payload, mail.id)
    assert subject.endswith(" 2 tickets") and text.startswith("Bonjour ")
    for ticket in (held, started):
        assert f"- {ticket.reference} — " in text
        assert f'/tickets/{ticket.reference}">{ticket.reference}</a>' in html
    assert "Karim Benali" in text
    staff_page = login(present).get(f"/tickets/{held.reference}").text
    assert "De retour dans la file, sans technicien : Karim Benali est absent." in staff_page


def test_while_away_no_mail_about_the_queues_but_the_bell(team):
    queue, away, present, requester = team
    _away(away)
    submit(requester, queue=queue)
    assert _events(away, Channel.INAPP) == [E.NEW_TICKET]
    assert _events(away, Channel.EMAIL) == []
    assert _events(present, Channel.EMAIL) == [E.NEW_TICKET]


def test_an_absence_to_come_changes_nothing_yet(team):
    queue, away, _present, requester = team
    _away(away, first=1, last=3)
    submit(requester, queue=queue)
    assert _events(away, Channel.EMAIL) == [E.NEW_TICKET]


def test_a_message_on_a_held_ticket_reaches_the_present_colleagues(team):
    queue, away, present, requester = team
    ticket = submit(requester, queue=queue)
    ticket.assignee, ticket.status = away, Status.ASSIGNED
    db.session.commit()
    _away(away)
    add_requester_comment(ticket, requester, "Toujours en panne")
    assert E.COMMENTED in _events(away, Channel.INAPP)
    assert E.COMMENTED not in _events(away, Channel.EMAIL)
    assert E.COMMENTED in _events(present, Channel.INAPP)
    assert E.COMMENTED in _events(present, Channel.EMAIL)
    # Back: the messages are theirs again.
    db.session.delete(db.session.get(Absence, away.id))
    db.session.commit()
    add_requester_comment(ticket, requester, "Et maintenant ?")
    assert _events(present, Channel.EMAIL).count(E.COMMENTED) == 1
    assert _events(away, Channel.EMAIL).count(E.COMMENTED) == 1


def test_the_ticket_page_names_who_is_away(team, login):
    queue, away, present, requester = team
    ticket = make_ticket(queue=queue, requester=requester, status="assigned", assignee=away)
    _away(away, last=0)
    page = login(present).get(f"/tickets/{ticket.reference}").text
    today = local_today().day
    day = "1er " if today == 1 else f"{today} "  # French: « jusqu’au 1er mai »
    assert "data-away>absent jusqu’au " + day in page
    assert "Karim Benali (absent jusqu’au " + day in page  # in the "assign to" list
    assert ">Sophie Durand</option>" in page


def test_the_admins_are_warned_of_a_queue_whose_members_are_all_away(team, login, app, monkeypatch):
    queue, away, present, requester = team
    make_ticket(queue=queue, requester=requester)
    admin = login(make_user("admin@umontpellier.fr", role=Role.ADMIN))
    assert "Files que personne ne traite" not in admin.get("/admin").text
    _away(away)
    _away(present)
    page = admin.get("/admin").text
    assert "Files que personne ne traite" in page and "ses 2 membres sont tous absents" in page
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-token-for-tests")
    auth = {"Authorization": "Bearer s3cret-token-for-tests"}
    metrics = app.test_client().get("/metrics", headers=auth).text
    assert 'desk_queue_present_members{queue="reseau"} 0.0' in metrics
    assert 'desk_queue_active_members{queue="reseau"} 2.0' in metrics


def test_the_members_page_warns_by_the_same_rule(team, login):
    queue, away, present, requester = team
    make_ticket(queue=queue, requester=requester)
    make_ticket(queue=queue, requester=requester, status="closed")
    admin = login(make_user("admin@umontpellier.fr", role=Role.ADMIN))
    members = f"/admin/queues/{queue.id}/members"
    _away(away)
    assert "data-unattended" not in admin.get(members).text  # Sophie is here
    _away(present)
    page = admin.get(members).text
    assert "data-unattended" in page
    assert "Tous les membres de cette file sont absents aujourd’hui : son ticket ouvert" in page
    assert "Aucun technicien actif" not in page
    # another queue's warning is not this one's
    other = make_queue(code="vide")
    assert "data-unattended" not in admin.get(f"/admin/queues/{other.id}/members").text


def test_one_absence_per_person(team):
    _queue, away, _present, _requester = team
    _away(away, 0, 2)
    _away(away, 3, 8)
    assert len(db.session.scalars(select(Absence)).all()) == 1
    assert _stored(away).starts_on == local_today() + dt.timedelta(days=3)


def test_no_digest_while_away_and_none_of_the_absence_after(team, app):
    from desk.notifications import digest
    from desk.notifications.models import NewTicketMode
    from desk.notifications.services import set_new_ticket_mode

    queue, away, _present, requester = team
    set_new_ticket_mode(away, NewTicketMode.DIGEST, actor=away)
    db.session.commit()
    # Away until tomorrow: `later` below is a digest period ahead, past midnight in Paris
    # when the test runs late in the evening, and an absence of today alone had ended there.
    _away(away, last=1)
    submit(requester, queue=queue, subject="Pendant l’absence")
    step = dt.timedelta(minutes=app.config["NOTIFY_DIGEST_MINUTES"] + 2)
    later = dt.datetime.now(dt.UTC) + step
    assert digest.send_digests(now=later) == 0
    assert _events(away, Channel.INAPP) == [E.NEW_TICKET]  # the bell kept it
    # Back: the next digest lists what came after, not the whole absence.
    db.session.delete(db.session.get(Absence, away.id))
    db.session.commit()
    back = submit(requester, queue=queue, subject="Après le retour")
    back.created_at = later + dt.timedelta(seconds=1)
    db.session.commit()
    assert digest.send_digests(now=later + 2 * step) == 1
    (row,) = [r for r in rows(Channel.EMAIL, recipient_id=away.id) if r.payload.get("digest")]
    assert [t["reference"] for t in row.payload["tickets"]] == [back.reference]


def test_a_deadline_warning_reaches_the_present_colleagues_of_an_absent_holder(team):
    from desk.sla.models import SlaEventKind
    from desk.sla.signals import sla_warning

    queue, away, present, requester = team
    ticket = submit(requester, queue=queue)
    ticket.assignee, ticket.status = away, Status.ASSIGNED
    db.session.commit()
    due = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    sla_warning.send(ticket, kind=SlaEventKind.RESOLUTION_WARNING, due_at=due)
    db.session.commit()
    assert E.SLA_WARNING not in _events(present, Channel.INAPP)  # the holder is there
    _away(away)
    sla_warning.send(ticket, kind=SlaEventKind.RESOLUTION_WARNING, due_at=due + dt.timedelta(1))
    db.session.commit()
    assert E.SLA_WARNING in _events(present, Channel.EMAIL)
    assert _events(away, Channel.EMAIL).count(E.SLA_WARNING) == 1  # only the one before


def test_an_administrator_records_someone_s_absence(team, login):
    queue, away, present, requester = team
    held = make_ticket(queue=queue, requester=requester, status="assigned", assignee=away)
    admin = login(make_user("admin@umontpellier.fr", role=Role.ADMIN, name="Admin Desk"))
    assert "Absence de Karim Benali" in admin.get(f"/admin/accounts/{away.id}").text
    url = f"/admin/accounts/{away.id}/absence"
    page = admin.get(url).text
    assert "Remettre dès maintenant dans leurs files les tickets ouverts dont Karim Benali" in page
    assert admin.submit(url, {**_days(5, 1), "give_back": "y"}, page=url).status_code == 400
    response = admin.submit(url, {**_days(0, 2), "give_back": "y"}, page=url)
    assert response.status_code == 302 and response.location.endswith(url)
    page = admin.get(url).text
    assert "L’absence de Karim Benali est enregistrée." in page
    assert "Karim Benali est absent jusqu’au " in page
    db.session.expire_all()
    assert db.session.get(Ticket, held.id).assignee_id is None
    assert _events(present, Channel.EMAIL) == [E.RETURNED]
    # He sees it on his own page too, and the admin ends it.
    assert "Vous êtes absent jusqu’au " in login(away).get(URL).text
    assert admin.submit(f"{url}/fin", {}, page=url).status_code == 302
    assert "desk compte de nouveau sur Karim Benali." in admin.get(url).text
    assert _stored(away) is None


def test_only_administrators_and_only_for_staff(team, login):
    _queue, away, present, requester = team
    tech = login(present)
    assert tech.get(f"/admin/accounts/{away.id}/absence").status_code == 403
    assert (
        tech.submit(f"/admin/accounts/{away.id}/absence", _days(0, 1), page=URL).status_code == 403
    )
    admin = login(make_user("admin@umontpellier.fr", role=Role.ADMIN))
    assert admin.get(f"/admin/accounts/{requester.id}/absence").status_code == 404
    assert admin.get("/admin/accounts/999999/absence").status_code == 404
    assert admin.get(f"/admin/accounts/{'9' * 30}/absence").status_code == 404
    assert _stored(away) is None


def test_two_requests_at_once_record_one_absence(team, app):
    """A double click: both requests read "no absence" before either inserts; the second
    meets the first one's row at its commit and updates it instead of failing."""
    import threading

    from desk.auth.models import User

    _queue, away, _present, _requester = team
    user_id, today = away.id, local_today()
    both_read = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def plan(days: int) -> None:
        with app.app_context():
            session = db.session()  # this thread's own session
            person = session.get(User, user_id)
            real_get, first = session.get, [True]

            def get(model, key, **kw):
                found = real_get(model, key, **kw)
                if model is Absence and first[0]:
                    first[0] = False
                    both_read.wait()
                return found

            session.get = get
            try:
                plan_absence(person, today, today + dt.timedelta(days=days), actor=person)
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=plan, args=(n,)) for n in (2, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(db.session.scalars(select(Absence)).all()) == 1


def test_the_queue_list_marks_the_tickets_of_someone_away(team, login):
    queue, away, present, requester = team
    held = make_ticket(queue=queue, requester=requester, status="assigned", assignee=away)
    other = make_ticket(queue=queue, requester=requester, status="assigned", assignee=present)
    client = login(present)
    assert '<span class="badge">absent</span>' not in client.get("/queues/reseau").text
    _away(away)
    page = client.get("/queues/reseau").text
    row = page[page.index(f'<tr data-ref="{held.reference}">') :]
    assert row[: row.index("</tr>")].count('Karim Benali <span class="badge">absent</span>') == 1
    row = page[page.index(f'<tr data-ref="{other.reference}">') :]
    assert "absent" not in row[: row.index("</tr>")]
    assert f'value="{away.id}">Karim Benali (absent)</option>' in page  # filter and bulk lists
    english = login(
        make_user("lead@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,), locale="en")
    )
    assert 'Karim Benali <span class="badge">away</span>' in english.get("/queues/reseau").text
