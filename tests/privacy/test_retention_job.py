"""The retention job: configured off, its metric, its schedule, two runs on a real worker, the
records tied to no ticket, its time budget, a ticket being changed meanwhile."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from desk.core.db import utcnow
from desk.extensions import db
from desk.notifications.models import DeliveryStatus, Notification
from desk.privacy import sweep
from desk.tickets.models import EventKind, Ticket
from tests.core.test_metrics import metrics_access  # noqa: F401 - the fixture
from tests.privacy.lives import LONG_AGO, events_of


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
    erased = [e for e in events_of(ticket) if e.kind is EventKind.CHANGE]
    assert ticket.version == version + 1  # one erasure, not two
    assert erased and all(e.body == "" for e in erased)
    assert db.session.get(Ticket, desk.mail_ticket.id).erased_at is None


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
