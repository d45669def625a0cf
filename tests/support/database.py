"""Build the schema with the migrations, and empty the tables between tests."""

from __future__ import annotations

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from desk.core.db import HAND_WRITTEN_TABLE_PREFIXES
from desk.extensions import db

_present: dict[str, set[str]] = {}


def _hand_written_present(conn) -> set[str]:
    """Which hand-written tables this database has (looked up once per database)."""
    key = str(conn.engine.url)
    if key not in _present:
        _present[key] = set(inspect(conn).get_table_names()) & set(HAND_WRITTEN_TABLE_PREFIXES)
    return _present[key]


def reset_schema(app: Flask) -> None:
    """Drop everything, then run every migration from empty (as production would)."""
    engine = db.engine
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            db.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    # "heads": features developed in parallel may add migrations before they are chained.
    upgrade(directory=app.extensions["migrate"].directory, revision="heads")


def truncate_all() -> None:
    """Delete every row (keeping the schema); fast on both engines."""
    db.session.remove()
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        # The hand-written search tables (kb_word, kb_article_fts) too: a word or an FTS row
        # left by a previous test would make search results depend on the order of tests.
        tables += [n for n in HAND_WRITTEN_TABLE_PREFIXES if n in _hand_written_present(conn)]
        if db.engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                conn.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608 - table names from metadata
