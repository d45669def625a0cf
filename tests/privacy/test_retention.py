"""Retention of personal data: a finished ticket's content is erased a retention period after
its last change, a deactivated account is anonymised a period after it ended; what counts
(reference, type, queue, dates, statuses, score) stays; nothing else is touched; the erased
ticket can no longer be worked; `flask desk erase-expired` and /metrics tell how much is due."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from sqlalchemy import func, select, update

from desk.auth.models import User
from desk.core.db import utcnow
from desk.extensions import db
from desk.followups.models import FollowUp
from desk.identity.models import DirectoryLink
from desk.notifications.models import DeliveryStatus, Notification
from desk.privacy import sweep
from desk.satisfaction.models import Rating
from desk.tickets.history import apply_status
from desk.tickets.models import Attachment, EventKind, Status, Ticket, TicketEvent
from desk.tickets.workflow import Actor
from desk.watchers.models import TicketWatcher
from tests.core.test_metrics import metrics_access  # noqa: F401 - the fixture
from tests.support.factories import make_ticket, make_user

LONG_AGO = dt.timedelta(days=1096)  # past the default 1,095 days


def _version(page: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)


def _post_on_ticket(client, ticket, action: str, data: dict):
    page = client.get(f"/tickets/{ticket.reference}").text
    payload = {"version": _version(page), "csrf_token": client.last_csrf, **data}
    return client.post(
        f"/tickets/{ticket.reference}/{action}", data=payload, content_type="multipart/form-data"
    )


def _age(ticket: Ticket, delta: dt.timedelta) -> None:
    db.session.execute(
        update(Ticket).where(Ticket.id == ticket.id).values(updated_at=utcnow() - delta)
    )
    db.session.commit()


@pytest.fixture
def lived(desk, login):
    """The network ticket after a real life: the requester's message and file, a reply, an
    internal note with its file, someone in copy, a reminder, e-mails sent, resolved and
    rated with a comment, then closed; all of it three years ago."""
    claire = login(desk.requester)
    ref = desk.ticket.reference
    response = claire.submit(
        f"/mes-demandes/{ref}/commentaire",
        {
            "body": "Mon bureau 214, poste PC-LAB-42",
            "attachment": (io.BytesIO(b"%PDF-1.4 x"), "a.pdf"),
        },
        page=f"/mes-demandes/{ref}",
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    tech = login(desk.tech)
    assert (
        _post_on_ticket(tech, desk.ticket, "reply", {"body": "Prise murale changée"}).status_code
        == 302
    )
    note = {"body": "Mot de passe admin du switch", "attachment": (io.BytesIO(b"secret"), "n.txt")}
    assert _post_on_ticket(tech, desk.ticket, "note", note).status_code == 302
    friend = make_user("ami@umontpellier.fr", name="Paul Ami")
    db.session.add(TicketWatcher(ticket_id=desk.ticket.id, user_id=friend.id))
    db.session.add(
        FollowUp(ticket_id=desk.ticket.id, user_id=desk.tech.id, due_at=utcnow(), note="x")
    )
    ticket = db.session.get(Ticket, desk.ticket.id)
    apply_status(ticket, Status.IN_PROGRESS, desk.tech, Actor.STAFF)
    apply_status(ticket, Status.RESOLVED, desk.tech, Actor.STAFF)
    db.session.add(
        Rating(ticket_id=ticket.id, user_id=desk.requester.id, score=4, comment="Merci Karim")
    )
    apply_status(ticket, Status.CLOSED, None, Actor.SYSTEM)
    db.session.commit()  # the outbox rows are written with it
    db.session.execute(
        update(Notification)
        .where(Notification.ticket_id == ticket.id)
        .values(status=DeliveryStatus.SENT, sent_at=utcnow())
    )
    db.session.commit()
    _age(ticket, LONG_AGO)
    return ticket


def _events(ticket: Ticket) -> list[TicketEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)))


def _count(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def test_a_finished_ticket_is_erased_after_its_retention_and_only_it(app, desk, lived, login):
    recent = make_ticket(
        queue=desk.network, requester=desk.requester, subject="Écran noir", status="closed"
    )
    still_open = make_ticket(queue=desk.network, requester=desk.requester, subject="Imprimante HS")
    _age(still_open, LONG_AGO)  # open for three years: never erased while open
    before = {e.id: e.kind for e in _events(lived)}
    assert {EventKind.REPLY, EventKind.COMMENT, EventKind.NOTE} <= set(before.values())
    updated_at = db.session.get(Ticket, lived.id).updated_at
    runner = app.test_cli_runner()

    result = runner.invoke(args=["desk", "erase-expired", "--dry-run"])
    assert result.output.strip() == "due: 1 tickets, 0 accounts"
    assert db.session.get(Ticket, lived.id).erased_at is None  # a dry run erases nothing

    result = runner.invoke(args=["desk", "erase-expired"])
    assert (
        result.exit_code == 0
        and result.output.splitlines()[-1] == "erased: 1 tickets, 0 accounts, 0 other records"
    )
    db.session.expire_all()
    ticket = db.session.get(Ticket, lived.id)
    assert ticket.erased_at is not None
    assert ticket.subject == ticket.request_type.title_fr and ticket.data == {}
    # What counts stays: reference, status, dates, the score; its last change is not moved.
    assert ticket.status is Status.CLOSED and ticket.closed_at and ticket.resolved_at
    assert ticket.updated_at == updated_at
    rating = db.session.scalar(select(Rating).where(Rating.ticket_id == ticket.id))
    assert (rating.score, rating.comment) == (4, "")
    left = _events(ticket)
    assert {e.kind for e in left} <= {EventKind.CREATED, EventKind.CHANGE, EventKind.SYSTEM}
    assert all(e.body == "" for e in left)
    assert {e.field for e in left if e.kind is EventKind.CHANGE} == {"status"}
    assert all(e.actor_id != desk.requester.id for e in left)
    assert any(e.actor_id == desk.tech.id for e in left)  # who handled it stays
    assert _count(Attachment, ticket_id=ticket.id) == 0
    assert _count(TicketWatcher, ticket_id=ticket.id) == 0
    assert _count(FollowUp, ticket_id=ticket.id) == 0
    assert _count(Notification, ticket_id=ticket.id) == 0
    # The others are as they were.
    for kept in (recent, still_open):
        row = db.session.get(Ticket, kept.id)
        assert row.erased_at is None and row.subject in {"Écran noir", "Imprimante HS"}
    # Nothing is left to find by what was written.
    tech = login(desk.tech)
    found = tech.get("/recherche", query_string={"q": "PC-LAB-42"}).text
    assert ticket.reference not in found
    # A second run has nothing to do.
    assert (
        runner.invoke(args=["desk", "erase-expired"]).output.strip()
        == "erased: 0 tickets, 0 accounts, 0 other records"
    )


def test_the_erased_ticket_says_so_and_can_no_longer_be_worked(desk, lived, login):
    tech = login(desk.tech)
    # A closed ticket still takes internal notes: not once erased.
    forms = [f'action="/tickets/{lived.reference}/note"']
    assert all(f in tech.get(f"/tickets/{lived.reference}").text for f in forms)
    sweep.erase_expired()
    page = tech.get(f"/tickets/{lived.reference}").text
    assert "data-erased" in page and "a été effacé le" in page
    assert "Prise murale" not in page and "Mot de passe" not in page and "PC-LAB-42" not in page
    assert not any(f in page for f in forms)
    response = tech.post(
        f"/tickets/{lived.reference}/note",
        data={"version": "99", "csrf_token": tech.last_csrf, "body": "Encore un mot"},
    )
    assert response.status_code == 409 and "Ce ticket a été effacé." in response.text
    assert not any(e.body == "Encore un mot" for e in _events(lived))
    claire = login(desk.requester)
    mine = claire.get(f"/mes-demandes/{lived.reference}")
    assert mine.status_code == 200 and "data-erased" in mine.text
    assert "Merci Karim" not in mine.text and "Noter" not in mine.text
    english = login(make_user("en@umontpellier.fr", locale="en"))
    assert english.get("/donnees-personnelles").status_code == 200


def test_a_deactivated_account_is_anonymised_a_retention_later(app, desk, login):
    leaver = make_user("leo.petit@etu.umontpellier.fr", name="Léo Petit")
    leaver.phone = "+33467141234"
    db.session.add(DirectoryLink(user_id=leaver.id, login="lpetit", dn="uid=lpetit,ou=people"))
    db.session.commit()
    old = make_ticket(queue=desk.network, requester=leaver, subject="Wi-Fi", status="closed")
    admin = login(desk.admin)
    response = admin.submit(
        f"/admin/accounts/{leaver.id}/deactivate", {}, page=f"/admin/accounts/{leaver.id}"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, leaver.id).deactivated_at is not None
    assert sweep.erase_expired().accounts == 0  # ended today: kept for its period

    db.session.execute(
        update(User)
        .where(User.id == leaver.id)
        .values(deactivated_at=utcnow() - dt.timedelta(days=366))
    )
    db.session.commit()
    assert sweep.overdue()["account"] == 1
    assert sweep.erase_expired().accounts == 1
    db.session.expire_all()
    user = db.session.get(User, leaver.id)
    assert user.display_name == "—" and user.email == f"erased-{leaver.id}@desk.invalid"
    assert user.phone is None and user.password_hash == "" and user.erased_at is not None
    assert db.session.get(DirectoryLink, leaver.id) is None
    assert db.session.get(Ticket, old.id).requester_id == leaver.id  # still counted, tied to nobody
    # The admin page says so; the account cannot be brought back.
    page = admin.get(f"/admin/accounts/{leaver.id}").text
    assert "<h1>Compte anonymisé</h1>" in page and "anonymisé le" in page
    assert "Réactiver" not in page and 'name="display_name"' not in page
    renamed = admin.submit(
        f"/admin/accounts/{leaver.id}",
        {"display_name": "Léo Petit", "role": "requester", "is_staff": "y"},
        page="/admin/accounts",
    )
    assert renamed.status_code == 400 and "Ce compte a été anonymisé" in renamed.text
    db.session.expire_all()
    assert db.session.get(User, leaver.id).display_name == "—"
    response = admin.submit(
        f"/admin/accounts/{leaver.id}/reactivate", {}, page=f"/admin/accounts/{leaver.id}"
    )
    db.session.expire_all()
    assert db.session.get(User, leaver.id).is_active_account is False
    assert "Ce compte a été anonymisé" in admin.get(response.location).text
    # Nobody signs in with the old address.
    assert not _can_sign_in(app, "leo.petit@etu.umontpellier.fr")


def _can_sign_in(app, email: str) -> bool:
    client = app.test_client()
    page = client.get("/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"email": email, "password": "password", "csrf_token": token}
    )
    return response.status_code == 302


def test_reactivating_clears_the_day_it_ended(desk, login):
    user = make_user("revient@umontpellier.fr")
    admin = login(desk.admin)
    admin.submit(f"/admin/accounts/{user.id}/deactivate", {}, page=f"/admin/accounts/{user.id}")
    admin.submit(f"/admin/accounts/{user.id}/reactivate", {}, page=f"/admin/accounts/{user.id}")
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.is_active_account and user.deactivated_at is None


def test_zero_keeps_everything(app, desk, lived):
    saved = app.config["TICKET_RETENTION_DAYS"], app.config["ACCOUNT_RETENTION_DAYS"]
    app.config["TICKET_RETENTION_DAYS"] = app.config["ACCOUNT_RETENTION_DAYS"] = 0
    try:
        assert sweep.overdue() == {"ticket": 0, "account": 0}
        erased = sweep.erase_expired()
        assert (erased.tickets, erased.accounts) == (0, 0)
        assert db.session.get(Ticket, lived.id).erased_at is None
    finally:
        app.config["TICKET_RETENTION_DAYS"], app.config["ACCOUNT_RETENTION_DAYS"] = saved


def test_metrics_count_what_is_overdue(client, desk, lived, metrics_access):  # noqa: F811
    good = {"Authorization": "Bearer s3cret-token-for-tests"}
    text = client.get("/metrics", headers=good).text
    assert 'desk_retention_overdue{kind="ticket"} 1.0' in text
    assert 'desk_retention_overdue{kind="account"} 0.0' in text
    sweep.erase_expired()
    text = client.get("/metrics", headers=good).text
    assert 'desk_retention_overdue{kind="ticket"} 0.0' in text


def test_the_daily_job_is_scheduled(app):
    from worker.schedule import PERIODIC_JOBS

    assert ("privacy-retention", "desk.privacy.erase_expired", 3600.0) in PERIODIC_JOBS
    assert "desk.privacy.erase_expired" in app.extensions["celery"].tasks


@pytest.mark.worker
def test_a_real_worker_erases_it_once_when_two_runs_meet(desk, lived, test_env):
    from desk.privacy.tasks import erase_expired
    from tests.notifications.helpers import wait_for
    from tests.support.worker import WorkerProcess

    if db.engine.dialect.name != "postgresql":
        pytest.skip("the row locks that make two runs take turns are PostgreSQL's")
    version = db.session.get(Ticket, lived.id).version
    worker = WorkerProcess(test_env, concurrency=2, pool="prefork").start()
    try:
        erase_expired.delay()
        erase_expired.delay()  # a second tick at once: each ticket still erased once
        wait_for(
            lambda: (db.session.expire_all(), db.session.get(Ticket, lived.id).erased_at)[1],
            what="the erasure",
        )
    finally:
        worker.stop()
    db.session.expire_all()
    ticket = db.session.get(Ticket, lived.id)
    erased = [e for e in _events(ticket) if e.kind is EventKind.CHANGE]
    assert ticket.version == version + 1  # one erasure, not two
    assert erased and all(e.body == "" for e in erased)
    assert db.session.get(Ticket, desk.mail_ticket.id).erased_at is None


def test_a_resolved_ticket_once_erased_is_neither_reopened_nor_rated(app, desk, login):
    ticket = db.session.get(Ticket, desk.ticket.id)
    apply_status(ticket, Status.IN_PROGRESS, desk.tech, Actor.STAFF)
    apply_status(ticket, Status.RESOLVED, desk.tech, Actor.STAFF)
    db.session.commit()
    claire = login(desk.requester)
    url = f"/mes-demandes/{ticket.reference}"
    page = claire.get(url).text
    assert f'action="{url}/reouverture"' in page and f'action="{url}/evaluation"' in page
    saved = app.config["TICKET_RETENTION_DAYS"]
    app.config["TICKET_RETENTION_DAYS"] = 1  # shorter than the reopening window
    try:
        _age(ticket, dt.timedelta(days=2))
        assert sweep.erase_expired().tickets == 1
    finally:
        app.config["TICKET_RETENTION_DAYS"] = saved
    page = claire.get(url).text
    assert f'action="{url}/reouverture"' not in page and f'action="{url}/evaluation"' not in page
    claire.submit(f"{url}/reouverture", {"reason": "Toujours en panne"}, page=url)
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status is Status.RESOLVED
    claire.submit(f"{url}/evaluation", {"score": "5", "comment": "Bravo"}, page=url)
    assert _count(Rating, ticket_id=ticket.id) == 0


def test_messages_and_sign_ins_tied_to_no_ticket_go_after_the_same_periods(desk):
    from desk.identity.models import CasSession
    from desk.inbound.models import InboundMessage, InboundStatus
    from desk.notifications.models import Channel, NotificationEvent

    now = utcnow()
    old, recent = now - LONG_AGO, now - dt.timedelta(days=30)
    for n, (created, status) in enumerate(
        [(old, DeliveryStatus.SENT), (recent, DeliveryStatus.SENT), (old, DeliveryStatus.PENDING)]
    ):
        db.session.add(
            Notification(
                event=NotificationEvent.NEW_TICKET,  # a digest: no ticket of its own
                recipient_id=desk.tech.id,
                channel=Channel.EMAIL,
                payload={"tickets": ["Claire Martin, bureau 214"]},
                dedupe_key=f"digest-test-{n}",
                status=status,
                created_at=created,
                next_attempt_at=created,
            )
        )
    for n, received in enumerate([old, recent]):
        db.session.add(
            InboundMessage(
                message_id=f"<m{n}@x>",
                content_hash=f"{n:064d}",
                sender="inconnu@exemple.fr",
                status=InboundStatus.HELD,
                raw=b"From: inconnu@exemple.fr\r\n\r\nMon mot de passe est ...",
                received_at=received,
            )
        )
    for n, created in enumerate([now - dt.timedelta(days=400), recent]):
        db.session.add(CasSession(ticket=f"ST-{n}", user_id=desk.requester.id, created_at=created))
    db.session.commit()

    assert sweep.erase_expired().records == 3
    db.session.expire_all()
    left = db.session.scalars(select(Notification.created_at, Notification.status)).all()
    assert len(left) == 2  # the recent one, and the old one still to be sent
    assert db.session.scalars(select(InboundMessage.message_id)).all() == ["<m1@x>"]
    assert db.session.scalars(select(CasSession.ticket)).all() == ["ST-1"]
    assert sweep.erase_expired().records == 0


def test_a_run_stops_at_its_budget_and_the_next_goes_on(desk, lived):
    assert sweep.erase_expired(budget=0).tickets == 0  # out of time before the first batch
    assert sweep.erase_expired().tickets == 1


def test_a_ticket_being_changed_is_left_for_the_next_run(desk, lived):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL's")
    with db.engine.connect() as other:
        other.execute(select(Ticket.id).where(Ticket.id == lived.id).with_for_update())
        assert sweep.erase_expired().tickets == 0  # not waited for: skipped
        other.rollback()
    assert sweep.erase_expired().tickets == 1


def test_no_staff_action_changes_an_erased_ticket_whatever_the_way_in(desk, lived):
    from desk.tickets.actions import ActionError, bulk_apply, change_status

    sweep.erase_expired()
    ticket = db.session.get(Ticket, lived.id)
    version = ticket.version
    with pytest.raises(ActionError, match="Ce ticket a été effacé"):
        change_status(ticket, Status.REOPENED, actor=desk.tech)
    # The queue list's bulk bar goes through the same services.
    result = bulk_apply(
        [(ticket.id, None)],
        lambda t, v: change_status(t, Status.REOPENED, actor=desk.tech, expected_version=v),
        actor=desk.tech,
    )
    assert result.changed == [] and result.refused == [
        (ticket.reference, "Ce ticket a été effacé.")
    ]
    db.session.expire_all()
    assert db.session.get(Ticket, lived.id).version == version
