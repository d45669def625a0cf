"""Broker faults under a real worker: a PRIVATE redis-server on a free port, restarted or frozen.

Each test counts the messages a real SMTP server accepted: every acknowledgement arrives, once.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from desk.extensions import db
from desk.notifications import delivery
from desk.notifications.models import Channel, DeliveryStatus
from desk.notifications.outbox import enqueue_delivery
from tests.notifications.helpers import rows, submit, wait_for
from tests.support.factories import make_user
from tests.support.redis_server import RedisServer
from tests.support.worker import WorkerProcess

pytestmark = pytest.mark.worker
S = DeliveryStatus


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def broker_stack(app, test_env, smtp, redis_server):
    """An app and a worker factory on the private Redis and the test SMTP server."""
    from config import TestingConfig
    from desk import create_app

    env = {
        **test_env,
        "DESK_TEST_REDIS_URL": redis_server.url,
        "DESK_MAIL_HOST": "127.0.0.1",
        "DESK_MAIL_PORT": str(smtp.port),
    }
    private = create_app(TestingConfig({**os.environ, **env}))
    workers: list[WorkerProcess] = []

    def start_worker(**options) -> WorkerProcess:
        worker = WorkerProcess(env, **options).start()
        workers.append(worker)
        return worker

    with private.app_context():
        yield private, start_worker
        db.session.remove()
        db.engine.dispose()
    for worker in workers:
        worker.stop()
    app.extensions["celery"].set_default()
    app.extensions["celery"].set_current()


class Beat:
    """Beat's outbox sweep, every `interval` seconds in a thread, as `requeue_pending` runs."""

    def __init__(self, app, interval: float = 1.0):
        self.app, self.interval = app, interval
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import datetime as dt

        while not self.stopped.wait(self.interval):
            with self.app.app_context():
                try:
                    ids = delivery.sweep(
                        requeue_after=dt.timedelta(seconds=2), stale_after=dt.timedelta(seconds=5)
                    )
                    enqueue_delivery(ids)
                finally:
                    db.session.remove()

    def __enter__(self) -> Beat:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)


def _sent() -> int:
    return len(rows(Channel.EMAIL, status=S.SENT))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["restart", "crash"])
def test_worker_survives_redis_restarts_while_holding_messages(
    broker_stack, smtp, redis_server, sig
):
    """SIGTERM: a clean restart that keeps the queues; SIGKILL: Redis loses what it held."""
    private, start_worker = broker_stack
    smtp.processing = 0.1  # a slow relay: the worker always holds unacknowledged messages
    worker = start_worker(pool="prefork", concurrency=2)
    requesters = [make_user() for _ in range(30)]
    for requester in requesters:
        submit(requester)
    with Beat(private):
        for round_ in (1, 2):
            wait_for(lambda r=round_: len(smtp.messages) >= 6 * r, what="some mails")
            redis_server.restart(down_for=1, sig=sig)
            time.sleep(1)
            assert worker.process.poll() is None, worker.output()[-3000:]
        wait_for(lambda: _sent() == 30, timeout=30, what="every acknowledgement")
    time.sleep(0.5)
    output = worker.output()
    assert "Unrecoverable error" not in output, output[-3000:]
    assert "Connection to broker lost" in output  # the fault did reach the worker
    assert worker.process.poll() is None
    assert sorted(m["To"] for m in smtp.messages) == sorted(r.email for r in requesters)


def test_pages_answer_while_redis_is_frozen(broker_stack, smtp, redis_server):
    """A hung Redis (SIGSTOP: connections accepted, never answered) delays mail, not pages."""
    from desk.auth.models import Role
    from tests.conftest import Client
    from tests.notifications.helpers import assign
    from tests.support.factories import make_queue

    private, start_worker = broker_stack
    timeout = private.config["REDIS_TIMEOUT"]
    start_worker()
    queue = make_queue()
    requester = make_user()
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    ticket = submit(requester, queue=queue)
    assign(ticket, tech, actor=tech)
    db.session.commit()
    wait_for(lambda: _sent() == len(rows(Channel.EMAIL)), what="the mails of the new ticket")
    before = len(smtp.messages)
    private.test_client_class = Client
    browser = private.test_client()
    browser.login(requester.email)
    page = f"/mes-demandes/{ticket.reference}"
    redis_server.freeze()
    try:
        timings = []
        for n in range(3):
            started = time.monotonic()
            response = browser.submit(f"{page}/commentaire", {"body": f"relance {n}"}, page=page)
            timings.append(time.monotonic() - started)
            assert response.status_code == 302
        started = time.monotonic()
        health = browser.get("/healthz")
        health_time = time.monotonic() - started
    finally:
        redis_server.thaw()
    # Each request (a page view + a post whose commit publishes) waits for at most a few
    # timeouts, and after the first failure not at all (the publisher backs off).
    assert timings[0] < 4 * timeout + 1, timings
    assert max(timings[1:]) < 1, timings
    assert health.json["redis"].startswith("error") and health_time < 2 * timeout + 1
    # The rows were committed; the publishes that timed out may still reach Redis (buffered
    # in the socket) after the thaw, next to beat's requeue: each mail still goes out once.
    comments = [
        e["body"]
        for r in rows(Channel.EMAIL, recipient_id=tech.id)
        for e in r.events
        if "body" in e
    ]
    assert sorted(comments) == ["relance 0", "relance 1", "relance 2"]
    with Beat(private):
        wait_for(lambda: len(smtp.messages) == before + 3, timeout=30, what="the comments mailed")
        wait_for(lambda: _sent() == before + 3, what="rows marked sent")
    time.sleep(0.5)
    assert len(smtp.messages) == before + 3
    assert [m["To"] for m in smtp.messages[before:]] == [tech.email] * 3
