"""/metrics: Prometheus text for allowed addresses or the token only, with desk's gauges."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re

import pytest

from desk.core.db import utcnow
from desk.core.services import SWEEP_HEARTBEAT, record_heartbeat
from desk.extensions import db
from desk.notifications.models import Channel, DeliveryStatus, Notification, NotificationEvent
from tests.support.factories import make_user


@pytest.fixture
def metrics_access(app):
    saved = app.config["METRICS_TOKEN"], app.config["METRICS_ALLOWED_NETWORKS"]
    app.config["METRICS_TOKEN"] = "s3cret-token-for-tests"
    app.config["METRICS_ALLOWED_NETWORKS"] = [ipaddress.ip_network("10.1.0.0/16")]
    yield
    app.config["METRICS_TOKEN"], app.config["METRICS_ALLOWED_NETWORKS"] = saved


def _value(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    assert match, f"{name} not in:\n{text}"
    return float(match.group(1))


def test_without_configuration_nobody_reads_metrics(client):
    assert client.get("/metrics").status_code == 404


def test_only_allowed_addresses_or_the_token(client, metrics_access):
    assert client.get("/metrics").status_code == 404  # 127.0.0.1 is not in 10.1.0.0/16
    wrong = {"Authorization": "Bearer nope"}
    assert client.get("/metrics", headers=wrong).status_code == 404
    good = {"Authorization": "Bearer s3cret-token-for-tests"}
    assert client.get("/metrics", headers=good).status_code == 200
    inside = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert inside.status_code == 200
    assert inside.mimetype == "text/plain"


def test_latency_outbox_sweep_lag_and_queue_length(app, client, app_ctx, metrics_access):
    user = make_user()
    now = utcnow()
    for i, (status, due) in enumerate(
        [
            (DeliveryStatus.PENDING, now - dt.timedelta(seconds=120)),
            (DeliveryStatus.PENDING, now + dt.timedelta(hours=1)),  # a retry, not yet due
            (DeliveryStatus.FAILED, now),
            (DeliveryStatus.SENT, now),
            (DeliveryStatus.WITHDRAWN, now),  # a held e-mail no longer news: never sent
            (DeliveryStatus.WITHDRAWN, now),
        ]
    ):
        db.session.add(
            Notification(
                event=NotificationEvent.SUBMITTED,
                recipient_id=user.id,
                channel=Channel.EMAIL,
                payload={},
                dedupe_key=f"metrics-{i}",
                status=status,
                next_attempt_at=due,
            )
        )
    db.session.commit()
    record_heartbeat(SWEEP_HEARTBEAT, at=now - dt.timedelta(seconds=90))
    app.extensions["redis"].rpush("celery", "a", "b", "c")
    client.get("/login")

    text = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.0.9"}).text
    assert _value(text, 'desk_outbox_rows{status="pending"}') == 2
    assert _value(text, 'desk_outbox_rows{status="failed"}') == 1
    assert _value(text, 'desk_outbox_rows{status="sending"}') == 0
    assert _value(text, 'desk_outbox_rows{status="withdrawn"}') == 2
    assert 'status="sent"' not in text
    assert 120 <= _value(text, "desk_outbox_oldest_pending_age_seconds") < 180
    assert 90 <= _value(text, "desk_sla_sweep_lag_seconds") < 150
    assert _value(text, "desk_celery_queue_length") == 3
    count = 'desk_http_request_duration_seconds_count{endpoint="auth.login",method="GET"}'
    assert _value(text, count) >= 1
    answered = 'desk_http_requests_total{endpoint="auth.login",method="GET",status="200"}'
    assert _value(text, answered) >= 1


def test_mail_the_relay_refuses_shows_as_retrying(client, app_ctx, metrics_access):
    # An SMTP outage: every e-mail failed once and waits for its retry, due in the future
    # (the oldest pending due one reads 0). The retrying gauges show it, from when it was written.
    user = make_user()
    now = utcnow()
    rows = [
        (1, now - dt.timedelta(minutes=40), now + dt.timedelta(minutes=5)),  # retrying
        (2, now - dt.timedelta(minutes=10), now + dt.timedelta(minutes=1)),  # retrying
        (0, now - dt.timedelta(hours=14), now + dt.timedelta(hours=1)),  # quiet hours: untried
    ]
    for i, (attempts, written, due) in enumerate(rows):
        db.session.add(
            Notification(
                event=NotificationEvent.SUBMITTED,
                recipient_id=user.id,
                channel=Channel.EMAIL,
                payload={},
                dedupe_key=f"retrying-{i}",
                status=DeliveryStatus.PENDING,
                attempts=attempts,
                created_at=written,
                next_attempt_at=due,
            )
        )
    db.session.commit()
    text = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token-for-tests"}).text
    assert _value(text, "desk_outbox_oldest_pending_age_seconds") == 0
    assert _value(text, "desk_outbox_retrying") == 2
    assert 40 * 60 <= _value(text, "desk_outbox_oldest_retrying_age_seconds") < 45 * 60


def test_nothing_retrying_reads_zero(client, app_ctx, metrics_access):
    text = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token-for-tests"}).text
    assert _value(text, "desk_outbox_retrying") == 0
    assert _value(text, "desk_outbox_oldest_retrying_age_seconds") == 0


def test_the_sweep_task_records_its_success(app_ctx):
    from desk.core.models import WorkerHeartbeat
    from desk.sla.tasks import sweep

    sweep.run()
    beat = db.session.get(WorkerHeartbeat, SWEEP_HEARTBEAT)
    assert beat is not None
    assert utcnow() - beat.seen_at < dt.timedelta(seconds=30)


def test_never_swept_is_infinite_lag(client, app_ctx, metrics_access):
    text = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token-for-tests"}).text
    assert _value(text, "desk_sla_sweep_lag_seconds") == float("inf")


def test_open_tickets_and_active_members_by_queue(client, app_ctx, metrics_access):
    """An operator alerts on a queue with open tickets and no active member: nobody is told."""
    from desk.auth.models import Role
    from tests.support.factories import make_queue, make_ticket

    staffed, orphan = make_queue(code="reseau"), make_queue(code="visio")
    make_user(role=Role.TECHNICIAN, queues=(staffed, orphan))
    gone = make_user(role=Role.TECHNICIAN, queues=(orphan,))
    gone.is_active_account = False
    requester = make_user()
    for queue, status in ((staffed, "new"), (staffed, "closed"), (orphan, "in_progress")):
        make_ticket(queue=queue, requester=requester, status=status)
    db.session.commit()
    text = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token-for-tests"}).text
    assert _value(text, 'desk_queue_open_tickets{queue="reseau"}') == 1
    assert _value(text, 'desk_queue_open_tickets{queue="visio"}') == 1
    assert _value(text, 'desk_queue_active_members{queue="reseau"}') == 1
    assert _value(text, 'desk_queue_active_members{queue="visio"}') == 1
    # The last active member of "visio" leaves: its ticket is unattended.
    db.session.execute(
        db.text("DELETE FROM queue_membership WHERE queue_id = :q AND user_id <> :g"),
        {"q": orphan.id, "g": gone.id},
    )
    db.session.commit()
    text = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token-for-tests"}).text
    assert _value(text, 'desk_queue_active_members{queue="visio"}') == 0
    assert _value(text, 'desk_queue_open_tickets{queue="visio"}') == 1


def test_redis_down_still_reports_the_outbox(app, client, app_ctx, metrics_access):
    """Redis out of reach answered the whole scrape with the outage page: Prometheus saw desk
    down, and lost the outbox backlog that tells how much mail waits meanwhile."""
    import redis

    user = make_user()
    db.session.add(
        Notification(
            event=NotificationEvent.SUBMITTED,
            recipient_id=user.id,
            channel=Channel.EMAIL,
            payload={},
            dedupe_key="metrics-redis-down",
            status=DeliveryStatus.PENDING,
            next_attempt_at=utcnow() - dt.timedelta(seconds=30),
        )
    )
    db.session.commit()
    good = app.extensions["redis"]
    app.extensions["redis"] = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    try:
        response = client.get(
            "/metrics", headers={"Authorization": "Bearer s3cret-token-for-tests"}
        )
    finally:
        app.extensions["redis"] = good
    assert response.status_code == 200
    text = response.text
    assert _value(text, 'desk_outbox_rows{status="pending"}') == 1
    assert _value(text, "desk_outbox_oldest_pending_age_seconds") >= 30
    # Unknown, not 0: an empty queue would read as "workers keep up".
    assert "desk_celery_queue_length " not in text
    assert _value(text, "desk_redis_up") == 0
