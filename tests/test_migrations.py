"""Migrations: one head, models in sync, and upgrade → downgrade → upgrade from empty."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url

from desk.extensions import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _script() -> ScriptDirectory:
    cfg = AlembicConfig(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg)


def test_single_head():
    assert len(_script().get_heads()) == 1


def test_every_migration_has_a_dated_name_and_a_message():
    for revision in _script().walk_revisions():
        name = Path(revision.path).name
        assert name[:8].isdigit() and name[8] == "_", name
        assert revision.doc and len(revision.doc) > 10, name


def test_models_match_the_migrations(app_ctx):
    from desk.core.db import include_object

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


@pytest.fixture
def scratch_database(app):
    """An empty database of the same engine as the suite's, dropped afterwards."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        path = Path(url.database).with_name(f"scratch-{uuid.uuid4().hex}.sqlite3")
        yield url.set(database=str(path))
        path.unlink(missing_ok=True)
        return
    name = f"desk_scratch_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _leftovers(engine) -> list[tuple[str, str]]:
    """What a downgrade to base left behind besides tables: views, sequences, functions,
    enum/domain types (on PostgreSQL); indexes and triggers (on SQLite)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(
                text(
                    "SELECT type, name FROM sqlite_master WHERE type != 'table'"
                    " AND name NOT LIKE 'sqlite_%' AND tbl_name != 'alembic_version'"
                )
            )
            return [tuple(r) for r in rows]
        rows = conn.execute(
            text(
                "SELECT 'relation', c.relname FROM pg_class c JOIN pg_namespace n"
                " ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"
                " AND c.relkind IN ('v', 'm', 'S') UNION ALL"
                " SELECT 'function', p.proname FROM pg_proc p JOIN pg_namespace n"
                " ON n.oid = p.pronamespace WHERE n.nspname = current_schema() UNION ALL"
                " SELECT 'type', t.typname FROM pg_type t JOIN pg_namespace n"
                " ON n.oid = t.typnamespace WHERE n.nspname = current_schema()"
                " AND t.typtype IN ('e', 'd')"
            )
        )
        return sorted(tuple(r) for r in rows)


class _Schema:
    """The scratch database seen by an app of its own (`schema`): its schema moved by the
    app's migrations, its rows read and written through its own engine."""

    def __init__(self, directory: str, engine: Engine):
        self.directory = directory
        self.engine = engine

    def upgrade(self, revision: str = "head") -> None:
        from flask_migrate import upgrade

        upgrade(directory=self.directory, revision=revision)

    def downgrade(self, revision: str) -> None:
        from flask_migrate import downgrade

        downgrade(directory=self.directory, revision=revision)

    @contextlib.contextmanager
    def filling(self) -> Iterator[Connection]:
        """A transaction for rows on their own: on PostgreSQL their foreign keys are not
        checked (the tickets, users or queues they name do not matter here)."""
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            yield conn

    def rows(self, query: str) -> list:
        with self.engine.connect() as conn:
            return conn.execute(text(query)).all()


@pytest.fixture
def schema(scratch_database):
    """`schema(**environment)`: a `_Schema` on the scratch database, in the app context of
    an app made with that environment too (DESK_UPLOAD_DIR, ...)."""
    from config import TestingConfig
    from desk import create_app

    url = scratch_database.render_as_string(hide_password=False)
    engine = create_engine(url)
    contexts = []

    def open_schema(**environment: str) -> _Schema:
        other = create_app(
            TestingConfig({**os.environ, "DESK_TEST_DATABASE_URL": url, **environment})
        )
        contexts.append(other.app_context())
        contexts[-1].push()
        return _Schema(other.extensions["migrate"].directory, engine)

    yield open_schema
    for context in reversed(contexts):
        db.session.remove()
        db.engine.dispose()
        context.pop()
    engine.dispose()


def _before(revision: str) -> str:
    """The revision `revision` upgrades from."""
    return _script().get_revision(revision).down_revision


def _text(value) -> str | None:
    """A date and time as the database gives it back, to the second, as text."""
    return None if value is None else str(value)[:19]


def test_upgrade_downgrade_upgrade(schema):
    migrations = schema()
    migrations.upgrade()
    tables = set(inspect(migrations.engine).get_table_names())
    assert {"user", "ticket", "queue", "request_type"} <= tables
    migrations.downgrade("base")
    assert set(inspect(migrations.engine).get_table_names()) <= {"alembic_version"}
    assert _leftovers(migrations.engine) == []
    migrations.upgrade()
    # The schema built again after the round trip is still the models' own.
    from desk.core.db import include_object

    with migrations.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        assert compare_metadata(context, db.metadata) == []


def test_files_on_disk_move_into_the_database_and_back(schema, tmp_path):
    """The attachment-content migration reads the files earlier versions wrote under
    DESK_UPLOAD_DIR (a missing one stays missing); its downgrade writes them out again."""
    uploads = tmp_path / "uploads"
    migrations = schema(DESK_UPLOAD_DIR=str(uploads))
    after = "a7c3e9f1b2d4"
    migrations.upgrade(_before(after))
    for key, content in (("ab" + "1" * 38, b"%PDF-1.4 kept"), ("cd" + "2" * 38, None)):
        if content is not None:
            (uploads / key[:2]).mkdir(parents=True, exist_ok=True)
            (uploads / key[:2] / key).write_bytes(content)
        with migrations.filling() as conn:  # an attachment alone: its ticket does not matter
            conn.execute(
                text(
                    "INSERT INTO attachment (ticket_id, uploader_id, filename, content_type,"
                    " size, sha256, storage_key, is_internal, created_at) VALUES (1, 1,"
                    " 'f.pdf', 'application/pdf', 3, :h, :k, false, CURRENT_TIMESTAMP)"
                ),
                {"h": key[:2] * 32, "k": key},
            )
    migrations.upgrade(after)
    moved = migrations.rows(
        "SELECT a.sha256, c.data FROM attachment a LEFT JOIN attachment_content c"
        " ON c.attachment_id = a.id ORDER BY a.id"
    )
    assert [(h[:2], bytes(d) if d is not None else None) for h, d in moved] == [
        ("ab", b"%PDF-1.4 kept"),
        ("cd", None),
    ]
    migrations.downgrade(_before(after))
    keys = [key for (key,) in migrations.rows("SELECT storage_key FROM attachment ORDER BY id")]
    assert (uploads / keys[0][:2] / keys[0]).read_bytes() == b"%PDF-1.4 kept"
    assert not (uploads / keys[1][:2] / keys[1]).exists()


def test_ended_links_give_their_login_up_and_a_downgrade_placeholder_is_no_login(schema):
    """c45a90557e16 moves the login of links the sync ended into former_login; its downgrade
    writes "#released-<id>" where a link has none, which the next upgrade must not record as
    anybody's former login (the admin page and the person's export would show it)."""
    migrations = schema()
    after = "c45a90557e16"
    links = "SELECT user_id, login, former_login FROM directory_link ORDER BY user_id"
    migrations.upgrade(_before(after))
    with migrations.filling() as conn:
        for user_id, login, gone in ((1, "cmartin", True), (2, "jdupont", False)):
            conn.execute(
                text(
                    "INSERT INTO directory_link (user_id, login, dn, applied, is_gone)"
                    " VALUES (:u, :l, :dn, '{}', :g)"
                ),
                {"u": user_id, "l": login, "dn": f"uid={login},ou=people", "g": gone},
            )
    migrations.upgrade(after)
    assert migrations.rows(links) == [(1, None, "cmartin"), (2, "jdupont", None)]
    migrations.downgrade(_before(after))
    placeholder = migrations.rows("SELECT login FROM directory_link WHERE user_id = 1")
    assert placeholder == [("#released-1",)]
    migrations.upgrade(after)
    assert migrations.rows(links) == [(1, None, None), (2, "jdupont", None)]


def test_new_ticket_switches_the_page_wrote_off_are_dropped(schema):
    """d7e3a9c1f5b8: the preferences page wrote 'new tickets: off' for everyone who saved it
    (it has no such switch); those rows go, the choices people made stay."""
    migrations = schema()
    after = "d7e3a9c1f5b8"
    migrations.upgrade(_before(after))
    with migrations.filling() as conn:
        for user_id, event, on in (
            (1, "new_ticket", False),
            (1, "sla_warning", False),
            (2, "new_ticket", True),
            (2, "resolved", False),
        ):
            conn.execute(
                text(
                    "INSERT INTO notification_preference (user_id, event, email_enabled)"
                    " VALUES (:u, :e, :on)"
                ),
                {"u": user_id, "e": event, "on": on},
            )
    migrations.upgrade(after)
    rows = migrations.rows(
        "SELECT user_id, event, email_enabled FROM notification_preference ORDER BY user_id, event"
    )
    assert [(u, e, bool(on)) for u, e, on in rows] == [
        (1, "sla_warning", False),
        (2, "new_ticket", True),
        (2, "resolved", False),
    ]


def test_sla_starts_per_target_are_backfilled_and_folded_back(schema):
    """f2b9d4e6a8c1: each target of a ticket counts from its own start. A ticket with dates of
    a target had it from `sla_started_at` (a policy given after its creation) or else from its
    creation; one without dates has no start. The downgrade puts the earlier start back."""
    migrations = schema()
    after = "f2b9d4e6a8c1"
    created, given, due = "2026-11-16 08:00:00", "2026-11-18 09:00:00", "2026-11-19 09:00:00"
    migrations.upgrade(_before(after))
    with migrations.filling() as conn:
        for ticket_id, first_due, resolution_due, started in (
            (1, due, due, None),  # had its policy from its creation
            (2, None, due, given),  # its policy came later
            (3, None, None, None),  # no policy
        ):
            conn.execute(
                text(
                    "INSERT INTO ticket (id, reference, kind, request_type_id, domain_id,"
                    " category_id, queue_id, requester_id, subject, status, priority, data,"
                    " created_at, updated_at, version, first_response_due_at,"
                    " resolution_due_at, sla_started_at) VALUES (:id, :ref, 'request', 1,"
                    " 1, 1, 1, 1, 's', 'new', 2, '{}', :created, :created, 1, :first,"
                    " :resolution, :started)"
                ),
                {
                    "id": ticket_id,
                    "ref": f"DEM-2026-{ticket_id:06d}",
                    "created": created,
                    "first": first_due,
                    "resolution": resolution_due,
                    "started": started,
                },
            )
    migrations.upgrade(after)
    rows = migrations.rows(
        "SELECT id, first_response_started_at, resolution_started_at FROM ticket ORDER BY id"
    )
    assert [(i, _text(f), _text(r)) for i, f, r in rows] == [
        (1, created, created),
        (2, None, given),
        (3, None, None),
    ]
    migrations.downgrade(_before(after))
    rows = migrations.rows("SELECT id, sla_started_at FROM ticket ORDER BY id")
    assert [(i, _text(s)) for i, s in rows] == [(1, created), (2, given), (3, None)]


def test_sla_policy_targets_added_at_are_backfilled_from_the_last_save(schema):
    """b6c8e2f4a1d3: a policy keeps when each target was added. A policy from before had its
    targets at its last save at the latest (what the recompute read); no target, no time."""
    migrations = schema()
    after = "b6c8e2f4a1d3"
    saved = "2026-11-18 09:00:00"
    migrations.upgrade(_before(after))
    with migrations.filling() as conn:
        for policy_id, first, resolution in ((1, 240, 540), (2, None, 540), (3, 60, None)):
            conn.execute(
                text(
                    "INSERT INTO sla_policy (id, request_type_id, calendar_id,"
                    " first_response_minutes, resolution_minutes, warning_percent,"
                    " updated_at) VALUES (:id, :id, 1, :first, :resolution, 75, :saved)"
                ),
                {"id": policy_id, "first": first, "resolution": resolution, "saved": saved},
            )
    migrations.upgrade(after)
    rows = migrations.rows(
        "SELECT id, first_response_added_at, resolution_added_at FROM sla_policy ORDER BY id"
    )
    assert [(i, _text(f), _text(r)) for i, f, r in rows] == [
        (1, saved, saved),
        (2, None, saved),
        (3, saved, None),
    ]
    migrations.downgrade(_before(after))
    columns = {c["name"] for c in inspect(migrations.engine).get_columns("sla_policy")}
    assert "resolution_added_at" not in columns
