"""Fault tests: a real Celery worker, a PRIVATE redis-server we can stop, a real SMTP server.

Each test checks the exact number of messages the SMTP server accepted.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desk.extensions import db
from desk.notifications import delivery
from desk.notifications.models import Channel, DeliveryStatus
from desk.notifications.outbox import enqueue_delivery
from tests.notifications.helpers import rows, submit, wait_for
from tests.support.embedded import EmbeddedRedis
from tests.support.factories import make_user
from tests.support.worker import WorkerProcess

pytestmark = pytest.mark.worker
S = DeliveryStatus


@pytest.fixture
def private_redis() -> Iterator[EmbeddedRedis]:
    """A redis-server of our own: stopping it disturbs nobody else."""
    server = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="desk-notif-redis-")))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stack(app, test_env, smtp, private_redis):
    """An app and a worker factory wired to the private Redis and the test SMTP server."""
    from config import TestingConfig
    from desk import create_app

    env = {
        **test_env,
        "DESK_TEST_REDIS_URL": private_redis.url,
        "DESK_MAIL_HOST": "127.0.0.1",
        "DESK_MAIL_PORT": str(smtp.port),
        "DESK_NOTIFY_RETRY_BASE_SECONDS": "1",
    }
    import os

    private = create_app(TestingConfig({**os.environ, **env}))
    private.config.update(MAIL_PORT=smtp.port)
    workers: list[WorkerProcess] = []

    def start_worker() -> WorkerProcess:
        worker = WorkerProcess(env).start()
        workers.append(worker)
        return worker

    with private.app_context():
        yield private, start_worker
        db.session.remove()
        db.engine.dispose()
    for worker in workers:
        worker.stop()
    # create_app made the private Celery app the default: give it back to the session's app.
    app.extensions["celery"].set_default()
    app.extensions["celery"].set_current()


def _sent_count() -> int:
    return len(rows(Channel.EMAIL, status=S.SENT))


def test_worker_delivers_after_commit(stack, smtp):
    _private, start_worker = stack
    start_worker()
    requesters = [make_user() for _ in range(3)]
    for requester in requesters:
        submit(requester)
    wait_for(lambda: len(smtp.messages) == 3, what="3 acknowledgements")
    wait_for(lambda: _sent_count() == 3, what="rows marked sent")
    assert sorted(m["To"] for m in smtp.messages) == sorted(r.email for r in requesters)


def test_redis_down_while_tickets_are_submitted(stack, smtp, private_redis):
    _private, start_worker = stack
    start_worker()
    private_redis.stop()
    requesters = [make_user() for _ in range(4)]
    for requester in requesters:
        started = time.monotonic()
        ticket = submit(requester)  # commits; the publish fails and is swallowed
        assert time.monotonic() - started < 2, "a dead broker must not stall the request"
        assert ticket.id is not None
    assert len(rows(Channel.EMAIL, status=S.PENDING)) == 4
    time.sleep(0.5)
    assert smtp.messages == []
    private_redis.start()
    # Beat's sweep (run here directly) republishes what is still pending; run it twice, as
    # two beats would, to show a double publication still sends each mail once.
    ids = delivery.sweep(requeue_after=dt.timedelta(0))
    assert len(ids) == 4
    wait_for(lambda: enqueue_delivery(ids) == 4, timeout=20, what="broker back")
    enqueue_delivery(ids)
    wait_for(lambda: len(smtp.messages) >= 4, what="4 mails after the restart")
    wait_for(lambda: _sent_count() == 4, what="rows marked sent")
    time.sleep(1)
    assert sorted(m["To"] for m in smtp.messages) == sorted(r.email for r in requesters)


def test_worker_killed_before_the_message_is_handed_over_sends_it_once(stack, smtp):
    _private, start_worker = stack
    worker = start_worker()
    smtp.hold, smtp.hold_at = True, "rcpt"
    requester = make_user()
    submit(requester)
    assert smtp.holding.wait(30), worker.output()
    worker.kill()  # SIGKILL before any of the message was sent
    wait_for(lambda: smtp.aborted == 1, what="the server to see the connection drop")
    (row,) = rows(Channel.EMAIL)
    assert row.status is S.SENDING and row.data_at is None and smtp.messages == []
    smtp.hold = False
    start_worker()
    # The orphaned row is revived by the sweep once its claim is older than the timeout
    # (zero here); the original task message, never acknowledged, may come back too.
    ids = delivery.sweep(stale_after=dt.timedelta(0))
    assert ids == [row.id]
    enqueue_delivery(ids + ids)
    wait_for(lambda: len(smtp.messages) == 1, what="the mail after the restart")
    wait_for(lambda: _sent_count() == 1, what="row marked sent")
    enqueue_delivery(ids)  # a late duplicate task finds the row sent
    time.sleep(1)
    assert [m["To"] for m in smtp.messages] == [requester.email]


def test_worker_killed_while_the_server_processes_the_message_never_duplicates(stack, smtp):
    """The fault that duplicated one acknowledgement per kill: the server has the whole
    message and takes its time before the 250; the worker dies meanwhile. Two kills."""
    _private, start_worker = stack
    smtp.processing = 1.5  # like a relay's content filter: the message is kept regardless
    requesters = []
    for kill in (1, 2):
        worker = start_worker()
        smtp.received.clear()
        requesters.append(make_user())
        submit(requesters[-1])
        assert smtp.received.wait(30), worker.output()
        worker.kill()  # after the final dot, before the server's reply
        wait_for(lambda k=kill: len(smtp.messages) == k, what="the server to keep the message")
    start_worker()
    assert delivery.sweep(stale_after=dt.timedelta(0), requeue_after=dt.timedelta(0)) == []
    uncertain = rows(Channel.EMAIL)
    assert [r.status for r in uncertain] == [S.FAILED] * 2
    assert all(r.last_error.startswith(delivery.UNCERTAIN) for r in uncertain)
    enqueue_delivery([r.id for r in uncertain])  # late redeliveries of the killed tasks
    time.sleep(2)
    assert sorted(m["To"] for m in smtp.messages) == sorted(r.email for r in requesters)


def test_uncertain_row_that_the_server_discarded_is_sent_by_the_admin_retry(stack, smtp):
    """The other side of "never twice": a server that drops a finished message when its client
    vanishes. The row is not lost silently: it is on the failed page, and a retry sends it
    once, with the same Message-ID."""
    from desk.auth.models import Role
    from desk.notifications.services import retry_failed

    _private, start_worker = stack
    worker = start_worker()
    smtp.hold = True  # at DATA: the whole message is there, the reply never comes
    requester = make_user()
    submit(requester)
    assert smtp.holding.wait(30), worker.output()
    worker.kill()
    wait_for(lambda: smtp.aborted == 1, what="the server to drop the transaction")
    smtp.hold = False
    start_worker()
    assert delivery.sweep(stale_after=dt.timedelta(0)) == []
    (row,) = rows(Channel.EMAIL)
    assert row.status is S.FAILED and row.last_error.startswith(delivery.UNCERTAIN)
    assert retry_failed(row.id, actor=make_user(role=Role.ADMIN))
    wait_for(lambda: len(smtp.messages) == 1, what="the retried mail")
    wait_for(lambda: _sent_count() == 1, what="row marked sent")
    (message,) = smtp.messages
    assert (
        message["Message-ID"].startswith("<ticket-")
        and f".notif-{row.id}." in message["Message-ID"]
    )


def test_smtp_refusing_for_a_while_is_retried_then_delivered_once(stack, smtp):
    _private, start_worker = stack
    start_worker()
    smtp.refuse_next = 2  # 451 twice; retries after 1 s then 2 s
    submit(make_user())
    wait_for(lambda: len(smtp.messages) == 1, timeout=30, what="delivery after 2 refusals")
    wait_for(lambda: _sent_count() == 1, what="row marked sent")
    time.sleep(1)
    (row,) = rows(Channel.EMAIL)
    assert (len(smtp.messages), smtp.refused, row.attempts) == (1, 2, 3)


def test_pages_answer_while_redis_is_down(stack, smtp, private_redis):
    """A requester's comment, posted through the real page while the broker is dead."""
    from desk.auth.models import Role
    from tests.conftest import Client
    from tests.notifications.helpers import assign
    from tests.support.factories import make_queue

    private, start_worker = stack
    queue = make_queue()
    requester = make_user()
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    ticket = submit(requester, queue=queue)
    assign(ticket, tech, actor=tech)
    db.session.commit()
    private_redis.stop()
    private.test_client_class = Client
    browser = private.test_client()
    browser.login(requester.email)
    started = time.monotonic()
    response = browser.submit(
        f"/mes-demandes/{ticket.reference}/commentaire",
        {"body": "Toujours en panne"},
        page=f"/mes-demandes/{ticket.reference}",
    )
    assert response.status_code == 302
    assert time.monotonic() - started < 2
    pending = rows(Channel.EMAIL, status=S.PENDING, recipient_id=tech.id)
    bodies = [e["body"] for r in pending for e in r.events if "body" in e]
    assert bodies == ["Toujours en panne"]
    private_redis.start()
    start_worker()
    ids = delivery.sweep(requeue_after=dt.timedelta(0))
    wait_for(lambda: enqueue_delivery(ids) == len(ids), timeout=20, what="broker back")
    expected = len(rows(Channel.EMAIL))  # the acknowledgement, the comment (and any staff news)
    wait_for(lambda: len(smtp.messages) == expected, what="every mail")
    time.sleep(0.5)
    assert sorted({m["To"] for m in smtp.messages}) == sorted({requester.email, tech.email})
    assert len(smtp.messages) == expected
