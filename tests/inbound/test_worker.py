"""A real worker polls Dovecot; killed mid-poll and run again, every reply is appended once."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from desk.extensions import db, get_redis
from desk.inbound.tasks import LOCK, fetch_mail_task
from desk.tickets.models import EventKind
from tests.inbound import samples
from tests.inbound.conftest import count
from tests.inbound.helpers import events, ledger, people_and_ticket, signed
from tests.support.factories import make_ticket
from tests.support.worker import WorkerProcess


def _wait_for(predicate, worker, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out; worker log:\n{worker.output()[-3000:]}")


def _blocked_on_a_lock() -> bool:
    with db.engine.connect() as conn:
        return bool(
            conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
            )
        )


def test_worker_killed_mid_poll_then_rerun_appends_each_reply_once(
    app, db, dovecot, mailbox, test_env
):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("holding a row lock from the test needs PostgreSQL")
    env = {
        **test_env,
        "DESK_REPLY_ADDRESS": app.config["REPLY_ADDRESS"],
        "DESK_INBOUND_IMAP_URL": dovecot.url(tls="imaps"),
        "DESK_INBOUND_IMAP_CAFILE": dovecot.cafile,
        "DESK_INBOUND_MAILDIR": "",
    }
    requester, _tech, _stranger, first = people_and_ticket()
    second = make_ticket(requester=requester, queue=first.queue, status="in_progress")
    raw_first = samples.thunderbird(sender=requester.email, to=signed(first), subject="Re: a")
    raw_second = samples.gmail(sender=requester.email, to=signed(second), subject="Re: b")
    mailbox.append("INBOX", raw_first)
    mailbox.append("INBOX", raw_second)
    worker = WorkerProcess(env).start()
    try:
        with db.engine.connect() as blocker:
            # Hold the second ticket: the worker appends the first reply, then waits here.
            blocker.execute(
                text("SELECT id FROM ticket WHERE id = :id FOR UPDATE"), {"id": second.id}
            )
            fetch_mail_task.delay()
            _wait_for(
                lambda: len(events(first, EventKind.COMMENT)) == 1 and _blocked_on_a_lock(),
                worker,
            )
            worker.kill()
            blocker.rollback()
    finally:
        worker.stop()
    assert len(events(first, EventKind.COMMENT)) == 1
    assert events(second, EventKind.COMMENT) == []  # nothing half-done
    assert count(mailbox, "INBOX") == 1  # the second message waits where it was
    # The killed worker's lock would expire after its timeout; the test does not wait for it.
    get_redis().delete(LOCK)
    mailbox.append("INBOX", raw_first)  # and the first is delivered again meanwhile
    again = WorkerProcess(env).start()
    try:
        fetch_mail_task.delay()
        _wait_for(lambda: count(mailbox, "INBOX") == 0, again)
    finally:
        again.stop()
    assert len(events(first, EventKind.COMMENT)) == 1
    assert len(events(second, EventKind.COMMENT)) == 1
    assert len(ledger()) == 2 and count(mailbox, "processed") == 3
