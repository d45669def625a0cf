"""Declarative base, naming convention and column types shared by every model."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from typing import Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import Pool
from sqlalchemy.types import TypeDecorator

# Named constraints keep Alembic autogenerate output stable and migrations reviewable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    """The current instant, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


# What this process's connections are called in pg_stat_activity (application_name): an
# operator looking at a busy or stuck session sees whether the web tier, the worker or beat
# holds it. wsgi.py and worker/app.py name their process; PGAPPNAME, if set, wins.
_process_name = "desk"


def name_connections(name: str) -> None:
    """Name the connections this process opens from now on (before its first one)."""
    global _process_name
    _process_name = name


@event.listens_for(Pool, "connect")
def _session_setup(dbapi_connection: Any, _record: Any) -> None:
    """Every PostgreSQL session of desk speaks UTC, whatever the server, database, role or
    PGTZ says: psycopg then hands back `timestamptz` values in `datetime.UTC` itself, which
    UTCDateTime passes through, instead of a ZoneInfo("Etc/UTC") to convert on every value
    (a queue page reads about two hundred); and anything PostgreSQL derives from the session's
    zone (a cast to date, date_trunc) is the same on every host. The session also gets the
    process's name. Once per new connection, in one round trip."""
    if not type(dbapi_connection).__module__.startswith("psycopg"):
        return  # SQLite: no time zones
    from psycopg import sql

    setup = sql.SQL("SET TIME ZONE 'UTC'")
    if "PGAPPNAME" not in os.environ:
        name = sql.Literal(_process_name)  # PostgreSQL keeps its first 63 bytes
        setup = sql.SQL("{}; SET application_name = {}").format(setup, name)
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True  # in a transaction, a later ROLLBACK would undo it
    try:
        dbapi_connection.execute(setup)
    finally:
        dbapi_connection.autocommit = autocommit


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


@event.listens_for(Pool, "connect")
def _sqlite_lower(dbapi_connection: Any, _record: Any) -> None:
    """SQLite's own lower() folds ASCII letters only, so `ilike` (lower() on both sides)
    did not find "Élodie" for "élodie" in the people searches (accounts, filing for someone,
    queue and ticket searches), which PostgreSQL's ILIKE does. SQLite (make run, the tests)
    now uses Python's lower(), which folds every letter as PostgreSQL's lower() does; no index
    is built on lower() and PostgreSQL is left alone."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)


def use_sqlite_transactions(engine: Engine) -> None:
    """SQLite only: a savepoint is always taken inside a transaction, as on PostgreSQL
    (which this leaves alone), so that the transaction around it decides.

    pysqlite sends its BEGIN only before an INSERT, UPDATE or DELETE. A savepoint taken in a
    transaction that had only read (the first sign-in makes the account and its link in one,
    desk.identity.services._new_link) opened the database transaction itself, and its RELEASE
    committed it: a failure later in the sign-in left a half-made account. Here a BEGIN is
    sent first when no transaction is open.

    Not SQLAlchemy's full recipe ("Serializable isolation / Savepoints / Transactional DDL":
    pysqlite's BEGIN turned off, SQLAlchemy's sent at every begin): that one makes every
    read a transaction, and SQLite locks the whole file for a transaction's life. A
    connection that had read and not yet ended (a test's session between two requests, a
    page of the threaded `make run` server) then holds off every other's commit until
    "database is locked" (desk's 503 page): tests/identity failed on it at once. Reads stay
    out of transactions, as they were; the savepoint, the one thing that broke, gets its
    BEGIN."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "savepoint")
    def _begin_before_savepoint(conn: Connection, _name: str | None) -> None:
        dbapi_connection = conn.connection.dbapi_connection
        # isolation_level None: the AUTOCOMMIT level, where the caller wants no transaction.
        if dbapi_connection.isolation_level is not None and not dbapi_connection.in_transaction:
            conn.exec_driver_sql("BEGIN")


# libpq waits for ever on a server that accepts the connection and never answers (its
# postmaster hung, or packets to its host lost without a refusal): each request that needed a
# new connection hung until gunicorn killed its worker, and nobody got desk's 503 page. After
# this many seconds the connection fails (an OperationalError: the outage page, /healthz says
# "down"). A `connect_timeout` in DESK_DATABASE_URL wins.
CONNECT_TIMEOUT_SECONDS = 5


@event.listens_for(Engine, "do_connect")
def _connect_timeout(dialect: Dialect, _record: Any, _args: Any, params: dict) -> None:
    if dialect.name == "postgresql":
        params.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)


@event.listens_for(Engine, "handle_error")
def _keep_values_out_of_errors(context: Any) -> None:
    """With the parameters hidden (production, DESK_LOG_SQL_PARAMETERS off), PostgreSQL's own
    text still carried them: its DETAIL names a duplicate key's values ("Key (email)=(…)")
    or a refused row's whole content ("Failing row contains (…)"), and that text is in the
    error desk logs and in its trace. Only PostgreSQL's first line (what was refused, the
    constraint's name) is kept then; the SQLSTATE, the constraint and the rest of `diag`
    stay for the code that reads them."""
    engine = context.engine
    if engine is None or not engine.hide_parameters:
        return
    original = context.original_exception
    primary = getattr(getattr(original, "diag", None), "message_primary", None)
    if not primary:
        return
    original.args = (primary,)
    wrapped = context.sqlalchemy_exception
    if wrapped is not None:
        kind = type(original)
        wrapped.args = (f"({kind.__module__}.{kind.__name__}) {primary}",)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes stored in UTC on every engine.

    PostgreSQL keeps `timestamptz`; SQLite has no time zones, so the value is stored as naive
    UTC and made aware again on the way out. Naive input is refused: it is always a bug.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        if value.tzinfo is dt.UTC:  # PostgreSQL's: every session is in UTC (above)
            return value
        return value.astimezone(dt.UTC)


# Search structures written as SQL in migrations, which the models cannot describe
# (a generated tsvector column, GIN indexes on expressions, SQLite FTS5 tables and their
# shadow tables): autogenerate and the models-match-migrations test leave them alone.
HAND_WRITTEN = {
    ("column", "search_vector"),
    ("column", "title_vector"),
    ("index", "ix_kb_article_search_vector"),
    ("index", "ix_kb_article_title_vector"),
    ("column", "search_vector_en"),
    ("column", "title_vector_en"),
    ("index", "ix_kb_article_search_vector_en"),
    ("index", "ix_kb_article_title_vector_en"),
}
# kb_word: PostgreSQL's lexicon for typo tolerance (trigram index); kb_article_fts*: SQLite's
# (kb_article_fts_fr, French-stemmed, and kb_article_fts_en, English-stemmed, each named so that
# the tests empty it).
HAND_WRITTEN_TABLE_PREFIXES = ("kb_article_fts_fr", "kb_article_fts_en", "kb_word")


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to) -> bool:
    """Alembic's filter: False for the hand-written search structures above."""
    if type_ == "table" and name and name.startswith(HAND_WRITTEN_TABLE_PREFIXES):
        return False
    return (type_, name) not in HAND_WRITTEN
