"""Queue list and "my queues" overview at 1,000,000 tickets: server-side time, p50 / p99.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 as user postgres, like the tests):

    .venv/bin/python bench/queues.py [--tickets 1000000] [--requests 200] [--keep] [--reuse]

1. A PostgreSQL database of its own (desk_bench; DESK_BENCH_DATABASE_URL picks another), its
   schema built by the migrations, dropped at the end unless --keep (--reuse measures a kept
   one again without seeding, and keeps it).
2. Seed: 20 queues with 5 technicians each, 20,000 requesters, then the tickets in ONE
   `INSERT ... SELECT generate_series` (server-side, no row crosses the wire). Like a real desk,
   most of the history is finished: the newest ~6 % are open (new, assigned, in progress,
   waiting, reopened), with due dates around now; then VACUUM ANALYZE.
3. Measure the real view functions through the Flask test client (in process, so the time is
   the server's: routing, session, queries, template), each URL --requests times after a
   warm-up: a queue's first page (default view: open tickets by due date), a filtered page
   (in progress + high priority + mine), a page 10,000 rows deep (all statuses, by due date,
   reached with the keyset cursor of row 10,000), the "my queues" overview of an admin (all
   20 queues). Prints p50 / p99 as a markdown table and the plans with --explain.
4. Each URL is measured twice: as started, then after `gc.freeze()` — the one line a
   production entry point runs once the app is built (gunicorn: after loading the app). The
   loaded app is a large heap, and without it CPython's occasional full collection (~70 ms on
   this machine, every ~100 requests) is what sets the p99; both figures are printed.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1/desk_bench"
N_QUEUES, TECHS_PER_QUEUE, N_REQUESTERS = 20, 5, 20_000
TARGETS = {"first page": 30, "filtered page": 30, "page 10,000 rows deep": 30, "overview": 50}


def admin_engine(url: str):
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def create_database(url: str) -> None:
    name = make_url(url).database
    with admin_engine(url).connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))


def drop_database(url: str) -> None:
    with admin_engine(url).connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))


# The database `bench/search.py --keep` leaves, read by the benches that need 1M tickets.
KEPT_URL = "postgresql+psycopg://postgres@127.0.0.1/desk_bench_search"


def kept_database_app():
    """The app on the kept database (DESK_BENCH_DATABASE_URL, else KEPT_URL), upgraded to the
    current migrations."""
    from flask_migrate import upgrade

    app = build_app(os.environ.get("DESK_BENCH_DATABASE_URL", KEPT_URL))
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
    return app


def build_app(url: str, env: str = "development"):
    os.environ.update(
        {
            "DESK_DATABASE_URL": url,
            "DESK_ENV": env,
            "DESK_REDIS_URL": os.environ.get("DESK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
            # A JSON access line per request is not what is measured (nor worth reading).
            "DESK_LOG_LEVEL": os.environ.get("DESK_LOG_LEVEL", "WARNING"),
            # 400 searches in a minute by one technician are the measurement, not an abuse.
            "DESK_RATELIMIT_SEARCH": "1000000 per minute",
        }
    )
    from config import load_config
    from desk import create_app

    app = create_app(load_config())
    app.logger.disabled = True
    return app


def seed_reference(conn) -> None:
    """Domain, categories, 20 queues, sites, 10 request types, 100 technicians, requesters."""
    from werkzeug.security import generate_password_hash

    password = generate_password_hash("bench", method="pbkdf2:sha256:1000")
    conn.execute(
        text(
            "INSERT INTO domain (code, name_fr, name_en, position) "
            "VALUES ('it', 'Informatique', 'IT', 0)"
        )
    )
    conn.execute(
        text(
            "INSERT INTO category (domain_id, code, name_fr, name_en, position) "
            "SELECT 1, 'cat' || g, 'Catégorie ' || g, 'Category ' || g, g "
            "FROM generate_series(1, 3) g"
        )
    )
    conn.execute(
        text(
            "INSERT INTO queue (domain_id, code, name_fr, name_en, is_active) "
            "SELECT 1, 'file-' || lpad(g::text, 2, '0'), 'File ' || g, 'Queue ' || g,"
            " true FROM generate_series(1, :n) g"
        ),
        {"n": N_QUEUES},
    )
    conn.execute(
        text(
            "INSERT INTO site (code, name, is_active) "
            "SELECT 'site' || g, 'Campus ' || g, true FROM generate_series(1, 3) g"
        )
    )
    conn.execute(
        text(
            "INSERT INTO request_type (slug, title_fr, title_en, description_fr, description_en,"
            " kind, domain_id, category_id, default_queue_id, form_key, is_active, is_staff_only,"
            " position) SELECT 'type-' || g, 'Demande ' || g, 'Request ' || g, '', '', 'request',"
            " 1, 1 + g % 3, 1 + g % :q, 'generic', true, false, g FROM generate_series(1, 10) g"
        ),
        {"q": N_QUEUES},
    )
    # Users: 1 = admin, 2..101 = technicians (5 per queue, queue q -> 2 + 5(q-1) ...), then
    # the requesters. Technician 2 ("bench tech") is also in queues 2-4, like a real lead.
    conn.execute(
        text(
            'INSERT INTO "user" (email, display_name, password_hash, role, is_staff, is_active,'
            " session_version, created_at) VALUES ('admin@bench.fr', 'Admin Bench', :pw, 'admin',"
            " true, true, 0, now())"
        ),
        {"pw": password},
    )
    conn.execute(
        text(
            'INSERT INTO "user" (email, display_name, password_hash, role, is_staff, is_active,'
            " session_version, created_at) SELECT 'tech' || g || '@bench.fr', 'Technicien ' || g,"
            " :pw, 'technician', true, true, 0, now() FROM generate_series(1, :n) g"
        ),
        {"pw": password, "n": N_QUEUES * TECHS_PER_QUEUE},
    )
    conn.execute(
        text(
            'INSERT INTO "user" (email, display_name, password_hash, role, is_staff, is_active,'
            " session_version, created_at) SELECT 'personne' || g || '@umontpellier.fr',"
            " (ARRAY['Claire','Léo','Karim','Sophie','Anne','Paul'])[1 + g % 6] || ' Nom' || g,"
            " '', 'requester', true, true, 0, now() FROM generate_series(1, :n) g"
        ),
        {"n": N_REQUESTERS},
    )
    conn.execute(
        text(
            "INSERT INTO queue_membership (queue_id, user_id, is_lead) "
            "SELECT 1 + (g - 1) / :per, 1 + g, (g - 1) % :per = 0 FROM generate_series(1, :n) g"
        ),
        {"per": TECHS_PER_QUEUE, "n": N_QUEUES * TECHS_PER_QUEUE},
    )
    conn.execute(
        text(
            "INSERT INTO queue_membership (queue_id, user_id, is_lead) "
            "SELECT q, 2, false FROM generate_series(2, 4) q"
        )
    )


TICKETS_SQL = """
INSERT INTO ticket (reference, kind, request_type_id, domain_id, category_id, queue_id,
    requester_id, assignee_id, subject, status, priority, data, site_id, created_at,
    updated_at, resolved_at, closed_at, resolution_due_at, resolution_warn_at,
    sla_paused_since, version)
SELECT 'DEM-' || (2000 + n / 100000000) || '-' || lpad(n::text, 8, '0'), 'request',
    1 + m % 10, 1, 1 + (1 + m % 10) % 3, q, 1 + :staff + (n::bigint * 7919) % :req,
    CASE WHEN st = 'new' OR (st = 'reopened' AND m % 2 = 0) THEN NULL
         ELSE 2 + (q - 1) * :per + (m / 3) % :per END,
    (ARRAY['Wi-Fi indisponible', 'Imprimante bloquée', 'Accès VPN', 'Liste de diffusion',
           'Licence Zoom', 'Changement de poste', 'Prise réseau morte', 'Compte verrouillé'])
        [1 + m % 8] || ' n° ' || n,
    st, (ARRAY[1, 2, 2, 2, 2, 2, 3, 3, 3, 4])[1 + (m * 3) % 10], '{}'::jsonb,
    CASE WHEN m % 10 < 3 THEN NULL ELSE 1 + m % 3 END,
    created, created,
    CASE WHEN st IN ('resolved', 'closed') THEN created + interval '1 day' END,
    CASE WHEN st = 'closed' THEN created + interval '4 days' END,
    due, due - interval '12 hours',
    CASE WHEN st = 'waiting_on_requester' THEN now() - interval '1 hour' END,
    1
FROM (
    -- q: the ticket's queue; m: its rank inside the queue, so no column follows the queue.
    SELECT n, m, q,
        now() - (:total - n) * interval '2 minutes' AS created,
        CASE
            WHEN m % 10 = 7 THEN NULL  -- no SLA policy for this request type
            WHEN n > :open_from THEN now() + (((m * 37) % 1000) / 100.0 - 3) * interval '1 day'
            ELSE now() - (:total - n) * interval '2 minutes' + interval '2 days'
        END AS due,
        CASE
            WHEN n > :open_from THEN
                (ARRAY['new', 'assigned', 'in_progress', 'in_progress', 'in_progress',
                       'waiting_on_requester', 'waiting_on_requester', 'reopened'])
                [1 + (m * 13) % 8]
            WHEN m % 50 = 1 THEN 'cancelled'
            WHEN n > :open_from - 20000 THEN 'resolved'
            ELSE 'closed'
        END AS st
    FROM (SELECT n, n / :queues AS m, 1 + n % :queues AS q
          FROM generate_series(1, :total) n) AS numbered
) AS g
"""


def seed_tickets(conn, total: int) -> None:
    conn.execute(text("SET LOCAL synchronous_commit = off"))
    conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    conn.execute(
        text(TICKETS_SQL),
        {
            "total": total,
            "queues": N_QUEUES,
            "per": TECHS_PER_QUEUE,
            "req": N_REQUESTERS,
            "staff": 1 + N_QUEUES * TECHS_PER_QUEUE,
            "open_from": int(total * 0.94),
        },
    )


def seed(url: str, app, total: int) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory, revision="heads")
    engine = create_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        seed_reference(conn)
    with engine.begin() as conn:
        seed_tickets(conn, total)
    inserted = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(
        f"seeded {total:,} tickets in {inserted - started:.0f} s "
        f"(+ VACUUM ANALYZE {time.perf_counter() - inserted:.0f} s)",
        flush=True,
    )
    engine.dispose()


def login(app, email: str):
    client = app.test_client()
    page = client.get("/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"email": email, "password": "bench", "csrf_token": token}
    )
    assert response.status_code == 302, response.text[:300]
    return client


def deep_cursor(app, queue_code: str, depth: int) -> str:
    """The keyset cursor of row `depth` of a queue's all-status list by due date."""
    from desk.extensions import db
    from desk.queues.cursor import encode_cursor

    with app.app_context():
        row = db.session.execute(
            text(
                "SELECT t.id, t.resolution_due_at FROM ticket t JOIN queue q ON q.id = t.queue_id "
                "WHERE q.code = :code ORDER BY t.resolution_due_at ASC NULLS LAST, t.id "
                "OFFSET :skip LIMIT 1"
            ),
            {"code": queue_code, "skip": depth - 1},
        ).one()
        return encode_cursor("due", row.resolution_due_at, row.id)


def p50(times: list[float]) -> float:
    return statistics.median(times)


def p99(times: list[float]) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[98]


def measure(client, url: str, n: int) -> tuple[list[float], int]:
    for _ in range(20):  # warm-up: caches, prepared statements
        client.get(url)
    times, rows = [], 0
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    rows = response.get_data(as_text=True).count("<tr data-")
    return times, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a kept database again")
    parser.add_argument("--explain", action="store_true", help="print the plans of the lists")
    parser.add_argument("--depth", type=int, default=10_000, help="rows before the deep page")
    args = parser.parse_args()
    url = os.environ.get("DESK_BENCH_DATABASE_URL", DEFAULT_URL)
    if not args.reuse:
        create_database(url)
    app = build_app(url)
    try:
        if not args.reuse:
            seed(url, app, args.tickets)
        tech = login(app, "tech1@bench.fr")
        admin = login(app, "admin@bench.fr")
        queue = "file-01"
        cases = [
            ("first page", tech, f"/queues/{queue}"),
            (
                "filtered page",
                tech,
                f"/queues/{queue}?status=in_progress&priority=high&assignee=mine",
            ),
            (
                "page 10,000 rows deep",
                tech,
                f"/queues/{queue}?status=all&after={deep_cursor(app, queue, args.depth)}",
            ),
            ("overview", admin, "/queues"),
            ("search (no target)", tech, f"/queues/{queue}?status=all&q=nom42"),
        ]
        # Twice: as the process starts, then after gc.freeze() (what a production entry point
        # does once the app is built). Without it, CPython's full collections walk the whole
        # heap of the loaded app (~70 ms here) every ~100 requests: that IS the p99.
        default_gc = {label: measure(client, path, args.requests) for label, client, path in cases}
        gc.freeze()
        frozen = {label: measure(client, path, args.requests) for label, client, path in cases}
        print(
            f"\n{args.tickets:,} tickets, {N_QUEUES} queues, {args.requests} requests each, "
            "server-side time (Flask test client, in process)\n"
        )
        print("| view | rows | p50 (ms) | p99 (ms) | target p99 | p50 / p99 without gc.freeze |")
        print("| --- | --- | --- | --- | --- | --- |")
        for label, _client, _path in cases:
            (times, rows), (plain, _rows) = frozen[label], default_gc[label]
            target = f"< {TARGETS[label]} ms" if label in TARGETS else "—"
            print(
                f"| {label} | {rows} | {p50(times):.1f} | {p99(times):.1f} | {target} "
                f"| {p50(plain):.1f} / {p99(plain):.1f} |",
                flush=True,
            )
        if args.explain:
            print_plans(app, queue, args.depth)
    finally:
        from desk.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if not (args.keep or args.reuse):  # a database measured again is kept for the next run
            drop_database(url)


def print_plans(app, queue: str, depth: int) -> None:
    """EXPLAIN ANALYZE of the page queries the list views send (captured from one request)."""
    from sqlalchemy import event

    from desk.extensions import db

    captured: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "FROM ticket" in statement and "LIMIT" in statement:
            captured.append((statement, parameters))

    tech = login(app, "tech1@bench.fr")
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", grab)
    try:
        tech.get(f"/queues/{queue}")
        tech.get(f"/queues/{queue}?status=in_progress&priority=high&assignee=mine")
        tech.get(f"/queues/{queue}?status=all&after={deep_cursor(app, queue, depth)}")
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    with engine.connect() as conn:
        for i, (statement, parameters) in enumerate(captured, 1):
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            print(f"\n-- query {i}\n" + "\n".join(row[0] for row in plan))


if __name__ == "__main__":
    main()
