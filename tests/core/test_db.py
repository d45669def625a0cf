"""UTC columns: every PostgreSQL session in UTC, whatever the client's environment says."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, text

from desk.core.db import UTCDateTime
from tests.conftest import _database_url

pytestmark = pytest.mark.skipif(
    not _database_url().startswith("postgresql"), reason="SQLite has no session time zone"
)


@pytest.fixture
def paris_client(monkeypatch):
    """libpq sends PGTZ as the session's zone: a host set up for local time."""
    monkeypatch.setenv("PGTZ", "Europe/Paris")
    engine = create_engine(_database_url(), pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def test_a_session_is_in_utc_even_when_the_client_asks_for_local_time(paris_client):
    with paris_client.connect() as conn:
        assert conn.execute(text("SHOW TimeZone")).scalar_one() == "UTC"
        # what PostgreSQL derives from the session's zone: 23:30 UTC is still the 1st
        day = conn.execute(text("SELECT CAST(TIMESTAMPTZ '2026-03-01 23:30+00' AS date)"))
        assert day.scalar_one() == dt.date(2026, 3, 1)
        conn.rollback()  # the setting outlives the transactions that follow
        assert conn.execute(text("SHOW TimeZone")).scalar_one() == "UTC"


def test_loaded_datetimes_carry_python_utc_itself(paris_client):
    with paris_client.connect() as conn:
        value = conn.execute(text("SELECT TIMESTAMPTZ '2026-03-01 23:30+00'")).scalar_one()
    assert value.tzinfo is dt.UTC
    assert value == dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
    column = UTCDateTime()
    assert column.process_result_value(value, paris_client.dialect) is value


def test_an_instant_read_back_is_the_one_written(paris_client):
    written = dt.datetime(2026, 10, 25, 2, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    with paris_client.connect() as conn:
        read = conn.execute(text("SELECT CAST(:at AS timestamptz)"), {"at": written})
        value = read.scalar_one()
    assert value == written and value.tzinfo is dt.UTC
    assert value.hour == 0 and value.minute == 30


@pytest.fixture
def named(monkeypatch):
    """A fresh engine after this process has named its connections."""
    import desk.core.db as core_db

    monkeypatch.setattr(core_db, "_process_name", core_db._process_name)
    monkeypatch.delenv("PGAPPNAME", raising=False)
    engines = []

    def connect(name: str):
        core_db.name_connections(name)
        engine = create_engine(_database_url(), pool_size=1, max_overflow=0)
        engines.append(engine)
        return engine.connect()

    yield connect
    for engine in engines:
        engine.dispose()


def test_a_session_carries_the_process_name_for_pg_stat_activity(named):
    with named("desk worker") as conn:
        assert conn.execute(text("SHOW application_name")).scalar_one() == "desk worker"
        seen = conn.execute(
            text("SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()")
        ).scalar_one()
        assert seen == "desk worker"
        assert conn.execute(text("SHOW TimeZone")).scalar_one() == "UTC"  # both, in one go


def test_a_name_is_quoted_not_run(named):
    with named("it's; DROP TABLE ticket --") as conn:
        assert conn.execute(text("SHOW application_name")).scalar_one() == (
            "it's; DROP TABLE ticket --"
        )


def test_the_operators_pgappname_wins(named, monkeypatch):
    monkeypatch.setenv("PGAPPNAME", "desk-web-host-3")
    with named("desk web") as conn:
        assert conn.execute(text("SHOW application_name")).scalar_one() == "desk-web-host-3"
        assert conn.execute(text("SHOW TimeZone")).scalar_one() == "UTC"
