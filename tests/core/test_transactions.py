"""`on_commit`: callbacks run once after a real commit, never after a rollback."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from desk.core.models import WorkerHeartbeat
from desk.core.transactions import on_commit


def _write(db, name: str) -> None:
    db.session.add(WorkerHeartbeat(worker=name))
    db.session.flush()


def test_runs_after_the_commit_not_before(db):
    seen: list[int] = []

    def count_committed_rows() -> None:
        # Another connection sees the row only once it is committed.
        with db.engine.connect() as conn:
            seen.append(conn.scalar(select(func.count()).select_from(WorkerHeartbeat)))

    _write(db, "a")
    on_commit(count_committed_rows)
    db.session.flush()
    assert seen == []
    db.session.commit()
    assert seen == [1]


def test_runs_once(db):
    calls: list[str] = []
    _write(db, "a")
    on_commit(lambda: calls.append("x"))
    db.session.commit()
    _write(db, "b")
    db.session.commit()
    db.session.commit()
    assert calls == ["x"]


def test_dropped_on_rollback(db):
    calls: list[str] = []
    _write(db, "a")
    on_commit(lambda: calls.append("rolled back"))
    db.session.rollback()
    _write(db, "b")
    db.session.commit()
    assert calls == []
    assert db.session.scalar(select(WorkerHeartbeat.worker)) == "b"


def test_dropped_when_the_session_closes_without_commit(db):
    calls: list[str] = []
    _write(db, "a")
    on_commit(lambda: calls.append("closed"))
    db.session.remove()  # the end of a request that never committed
    _write(db, "b")
    db.session.commit()
    assert calls == []


def test_a_failing_callback_is_logged_and_the_others_still_run(db, caplog):
    calls: list[str] = []

    def boom() -> None:
        raise RuntimeError("broker down")

    _write(db, "a")
    on_commit(lambda: calls.append("first"))
    on_commit(boom)
    on_commit(lambda: calls.append("last"))
    with caplog.at_level(logging.ERROR, logger="desk.core.transactions"):
        db.session.commit()  # does not raise
    assert calls == ["first", "last"]
    assert "broker down" in caplog.text
    assert db.session.scalar(select(func.count()).select_from(WorkerHeartbeat)) == 1


def test_savepoints_wait_for_the_outer_commit_and_roll_back_alone(db):
    calls: list[str] = []
    _write(db, "outer")
    with db.session.begin_nested():
        _write(db, "kept")
        on_commit(lambda: calls.append("kept"))
    assert calls == []  # a released savepoint is not a commit
    savepoint = db.session.begin_nested()
    _write(db, "undone")
    on_commit(lambda: calls.append("undone"))
    savepoint.rollback()
    db.session.commit()
    assert calls == ["kept"]
