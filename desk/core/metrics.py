"""Prometheus metrics at /metrics, with the maintained `prometheus_client`.

Request latency is counted in each process; under gunicorn (several worker processes) set
PROMETHEUS_MULTIPROC_DIR before start so the processes share their figures through files
there (gunicorn.conf.py clears dead workers' files). Everything else is read live at scrape
time from PostgreSQL and Redis, so any one process answers for the whole deployment.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import ipaddress
import logging
import os
import time

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError

from desk.core.db import utcnow
from desk.core.models import WorkerHeartbeat
from desk.core.services import (
    SWEEP_HEARTBEAT,
    directory_sync_state,
    last_worker_seen,
    mailbox_polls,
)
from desk.extensions import db, get_redis

log = logging.getLogger(__name__)
REQUEST_LATENCY = Histogram(
    "desk_http_request_duration_seconds",
    "Time to answer a request, by endpoint (the route, not the URL) and method.",
    ["endpoint", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REQUESTS = Counter(
    "desk_http_requests",
    "Requests answered, by endpoint, method and status code.",
    ["endpoint", "method", "status"],
)
# Celery's default queue, and the keys kombu's Redis transport uses for its priority steps.
CELERY_QUEUE = "celery"
_PRIORITY_SEP = "\x06\x16"


def init_metrics(app: Flask) -> None:
    """Time every request (static files excepted)."""

    @app.before_request
    def _start() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.get("metrics_started")
        if started is not None and request.endpoint != "static":
            endpoint = request.endpoint or "unmatched"
            REQUEST_LATENCY.labels(endpoint, request.method).observe(time.perf_counter() - started)
            REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        return response


def may_read_metrics() -> bool:
    """Allowed addresses (DESK_METRICS_ALLOWED_IPS) or the bearer token (DESK_METRICS_TOKEN)."""
    token = current_app.config["METRICS_TOKEN"]
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    try:
        client = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(client in network for network in current_app.config["METRICS_ALLOWED_NETWORKS"])


def render_metrics() -> Response:
    """The exposition text; 404 (as if there were no such page) for anyone not allowed."""
    if not may_read_metrics():
        abort(404)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    live = CollectorRegistry()
    live.register(DeskCollector())
    body = generate_latest(registry) + generate_latest(live)
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


class DeskCollector:
    """Gauges read at scrape time: the outbox, the queues' staff, the reminders, the SLA
    sweep, the workers' heartbeat, the mail poll, the directory sync and the Celery queue."""

    def collect(self):
        now = utcnow()
        # PostgreSQL out of reach answered the scrape with the outage page: Prometheus saw
        # "desk down" (nothing answers) and lost Redis' and the web's own figures with it. The
        # database's gauges are read first, whole or not at all, then said to be missing.
        try:
            from_database = [
                *_outbox(now),
                *_staffing(),
                _followups_late(now),
                _sweep_lag(now),
                _worker_seen(now),
                *_inbound(now),
                *_directory(now),
                _retention_overdue(now),
            ]
        except (OperationalError, SATimeoutError, DBAPIError) as exc:
            if not _database_down(exc):
                raise  # a bug in a query, not an outage: the scrape's 500 says so
            log.warning("metrics: database unavailable (%r)", exc)
            with contextlib.suppress(Exception):
                db.session.rollback()
            yield GaugeMetricFamily("desk_database_up", _DATABASE_UP_HELP, value=0)
        else:
            yield GaugeMetricFamily("desk_database_up", _DATABASE_UP_HELP, value=1)
            yield from from_database
        yield from _queue_length()


def _outbox(now: dt.datetime):
    from desk.notifications.models import Channel, DeliveryStatus, Notification, inline

    # Every status but 'sent' (a partial index covers those rows, the values written inline
    # so that it matches): the rows still in the delivery's hands, and those it gave up or
    # withdrew. Sent rows grow for ever and say nothing about health.
    unsent = [status for status in DeliveryStatus if status is not DeliveryStatus.SENT]
    rows = dict(
        db.session.execute(
            select(Notification.status, func.count())
            .where(Notification.status.in_([inline(status) for status in unsent]))
            .group_by(Notification.status)
        ).all()
    )
    by_status = GaugeMetricFamily(
        "desk_outbox_rows",
        "Notification rows not sent, by status (pending, sending: on their way; failed: given "
        "up; withdrawn: no longer news when their time came).",
        labels=["status"],
    )
    for status in unsent:
        by_status.add_metric([status.value], rows.get(status, 0))
    yield by_status
    # Only e-mails wait in 'pending' (in-app rows are written sent): naming the channel lets
    # PostgreSQL read the minimum off the end of the drain's index.
    oldest_due = db.session.scalar(
        select(func.min(Notification.next_attempt_at)).where(
            Notification.status == inline(DeliveryStatus.PENDING),
            Notification.channel == inline(Channel.EMAIL),
            Notification.next_attempt_at <= now,
        )
    )
    yield GaugeMetricFamily(
        "desk_outbox_oldest_pending_age_seconds",
        "How long the oldest pending notification that is due has been waiting (0: none).",
        value=(now - oldest_due).total_seconds() if oldest_due else 0.0,
    )
    # An e-mail whose sending failed waits for its retry with a due time in the future, and
    # the sweep pushes an overdue one's due time to now: neither shows above while the SMTP
    # relay refuses everything. Tried at least once (each claim adds an attempt) and still
    # pending: how many, and since when they were written.
    retrying, oldest_written = db.session.execute(
        select(func.count(), func.min(Notification.created_at)).where(
            Notification.status == inline(DeliveryStatus.PENDING),
            Notification.channel == inline(Channel.EMAIL),
            Notification.attempts > 0,
        )
    ).one()
    yield GaugeMetricFamily(
        "desk_outbox_retrying",
        "E-mails tried at least once and not sent yet, waiting for a retry.",
        value=retrying,
    )
    yield GaugeMetricFamily(
        "desk_outbox_oldest_retrying_age_seconds",
        "How long ago the oldest e-mail waiting for a retry was written (0: none).",
        value=(now - oldest_written).total_seconds() if oldest_written else 0.0,
    )


def _staffing():
    from desk.queues.overview import queue_staffing

    opened = GaugeMetricFamily(
        "desk_queue_open_tickets", "Open tickets, by queue (its code).", labels=["queue"]
    )
    members = GaugeMetricFamily(
        "desk_queue_active_members",
        "Active staff members, by queue: open tickets with none are told to nobody.",
        labels=["queue"],
    )
    present = GaugeMetricFamily(
        "desk_queue_present_members",
        "Active staff members not away today, by queue: open tickets with none wait for a return.",
        labels=["queue"],
    )
    for row in queue_staffing():
        opened.add_metric([row.queue.code], row.open)
        members.add_metric([row.queue.code], row.members)
        present.add_metric([row.queue.code], row.present)
    yield opened
    yield members
    yield present


def _followups_late(now: dt.datetime) -> GaugeMetricFamily:
    from desk.followups.models import FollowUp

    # The oldest reminder due and not sent, read off the sweep's partial index.
    oldest = db.session.scalar(
        select(func.min(FollowUp.due_at)).where(FollowUp.sent_at.is_(None), FollowUp.due_at <= now)
    )
    return GaugeMetricFamily(
        "desk_followups_oldest_due_age_seconds",
        "How long the oldest reminder due on a ticket has waited to be sent (0: none).",
        value=(now - oldest).total_seconds() if oldest else 0.0,
    )


def _sweep_lag(now: dt.datetime) -> GaugeMetricFamily:
    last = db.session.scalar(
        select(WorkerHeartbeat.seen_at).where(WorkerHeartbeat.worker == SWEEP_HEARTBEAT)
    )
    db.session.rollback()  # end the read transaction: a scrape must not hold one open
    return GaugeMetricFamily(
        "desk_sla_sweep_lag_seconds",
        "Seconds since the SLA sweep last completed (+Inf: never).",
        value=(now - last).total_seconds() if last else float("inf"),
    )


def _worker_seen(now: dt.datetime) -> GaugeMetricFamily:
    # What /healthz calls "stale" past DESK_WORKER_STALE_SECONDS, as a number to alert on.
    last = last_worker_seen()
    return GaugeMetricFamily(
        "desk_worker_heartbeat_age_seconds",
        "Seconds since a worker last ran beat's tick (+Inf: never).",
        value=(now - last).total_seconds() if last else float("inf"),
    )


def _inbound(now: dt.datetime):
    from desk.inbound.models import InboundMessage, InboundStatus

    polls = mailbox_polls()
    if not polls:  # incoming mail is off: no poll, nothing to wait for
        return
    lag = GaugeMetricFamily(
        "desk_inbound_poll_lag_seconds",
        "Seconds since each mailbox was last read without error (+Inf: never).",
        labels=["source"],
    )
    failing = GaugeMetricFamily(
        "desk_inbound_poll_failing",
        "1 when the mailbox's last poll failed (cannot connect, log in, or read), else 0.",
        labels=["source"],
    )
    unmoved = GaugeMetricFamily(
        "desk_inbound_poll_unmoved",
        "1 when the mailbox's last good poll left a message there that the server would not "
        "move (its folder full or closed to desk), else 0.",
        labels=["source"],
    )
    for poll in polls:
        read = poll.last_read
        lag.add_metric([poll.source], (now - read).total_seconds() if read else float("inf"))
        failing.add_metric([poll.source], 1 if poll.failing else 0)
        unmoved.add_metric([poll.source], 1 if poll.unmoved else 0)
    yield lag
    yield failing
    yield unmoved
    # Held and failed messages wait for an admin (/admin/inbound); a retry that appends one
    # takes it out of the count. Read off the (status, received_at) index.
    waiting = (InboundStatus.HELD, InboundStatus.FAILED)
    rows = dict(
        db.session.execute(
            select(InboundMessage.status, func.count())
            .where(InboundMessage.status.in_(waiting))
            .group_by(InboundMessage.status)
        ).all()
    )
    messages = GaugeMetricFamily(
        "desk_inbound_messages",
        "Received messages waiting for an admin, by status (held, failed).",
        labels=["status"],
    )
    for status in waiting:
        messages.add_metric([status.value], rows.get(status, 0))
    yield messages


def _directory(now: dt.datetime):
    sync = directory_sync_state()
    if sync is None:  # no directory: nothing is synced
        return
    last_ok = sync.last_completed
    yield GaugeMetricFamily(
        "desk_directory_sync_age_seconds",
        "Seconds since the directory sync last completed (+Inf: never).",
        value=(now - last_ok).total_seconds() if last_ok else float("inf"),
    )
    yield GaugeMetricFamily(
        "desk_directory_sync_failing",
        "1 when the last directory sync failed (directory unreachable, or a group of the "
        "mapping missing) or stopped (mass-deactivation guard), else 0.",
        value=1 if sync.failing else 0,
    )


def _retention_overdue(now: dt.datetime) -> GaugeMetricFamily:
    from desk.privacy.sweep import overdue

    gauge = GaugeMetricFamily(
        "desk_retention_overdue",
        "Tickets and accounts kept past their retention, still holding personal data.",
        labels=["kind"],
    )
    for kind, count in overdue(now).items():
        gauge.add_metric([kind], count)
    db.session.rollback()  # end the read transaction: a scrape must not hold one open
    return gauge


def _queue_length():
    # Redis out of reach must not take the whole scrape down with it (the outage page): the
    # outbox gauges are what tell how much mail waits meanwhile. The queue's length is then
    # unknown, so it is left out rather than reported as an empty queue.
    redis = get_redis()
    keys = [CELERY_QUEUE] + [f"{CELERY_QUEUE}{_PRIORITY_SEP}{p}" for p in (3, 6, 9)]
    try:
        with redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.llen(key)
            length = sum(pipe.execute())
    except RedisError as exc:
        log.warning("metrics: Redis unavailable (%s)", exc)
        yield GaugeMetricFamily("desk_redis_up", _REDIS_UP_HELP, value=0)
        return
    yield GaugeMetricFamily("desk_redis_up", _REDIS_UP_HELP, value=1)
    yield GaugeMetricFamily(
        "desk_celery_queue_length", "Tasks waiting in the Celery queue (Redis LLEN).", value=length
    )


_REDIS_UP_HELP = "1 if Redis (broker, rate limits) answered this scrape, else 0."
_DATABASE_UP_HELP = "1 if PostgreSQL answered this scrape, else 0 (its gauges are then left out)."


def _database_down(exc: Exception) -> bool:
    # As desk.core.errors reads an outage: refused or lost connections, pool timeouts.
    if isinstance(exc, OperationalError | SATimeoutError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated
