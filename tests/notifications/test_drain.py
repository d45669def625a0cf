"""The outbox drain: due rows claimed in small batches, each by one worker, each sent once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from desk.core.db import utcnow
from desk.extensions import get_redis
from desk.notifications import delivery, tasks
from desk.notifications.models import Channel, DeliveryStatus, Notification
from desk.notifications.outbox import KICK_KEY, hold_kick
from tests.notifications.helpers import rows, submit
from tests.support.factories import make_user

S = DeliveryStatus


def _pending_ids(n: int) -> list[int]:
    for _ in range(n):
        submit(make_user())
    ids = [r.id for r in rows(Channel.EMAIL, status=S.PENDING)]
    assert len(ids) == n
    return ids


def test_concurrent_claims_take_each_due_row_once(app, db):
    ids = _pending_ids(40)
    db.session.remove()
    start = threading.Barrier(6)
    taken: list[list[int]] = []

    def claimer() -> None:
        mine: list[int] = []
        with app.app_context():
            start.wait()
            while claimed := delivery.claim_due(utcnow(), 3):
                assert len(claimed) <= 3, claimed  # never past its batch
                mine.extend(claimed)
        taken.append(mine)

    threads = [threading.Thread(target=claimer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(taken) == 6  # no claimer failed
    everything = [i for mine in taken for i in mine]
    assert sorted(everything) == sorted(ids)  # none twice, none left
    if db.engine.dialect.name == "postgresql":
        # SKIP LOCKED lets claimers work side by side. SQLite runs one writer at a time, and
        # one thread may take every batch before another gets the lock: nothing to share.
        assert len([mine for mine in taken if mine]) > 1  # they did share the work
    assert {r.status for r in rows(Channel.EMAIL)} == {S.SENDING}


def test_drain_sends_the_due_rows_oldest_first_and_leaves_later_ones(db, smtp):
    ids = _pending_ids(3)
    later = db.session.get(Notification, ids[1])
    later.next_attempt_at = utcnow() + dt.timedelta(hours=1)  # e.g. quiet hours
    db.session.commit()
    released = []
    done, more = delivery.drain(lambda: released.append(True), batch=2)
    assert [(i, o.status) for i, o in done] == [(ids[0], "sent"), (ids[2], "sent")]
    assert more is False and released == [True]
    assert len(smtp.messages) == 2
    assert rows(Channel.EMAIL, id=ids[1])[0].status is S.PENDING


def test_a_drain_out_of_time_asks_for_another(app, db, smtp):
    _pending_ids(12)
    get_redis().set(KICK_KEY, b"1")  # the kick that queued this drain
    app.config["OUTBOX_DRAIN_SECONDS"] = 0.0
    try:
        assert tasks.drain.run() == 10  # one batch, then its time is up
    finally:
        app.config["OUTBOX_DRAIN_SECONDS"] = 5.0
    assert len(smtp.messages) == 10
    # it cleared its kick, then kicked again for the two rows left
    assert get_redis().exists(KICK_KEY)
    assert len(rows(Channel.EMAIL, status=S.PENDING)) == 2


def test_a_commit_that_saw_the_kick_just_before_its_release_is_sent_by_that_drain(db, smtp):
    """The race the kick must survive: a commit finds the kick still set (so publishes no
    drain) right before the drain, having found nothing, clears it."""
    _pending_ids(1)
    late: list[int] = []

    def release() -> None:
        submit(make_user())  # its commit's SET NX fails: the kick is still set
        late.extend(r.id for r in rows(Channel.EMAIL, status=S.PENDING))
        get_redis().delete(KICK_KEY)

    get_redis().set(KICK_KEY, b"1")
    done, more = delivery.drain(release, hold_kick)
    assert len(late) == 1 and late[0] in [i for i, _o in done]
    assert [o.status for _i, o in done] == ["sent", "sent"] and more is False
    assert len(smtp.messages) == 2
    # sending that last row did not take the kick back: the next commit asks for a drain
    assert not get_redis().exists(KICK_KEY)


def test_the_drain_renews_its_kick_when_it_starts_then_at_most_once_a_second(db, smtp, monkeypatch):
    _pending_ids(4)
    holds: list[int] = []

    def hold() -> None:
        holds.append(len(smtp.messages))  # how many messages had left at each renewal

    done, _more = delivery.drain(lambda: None, hold)
    assert len(done) == 4 and holds == [0]  # before the first message, then not per message
    # A slow relay (here: every message "takes" longer than the period) renews it each time.
    _pending_ids(3)
    monkeypatch.setattr(delivery, "HOLD_EVERY_SECONDS", 0.0)
    holds.clear()
    done, _more = delivery.drain(lambda: submit(make_user()), hold)
    # The row committed at the release is sent without a renewal: the kick is the next
    # drain's by then.
    assert len(done) == 4 and all(o.status == "sent" for _i, o in done)
    assert holds == [4, 5, 6]


def test_a_finished_drain_leaves_no_kick(app, db, smtp):
    _pending_ids(2)
    get_redis().set(KICK_KEY, b"1")
    assert tasks.drain.run() == 2
    assert not get_redis().exists(KICK_KEY)  # the next commit publishes a new drain


def test_a_claim_taken_back_by_the_sweep_is_not_sent_by_its_first_holder(db, smtp):
    """A worker that looked dead (claimed too long ago) lost its row to another: when it
    resumes, its message is dropped before the final dot; the row's one message is the
    other worker's."""
    (row_id,) = _pending_ids(1)
    start = utcnow()
    ((payload, attempts),) = delivery.claim_due(start, 10).values()
    # the sweep, past the sending timeout, gives the row back; a second worker takes it
    later = start + dt.timedelta(hours=1)
    assert delivery.sweep(now=later) == [row_id]
    ((payload2, attempts2),) = delivery.claim_due(later, 10).values()
    assert attempts2 == attempts + 1
    first_back = delivery._send_one(row_id, payload, attempts, start)
    assert first_back.status == "skipped"
    assert smtp.messages == []  # the server discarded the unfinished message
    assert delivery._send_one(row_id, payload2, attempts2, later).status == "sent"
    assert len(smtp.messages) == 1
    (row,) = rows(Channel.EMAIL)
    assert row.status is S.SENT and row.attempts == 2


def test_beat_requeue_kicks_a_drain_for_rows_a_killed_drain_left(app, db, smtp):
    """A drain killed while holding the kick: commits meanwhile published nothing. Once the
    kick has expired, beat's requeue asks for a drain."""
    _pending_ids(1)  # its commit kicked; that drain task is lost with its worker
    get_redis().delete(KICK_KEY)  # (the kick expired)
    tasks.requeue_pending.run()
    assert get_redis().exists(KICK_KEY)  # and a drain task is queued
    assert tasks.drain.run() == 1
    assert len(smtp.messages) == 1


def test_beat_requeue_asks_for_no_drain_when_nothing_is_due(app, db, smtp):
    """An idle desk: beat's requeue every 30 s would otherwise run (and log) an empty drain."""
    get_redis().delete(KICK_KEY)
    tasks.requeue_pending.run()
    assert not get_redis().exists(KICK_KEY)
    # A row waiting for its retry time is not due either.
    (row_id,) = _pending_ids(1)
    get_redis().delete(KICK_KEY)
    later = utcnow() + dt.timedelta(minutes=5)
    db.session.execute(
        Notification.__table__.update()
        .where(Notification.id == row_id)
        .values(next_attempt_at=later)
    )
    db.session.commit()
    tasks.requeue_pending.run()
    assert not get_redis().exists(KICK_KEY)
    assert smtp.messages == []


def test_the_claim_walks_the_due_index_in_order_also_as_a_generic_plan(db):
    """Under load the drain runs its claim hundreds of times a second; psycopg prepares it
    and PostgreSQL may then plan it once for any values. The plan must still be an index
    scan over the due e-mails in the claim's order, stopping at the LIMIT: a bitmap scan or a
    sequential scan visits every row sent since the last vacuum, at every claim."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plans")
    (first,) = _pending_ids(1)
    with db.engine.begin() as conn:  # 5,000 e-mails once pending, now sent, not yet vacuumed
        conn.exec_driver_sql(
            "INSERT INTO notification (event, ticket_id, recipient_id, channel, payload,"
            " dedupe_key, status, attempts, next_attempt_at, last_error, created_at)"
            " SELECT event, ticket_id, recipient_id, channel, payload, dedupe_key || '-' || g,"
            " status, attempts, next_attempt_at - g * interval '1 second', last_error,"
            " created_at FROM notification, generate_series(1, 5000) AS g WHERE id = %(first)s",
            {"first": first},
        )
        conn.exec_driver_sql(
            "UPDATE notification SET status = 'sent' WHERE id <> %(first)s", {"first": first}
        )
        conn.exec_driver_sql("ANALYZE notification")
    compiled = select(delivery._CHOICE.c.id).compile(
        dialect=postgresql.dialect(paramstyle="numeric_dollar")
    )
    # EXECUTE takes no bound parameters: the values are written as literals.
    values = {"now": f"'{utcnow().isoformat()}'::timestamptz", "limit": "10"}
    arguments = ", ".join(values[name] for name in compiled.positiontup)
    with db.engine.connect() as conn:
        conn.exec_driver_sql(f"PREPARE claim AS {compiled}")
        conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        explain = f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE claim({arguments})"
        plan = "\n".join(row[0] for row in conn.exec_driver_sql(explain))
        conn.rollback()
    assert "Index Scan using ix_notification_email_due" in plan, plan
    assert "Bitmap" not in plan and "Seq Scan" not in plan, plan
