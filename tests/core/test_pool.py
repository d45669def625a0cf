"""Pooled connections: reused without a round trip, replaced when the server closed them."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, event, text

from desk.core.pool import server_has_hung_up
from tests.conftest import _database_url

pytestmark = pytest.mark.skipif(
    not _database_url().startswith("postgresql"), reason="PostgreSQL closes the connection"
)


@pytest.fixture
def engine(app) -> Iterator[Engine]:
    """One pooled connection, with desk's engine options."""
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    engine = create_engine(_database_url(), pool_size=1, max_overflow=0, **options)
    yield engine
    engine.dispose()


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_healthy_connection_is_reused_with_no_statement_before_the_query(engine):
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    first = _backend_pid(engine)
    assert _backend_pid(engine) == _backend_pid(engine) == first
    # no ping: each checkout ran only its own query
    assert statements == ["SELECT pg_backend_pid()"] * 3


def test_a_connection_on_a_descriptor_above_1023_is_still_reused(engine):
    """A busy process has many files open: its sockets get numbers select() cannot take."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:
        pytest.skip("too few file descriptors allowed to open 1,100")
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        first = _backend_pid(engine)  # the connection opens on a descriptor above 1023
        with engine.connect() as conn:
            assert conn.connection.dbapi_connection.fileno() > 1023
        assert _backend_pid(engine) == first  # reused, not reopened at each checkout
    finally:
        for fd in held:
            os.close(fd)


def test_a_connection_the_server_terminated_is_replaced_before_use(engine):
    first = _backend_pid(engine)
    admin = create_engine(_database_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": first}).scalar()
        alive = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p")
        deadline = time.monotonic() + 10
        while conn.execute(alive, {"p": first}).scalar() and time.monotonic() < deadline:
            time.sleep(0.02)  # the backend has exited, its socket closed
    admin.dispose()
    second = _backend_pid(engine)  # no error: a fresh connection was opened
    assert second != first


def test_sqlite_connections_are_never_said_to_be_closed(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/x.db")
    with engine.connect() as conn:
        assert not server_has_hung_up(conn.connection.dbapi_connection)
        assert conn.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()
