"""Ticket search at 1,000,000 tickets, staff's and a requester's: server-side time, p50 / p99.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 as user postgres, like the tests):

    .venv/bin/python bench/search.py [--tickets 1000000] [--requests 200] [--keep] [--reuse]

1. A PostgreSQL database of its own (desk_bench_search; DESK_BENCH_SEARCH_DATABASE_URL picks
   another), its schema built by the migrations, dropped at the end unless --keep (--reuse
   measures a kept one again and keeps it).
2. Seed with bench/queues.py's reference data and its ONE `INSERT ... SELECT generate_series`
   of tickets, each given a French description (one of eight sentences, a PC label shared by
   20 tickets, a room); one ticket in ten gets a public reply and one in twenty an internal
   note. The search documents are then built by the migration's own set-based backfill, and
   the GIN / trigram indexes after it (as a bulk load would); VACUUM ANALYZE.
3. Measure the real search view through the Flask test client (in process: routing, session,
   the ranked query, the template) for a technician of one queue (of 20) and for an admin,
   and "Search my requests" for a requester (50 requests of her own, in copy of 5 others'),
   each case --requests times after a warm-up, with gc.freeze() as in wsgi.py.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench import queues as base  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1/desk_bench_search"
TARGET_MS = 50

DESCRIPTION_SQL = """jsonb_build_object('description',
    (ARRAY['Le vidéoprojecteur de la salle ne s''allume plus',
           'L''imprimante du secrétariat affiche une erreur de bourrage',
           'Impossible de se connecter au réseau sans fil depuis ce matin',
           'La messagerie refuse mon mot de passe après le changement',
           'Le poste redémarre tout seul pendant les cours',
           'Demande d''accès au dossier partagé du laboratoire',
           'La licence du logiciel de statistiques a expiré',
           'Le téléphone du bureau ne sonne plus'])[1 + m % 8]
    || '. Étiquette PC-' || lpad(((n::bigint * 7919) % 50000)::text, 5, '0')
    || ', salle ' || (100 + n % 397))"""

EVENTS_SQL = """
INSERT INTO ticket_event (ticket_id, actor_id, kind, body, is_internal, created_at)
SELECT t.id, t.assignee_id, 'reply',
       'Bonjour, nous avons remplacé le câble réseau et redémarré le commutateur.', false,
       t.created_at + interval '2 hours'
FROM ticket t WHERE t.id % 10 = 0 AND t.assignee_id IS NOT NULL;
INSERT INTO ticket_event (ticket_id, actor_id, kind, body, is_internal, created_at)
SELECT t.id, t.assignee_id, 'note',
       'Matériel sous garantie constructeur, voir le contrat de maintenance.', true,
       t.created_at + interval '3 hours'
FROM ticket t WHERE t.id % 20 = 0 AND t.assignee_id IS NOT NULL;
"""

INDEXES = {
    "ix_ticket_search_document": "ON ticket_search USING gin (document)",
    "ix_ticket_reference_trgm": "ON ticket USING gin (reference gin_trgm_ops)",
}


def _migration():
    """The search migration module, for its BACKFILL statement (the same SQL as production's)."""
    path = next((ROOT / "migrations" / "versions").glob("*_ticket_search_documents_*.py"))
    spec = importlib.util.spec_from_file_location("search_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seed(url: str, app, total: int) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory, revision="heads")
    tickets_sql = base.TICKETS_SQL.replace("'{}'::jsonb", DESCRIPTION_SQL)
    assert tickets_sql != base.TICKETS_SQL, "bench/queues.py changed its ticket data"
    engine = create_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        for name in INDEXES:
            conn.execute(text(f"DROP INDEX {name}"))
        base.seed_reference(conn)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        original, base.TICKETS_SQL = base.TICKETS_SQL, tickets_sql
        try:
            base.seed_tickets(conn, total)
        finally:
            base.TICKETS_SQL = original
        for statement in EVENTS_SQL.split(";"):
            if statement.strip():
                conn.execute(text(statement))
    inserted = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        conn.execute(text(_migration().BACKFILL))
        documents = time.perf_counter()
        for name, definition in INDEXES.items():
            conn.execute(text(f"CREATE INDEX {name} {definition}"))
    indexed = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(
        f"seeded {total:,} tickets in {inserted - started:.0f} s, search documents "
        f"{documents - inserted:.0f} s, GIN/trigram indexes {indexed - documents:.0f} s, "
        f"VACUUM ANALYZE {time.perf_counter() - indexed:.0f} s",
        flush=True,
    )
    engine.dispose()


def _requester_with_copies(url: str) -> str:
    """Sophie Nom18381 (the requester of ticket 20 and 49 others) with the bench's password,
    in copy of five tickets of other people; her address."""
    from werkzeug.security import generate_password_hash

    engine = create_engine(url)
    with engine.begin() as conn:
        user_id = conn.execute(
            text("SELECT requester_id FROM ticket WHERE reference = 'DEM-2000-00000020'")
        ).scalar_one()
        password = generate_password_hash("bench", method="pbkdf2:sha256:1000")
        email = conn.execute(
            text('UPDATE "user" SET password_hash = :pw WHERE id = :id RETURNING email'),
            {"pw": password, "id": user_id},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO ticket_watcher (ticket_id, user_id, added_by_id, created_at)"
                " SELECT id, :id, requester_id, now() FROM ticket"
                " WHERE requester_id <> :id ORDER BY id DESC LIMIT 5"
                " ON CONFLICT DO NOTHING"
            ),
            {"id": user_id},
        )
    engine.dispose()
    return email


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a kept database again")
    args = parser.parse_args()
    url = os.environ.get("DESK_BENCH_SEARCH_DATABASE_URL", DEFAULT_URL)
    if not args.reuse:
        base.create_database(url)
    app = base.build_app(url)
    try:
        if not args.reuse:
            seed(url, app, args.tickets)
        tech = base.login(app, "tech1@bench.fr")
        admin = base.login(app, "admin@bench.fr")
        requester = base.login(app, _requester_with_copies(url))
        reference = f"DEM-2000-{args.tickets // 2 - (args.tickets // 2) % 20 + 20:08d}"
        # The seed gives ticket n the queue 1 + n % 20, the PC label (7919 n) mod 50,000 and
        # the requester (7919 n) mod 20,000: the 20 tickets of a label and the 50 of a
        # requester share a queue. PC-08380 and Sophie Nom18381 are ticket 20's, in queue 1,
        # one of tech1's: the technician's searches find rows, not an empty page.
        cases = [
            ("word in the description (a PC label, 20 tickets)", tech, "PC-08380"),
            ("requester's name (50 tickets)", tech, "Sophie Nom18381"),
            ("reference", tech, reference),
            ("no match", tech, "zygomorphe"),
            ("word in the description, admin (all queues)", admin, "PC-08380"),
            ("common word (1 ticket in 8, 6,250 in the queue)", tech, "vidéoprojecteur"),
            ("common word, admin (125,000 tickets)", admin, "vidéoprojecteur"),
            # "Search my requests": Sophie's 50 requests and the 5 she is in copy of.
            ("a requester's own: a PC label", requester, "PC-08380"),
            ("a requester's own: a common word", requester, "vidéoprojecteur"),
            ("a requester's own: a reference", requester, "DEM-2000-00000020"),
            ("a requester's own: no match", requester, "zygomorphe"),
        ]
        gc.freeze()
        results = {}
        for label, client, q in cases:
            page = "/mes-demandes/recherche?" if client is requester else "/recherche?"
            url_ = page + __import__("urllib.parse").parse.urlencode({"q": q})
            times, _rows = base.measure(client, url_, args.requests)
            rows = client.get(url_).get_data(as_text=True).count("<tr data-ref")
            results[label] = (times, rows)
        print(
            f"\n{args.tickets:,} tickets, 20 queues, {args.requests} requests each, "
            "server-side time (Flask test client, in process, gc.freeze())\n"
        )
        print("| search | rows on page 1 | p50 (ms) | p99 (ms) | target p99 |")
        print("| --- | --- | --- | --- | --- |")
        for label, (times, rows) in results.items():
            print(
                f"| {label} | {rows} | {base.p50(times):.1f} | {base.p99(times):.1f} "
                f"| < {TARGET_MS} ms |",
                flush=True,
            )
    finally:
        from desk.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if not (args.keep or args.reuse):  # a database measured again is kept for the next run
            base.drop_database(url)


if __name__ == "__main__":
    main()
