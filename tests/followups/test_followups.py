"""Reminders on tickets ("Me le rappeler"): set from the staff ticket page in Paris time, bad
times refused next to their field with nothing saved, listed on "Mes rappels", dropped by
their owner only, and sent once by the sweep when due (the bell only while away; nothing to
someone who no longer works the ticket)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from desk.absences.services import plan_absence
from desk.catalog.forms.fields import display_tz, local_today
from desk.core.db import utcnow
from desk.extensions import db
from desk.followups import services
from desk.followups.models import FollowUp
from desk.notifications.content import render_email
from desk.notifications.models import Channel, Notification, NotificationEvent
from tests.catalog.world import field_errors
from tests.notifications.conftest import smtp  # noqa: F401 - the real SMTP server fixture
from tests.support.factories import make_ticket
from tests.support.sql import statements_sent

E = NotificationEvent


def _local(delta: dt.timedelta) -> str:
    """A time `delta` from now as a browser's date-time field sends it (Paris time)."""
    return (dt.datetime.now(display_tz()) + delta).strftime("%Y-%m-%dT%H:%M")


def _remind(client, ticket, due_at: str, note: str = ""):
    page = client.get(f"/tickets/{ticket.reference}").text
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    data = {"version": version, "csrf_token": client.last_csrf, "due_at": due_at, "note": note}
    return client.post(f"/tickets/{ticket.reference}/reminder", data=data)


def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(FollowUp))


def _sent(channel: Channel) -> list[Notification]:
    db.session.expire_all()
    query = select(Notification).where(
        Notification.event == E.FOLLOW_UP, Notification.channel == channel
    )
    return list(db.session.scalars(query))


def test_set_listed_and_cancelled_by_its_owner(desk, login):
    client = login(desk.tech)
    when = _local(dt.timedelta(days=2))
    response = _remind(client, desk.ticket, when, note="Rappeler le <b>fournisseur</b>")
    assert response.status_code == 302
    page = client.get(response.location).text
    assert "desk vous rappellera ce ticket au moment dit." in page
    assert "Rappeler le &lt;b&gt;fournisseur&lt;/b&gt;" in page
    (followup,) = db.session.scalars(select(FollowUp)).all()
    assert followup.due_at.astimezone(display_tz()).strftime("%Y-%m-%dT%H:%M") == when
    assert followup.user_id == desk.tech.id

    mine = client.get("/rappels").text
    assert "1 rappel à venir" in mine and desk.ticket.reference in mine
    # Nobody else sees or drops it: not the colleague of the queue, nor another technician.
    mate = login(desk.mate)
    assert "Rappeler le" not in mate.get(f"/tickets/{desk.ticket.reference}").text
    assert "Aucun rappel à venir." in mate.get("/rappels").text
    url = f"/rappels/{followup.id}/suppression"
    assert mate.submit(url, {}, page="/rappels").status_code == 404
    assert _count() == 1

    response = client.submit(url, {}, page="/rappels")
    assert response.status_code == 302
    assert "Le rappel est annulé." in client.get(response.location).text
    assert _count() == 0
    assert client.submit(url, {}, page="/rappels").status_code == 404  # gone


@pytest.mark.parametrize(
    ("due_at", "note", "field", "message"),
    [
        ("", "", "followup-due", "Choisissez le jour et l’heure du rappel."),
        ("demain 9h", "", "followup-due", "Saisissez une date et une heure"),
        ("2026-02-30T09:00", "", "followup-due", "Saisissez une date et une heure"),
        ("9999-12-31T23:59", "", "followup-due", "Choisissez un moment dans l’année qui vient."),
        ("0001-01-01T00:00", "", "followup-due", "Choisissez un moment dans l’année qui vient."),
        ("past", "", "followup-due", "Choisissez un moment à venir."),
        ("far", "", "followup-due", "Choisissez un moment dans l’année qui vient."),
        ("soon", "x" * 201, "followup-note", "Le texte doit faire moins de 200 caractères."),
    ],
)
def test_bad_times_are_refused_next_to_their_field(desk, login, due_at, note, field, message):
    due_at = {
        "past": _local(-dt.timedelta(minutes=5)),
        "far": _local(dt.timedelta(days=380)),
        "soon": _local(dt.timedelta(hours=1)),
    }.get(due_at, due_at)
    response = _remind(login(desk.tech), desk.ticket, due_at, note)
    assert response.status_code == 400
    errors = field_errors(response.text, field)
    assert errors and message in errors[0], (errors, response.text[-600:])
    assert _count() == 0


def test_five_at_most_per_ticket(desk, login):
    client = login(desk.tech)
    for hours in range(1, 6):
        assert _remind(client, desk.ticket, _local(dt.timedelta(hours=hours))).status_code == 302
    response = _remind(client, desk.ticket, _local(dt.timedelta(hours=9)))
    assert response.status_code == 400
    assert "Vous avez déjà 5 rappels sur ce ticket." in field_errors(response.text, "followup-due")
    assert _count() == 5


def test_who_may_not(desk, login, client):
    url = f"/tickets/{desk.ticket.reference}/reminder"
    data = {"version": "1", "due_at": _local(dt.timedelta(days=1))}
    assert client.post(url, data=data).status_code in (302, 400)
    requester = login(desk.requester)
    assert requester.submit(url, data, page="/mes-demandes").status_code == 403
    assert requester.get("/rappels").status_code == 403
    other = login(desk.mail_tech)
    assert other.submit(url, data, page="/queues").status_code == 404
    tech = login(desk.tech)
    tech.get("/queues")
    assert tech.post(url, data=data).status_code == 400  # no CSRF token
    assert _count() == 0


def _due(desk, owner, note: str = "Vérifier la prise") -> FollowUp:
    followup = FollowUp(
        ticket_id=desk.ticket.id,
        user_id=owner.id,
        due_at=utcnow() - dt.timedelta(minutes=1),
        note=note,
    )
    db.session.add(followup)
    db.session.commit()
    return followup


def test_the_sweep_sends_a_due_reminder_once(desk, app):
    followup = _due(desk, desk.tech, note="Vérifier la prise <B12>")
    later = FollowUp(
        ticket_id=desk.ticket.id,
        user_id=desk.tech.id,
        due_at=utcnow() + dt.timedelta(hours=1),
    )
    db.session.add(later)
    db.session.commit()
    assert services.send_due() == 1
    assert services.send_due() == 0  # a second run (another beat tick) sends nothing more
    (mail,) = _sent(Channel.EMAIL)
    assert len(_sent(Channel.INAPP)) == 1
    assert mail.recipient_id == desk.tech.id
    subject, text, html = render_email(mail.payload, mail.id)
    assert subject.startswith(f"[{desk.ticket.reference}] Votre rappel")
    assert "Vous avez demandé qu’on vous rappelle ce ticket le " in text
    assert "Vérifier la prise <B12>" in text and "&lt;B12&gt;" in html
    assert f"/tickets/{desk.ticket.reference}" in text
    db.session.expire_all()
    assert db.session.get(FollowUp, followup.id).sent_at is not None
    assert db.session.get(FollowUp, later.id).sent_at is None


def test_a_reminder_on_one_s_own_ticket_in_one_s_own_queue_is_sent(desk):
    # A technician who filed a request in their own queue (their own PC) and set a reminder
    # on it: staff news reaches them as staff (desk.notifications.services._as_staff), and
    # the sweep, which says so itself, named their capacity twice and stopped on it, the
    # other reminders of the batch with it.
    own = make_ticket(queue=desk.network, requester=desk.tech, subject="Mon PC")
    db.session.add(
        FollowUp(ticket_id=own.id, user_id=desk.tech.id, due_at=utcnow() - dt.timedelta(minutes=1))
    )
    _due(desk, desk.mate)
    assert services.send_due() == 2
    mails = {n.ticket_id: n for n in _sent(Channel.EMAIL)}
    assert mails[own.id].recipient_id == desk.tech.id
    assert mails[own.id].payload["url"].endswith(f"/tickets/{own.reference}")
    assert mails[desk.ticket.id].recipient_id == desk.mate.id


def test_away_the_bell_only_and_gone_nothing(desk):
    today = local_today()
    plan_absence(desk.tech, today, today, actor=desk.tech)
    _due(desk, desk.tech)
    _due(desk, desk.mail_tech)  # does not work this ticket's queue (any more)
    assert services.send_due() == 1
    assert [n.recipient_id for n in _sent(Channel.INAPP)] == [desk.tech.id]
    assert _sent(Channel.EMAIL) == []
    assert services.send_due() == 0  # the dropped one is not tried again


def test_the_sweep_is_a_periodic_job(app):
    from worker.schedule import PERIODIC_JOBS

    assert ("follow-ups", "desk.followups.send_due", 60.0) in PERIODIC_JOBS
    assert "desk.followups.send_due" in app.extensions["celery"].tasks


@pytest.mark.worker
def test_a_real_worker_sends_it_to_a_real_smtp_server(desk, smtp, test_env):  # noqa: F811
    import time

    from desk.followups.tasks import send_due
    from tests.notifications.helpers import wait_for
    from tests.support.worker import WorkerProcess

    _due(desk, desk.tech, note="Appeler le fournisseur")
    worker = WorkerProcess(
        {**test_env, "DESK_MAIL_HOST": "127.0.0.1", "DESK_MAIL_PORT": str(smtp.port)}
    ).start()
    try:
        send_due.delay()
        send_due.delay()  # a second tick at once: still one message
        wait_for(lambda: len(smtp.to(desk.tech.email)) >= 1, what="the reminder")
        time.sleep(0.5)  # a duplicate would arrive now
        (mail,) = smtp.to(desk.tech.email)
        assert mail["Subject"].startswith(f"[{desk.ticket.reference}] Votre rappel")
        assert "Appeler le fournisseur" in mail.get_body(preferencelist=("plain",)).get_content()
    finally:
        worker.stop()


def test_metrics_show_a_late_reminder(desk, app, client, monkeypatch):
    """An operator alerts when reminders stop leaving (beat or every worker down)."""
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-token-for-tests")
    auth = {"Authorization": "Bearer s3cret-token-for-tests"}
    line = re.compile(r"^desk_followups_oldest_due_age_seconds (\S+)$", re.M)
    assert float(line.search(client.get("/metrics", headers=auth).text).group(1)) == 0
    followup = _due(desk, desk.tech)
    followup.due_at = utcnow() - dt.timedelta(minutes=7)
    db.session.commit()
    late = float(line.search(client.get("/metrics", headers=auth).text).group(1))
    assert 420 <= late < 480
    services.send_due()
    assert float(line.search(client.get("/metrics", headers=auth).text).group(1)) == 0


@pytest.mark.parametrize("raw", ["9" * 30, "2147483648", "0"])
def test_a_huge_or_unknown_reminder_number_is_not_found(desk, login, raw):
    client = login(desk.tech)
    assert client.submit(f"/rappels/{raw}/suppression", {}, page="/rappels").status_code == 404


def test_the_same_form_sent_twice_sets_one_reminder(desk, login):
    client = login(desk.tech)
    when = _local(dt.timedelta(days=1))
    assert _remind(client, desk.ticket, when, note="Câbleur").status_code == 302
    assert _remind(client, desk.ticket, when, note="Câbleur").status_code == 302
    assert _count() == 1
    assert _remind(client, desk.ticket, when, note="Autre chose").status_code == 302
    assert _count() == 2


def _transfer(client, ticket, queue, reason: str = "Pour la messagerie"):
    page = client.get(f"/tickets/{ticket.reference}").text
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    data = {
        "version": version,
        "csrf_token": client.last_csrf,
        "queue": str(queue.id),
        "reason": reason,
    }
    return client.post(f"/tickets/{ticket.reference}/transfer", data=data)


def test_a_ticket_transferred_out_of_one_s_queues_leaves_the_list(desk, login):
    """Its link would answer 404: the list reads the one access rule. The reminder is kept,
    so that it comes back with the ticket; when due, the sweep drops it if the ticket is still
    out of their queues."""
    client = login(desk.tech)
    when = _local(dt.timedelta(days=1))
    assert _remind(client, desk.ticket, when, "Fournisseur").status_code == 302
    admin = login(desk.admin)
    assert _remind(admin, desk.ticket, when, "Suivi admin").status_code == 302
    assert desk.ticket.reference in client.get("/rappels").text

    assert _transfer(client, desk.ticket, desk.mail).status_code == 302
    assert client.get(f"/tickets/{desk.ticket.reference}").status_code == 404
    mine = client.get("/rappels").text
    assert "Aucun rappel à venir." in mine
    assert desk.ticket.reference not in mine and "Fournisseur" not in mine
    # An admin works every queue: theirs stays listed.
    theirs = admin.get("/rappels").text
    assert "1 rappel à venir" in theirs and "Suivi admin" in theirs
    assert _count() == 2

    # Back in the queue (a transfer by mistake), the reminder is listed again.
    assert _transfer(login(desk.mail_tech), desk.ticket, desk.network).status_code == 302
    mine = client.get("/rappels").text
    assert "1 rappel à venir" in mine and desk.ticket.reference in mine


def test_a_ticket_of_a_queue_one_left_leaves_the_list(desk, login):
    from desk.admin.services import remove_member

    client = login(desk.tech)
    assert _remind(client, desk.ticket, _local(dt.timedelta(days=1))).status_code == 302
    (membership,) = desk.tech.memberships
    remove_member(membership, actor=desk.admin)
    assert "Aucun rappel à venir." in client.get("/rappels").text


def test_the_list_costs_the_same_statements_whatever_its_length(desk, app, login):
    """One statement reads the reminders, their tickets and the rule (no N+1)."""
    client = login(desk.tech)

    def add(hours: int) -> None:  # each on its own ticket, of its own request type
        ticket = make_ticket(queue=desk.network, requester=desk.requester)
        due_at = utcnow() + dt.timedelta(hours=hours)
        db.session.add(FollowUp(ticket_id=ticket.id, user_id=desk.tech.id, due_at=due_at))
        db.session.commit()

    def statements() -> list[str]:
        with app.app_context():
            engine = db.engine
        with statements_sent(engine) as seen:
            assert client.get("/rappels").status_code == 200
        return seen

    add(1)
    one = statements()
    for hours in range(2, 8):
        add(hours)
    seven = statements()
    for seen in (one, seven):
        assert len([s for s in seen if "follow_up" in s]) == 1
        assert not [s for s in seen if "FROM ticket" in s or "FROM request_type" in s]
    assert "7 rappels à venir" in client.get("/rappels").text
