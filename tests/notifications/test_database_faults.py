"""PostgreSQL crashes under a real worker delivering acknowledgements: each arrives once.

The database is a PRIVATE server of this test (never the shared one), killed with
`pg_ctl -m immediate` (a crash: no checkpoint, clients cut) while a real Celery worker is
handing messages to a real SMTP server. What must hold afterwards (README, "Delivery
guarantee"): no acknowledgement is sent twice, none is lost silently — each row ends `sent`,
or `failed` as "uncertain" when the crash fell between the end of the message and the record
of the server's reply (then the server has it, and it is not sent again).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from desk.extensions import db
from desk.notifications import delivery
from desk.notifications.models import Channel, DeliveryStatus
from desk.notifications.outbox import enqueue_delivery
from tests.notifications.helpers import rows, submit, wait_for
from tests.support.database import reset_schema
from tests.support.factories import make_user
from tests.support.private_postgres import PrivatePostgres
from tests.support.worker import WorkerProcess

pytestmark = pytest.mark.worker
S = DeliveryStatus


class ResilientBeat:
    """Beat's outbox sweep every second in a thread; a database outage skips a round, as the
    real beat's failed task would, instead of ending the loop."""

    def __init__(self, app):
        self.app = app
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stopped.wait(1.0):
            with self.app.app_context():
                try:
                    ids = delivery.sweep(
                        requeue_after=dt.timedelta(seconds=2), stale_after=dt.timedelta(seconds=5)
                    )
                    enqueue_delivery(ids)
                except Exception:
                    db.session.rollback()
                finally:
                    db.session.remove()

    def __enter__(self) -> ResilientBeat:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join(timeout=15)


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres().start()
    yield server
    server.destroy()


@pytest.fixture
def pg_stack(app, test_env, smtp, private_pg):
    """An app and a worker on the private PostgreSQL, the session's Redis and the SMTP server."""
    from config import TestingConfig
    from desk import create_app

    env = {
        **test_env,
        "DESK_TEST_DATABASE_URL": private_pg.create_database("desk"),
        "DESK_MAIL_HOST": "127.0.0.1",
        "DESK_MAIL_PORT": str(smtp.port),
        "DESK_NOTIFY_RETRY_BASE_SECONDS": "1",
    }
    private = create_app(TestingConfig({**os.environ, **env}))
    private.config.update(MAIL_PORT=smtp.port)
    with private.app_context():
        reset_schema(private)
    worker = WorkerProcess(env, pool="prefork", concurrency=2)
    with private.app_context():
        yield private, worker
        db.session.remove()
        db.engine.dispose()
    worker.stop()
    app.extensions["celery"].set_default()
    app.extensions["celery"].set_current()


def _statuses() -> Counter:
    db.session.rollback()
    return Counter(r.status for r in rows(Channel.EMAIL))


def test_postgresql_crashes_during_delivery_each_acknowledgement_arrives_once(
    pg_stack, smtp, private_pg
):
    private, worker = pg_stack
    smtp.processing = 0.15  # a slow relay: crashes land while messages are in flight
    requesters = [make_user() for _ in range(24)]
    for requester in requesters:
        submit(requester)
    emails = sorted(r.email for r in requesters)
    db.session.remove()
    worker.start()
    with ResilientBeat(private):
        for round_ in (1, 2):
            wait_for(lambda r=round_: len(smtp.messages) >= 5 * r, what="some mails")
            private_pg.stop("immediate")  # a crash, mid-delivery
            time.sleep(1.5)
            private_pg.start()
            assert worker.process.poll() is None, worker.output()[-3000:]
        wait_for(
            lambda: sum(_statuses()[s] for s in (S.SENT, S.FAILED)) == 24,
            timeout=90,
            what="every row settled (sent, or failed as uncertain)",
        )
    time.sleep(1)
    output = worker.output()
    assert worker.process.poll() is None, output[-3000:]
    assert "OperationalError" in output  # the crashes did reach the worker mid-delivery
    statuses = _statuses()
    failed = [r for r in rows(Channel.EMAIL) if r.status is S.FAILED]
    # Only the one window SMTP leaves open may end "failed", and it says so.
    assert all(r.last_error.startswith(delivery.UNCERTAIN) for r in failed), [
        r.last_error for r in failed
    ]
    received = Counter(m["To"] for m in smtp.messages)
    duplicates = {to: n for to, n in received.items() if n > 1}
    assert duplicates == {}, f"sent twice: {duplicates}; statuses {statuses}"
    # The test server keeps every message it received, uncertain ones included: all arrived.
    assert sorted(received) == emails, statuses
