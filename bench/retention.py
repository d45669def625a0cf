"""The retention sweep at 1,000,000 tickets: the metric's cost, and how fast the job erases.

Run from the repository root on the database that `bench/search.py --keep` leaves (it is not
changed: the run works on a copy, made with CREATE DATABASE ... TEMPLATE and dropped after):

    .venv/bin/python bench/retention.py [--due 20000] [--scrapes 20]

1. Ages `--due` finished tickets (they have replies, notes and search documents, as
   bench/search.py seeds them) past DESK_TICKET_RETENTION_DAYS, then VACUUM ANALYZE.
2. Times `desk_retention_overdue`'s query (what each /metrics scrape runs), p50 and worst.
3. Runs the hourly job's sweep (`desk.privacy.sweep.erase_expired`, without its time budget)
   once and times it: wall time, this process's CPU, tickets erased per second; checks that
   every due ticket was erased, that nothing else was, and that the metric reads 0 after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import queues as base  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1/desk_bench_search"
COPY = "desk_bench_retention"


def _copy(source_url: str) -> str:
    source = make_url(source_url)
    admin = create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{COPY}"'))
        conn.execute(text(f'CREATE DATABASE "{COPY}" TEMPLATE "{source.database}"'))
    admin.dispose()
    return source.set(database=COPY).render_as_string(hide_password=False)


def _drop(source_url: str) -> None:
    admin = create_engine(
        make_url(source_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{COPY}" WITH (FORCE)'))
    admin.dispose()


def _timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--due", type=int, default=20_000)
    parser.add_argument("--scrapes", type=int, default=20)
    args = parser.parse_args()
    source = os.environ.get("DESK_BENCH_SEARCH_DATABASE_URL", DEFAULT_URL)
    started = time.perf_counter()
    url = _copy(source)
    print(f"copy of {make_url(source).database}: {time.perf_counter() - started:.1f} s")
    try:
        app = base.build_app(url)
        from desk.extensions import db
        from desk.privacy import sweep

        with app.app_context():
            days = app.config["TICKET_RETENTION_DAYS"]
            total = db.session.scalar(text("SELECT count(*) FROM ticket"))
            db.session.execute(
                text(
                    "UPDATE ticket SET updated_at = now() - make_interval(days => :age)"
                    " WHERE id IN (SELECT id FROM ticket WHERE status IN"
                    " ('resolved', 'closed', 'cancelled') ORDER BY id LIMIT :due)"
                ),
                {"age": days + 30, "due": args.due},
            )
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE ticket"))
            print(f"{total:,} tickets, {args.due:,} of them finished {days + 30} days ago")

            def scrape():
                due = sweep.overdue()
                db.session.rollback()
                return due

            assert scrape()["ticket"] == args.due
            before = _timed(scrape, args.scrapes)
            print(
                f"metric query with {args.due:,} due: p50 {statistics.median(before):.2f} ms,"
                f" worst {max(before):.2f} ms"
            )
            wall, cpu = time.perf_counter(), time.process_time()
            erased = sweep.erase_expired(budget=float("inf"))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            print(
                f"erase_expired: {erased.tickets:,} tickets in {wall:.1f} s"
                f" ({erased.tickets / wall:,.0f} a second; this process's CPU {cpu:.1f} s,"
                f" {cpu / max(erased.tickets, 1) * 1000:.2f} ms a ticket)"
            )
            assert erased.tickets == args.due, erased
            erased_rows = db.session.scalar(
                text("SELECT count(*) FROM ticket WHERE erased_at IS NOT NULL")
            )
            assert erased_rows == args.due, erased_rows
            after = _timed(scrape, args.scrapes)
            assert scrape() == {"ticket": 0, "account": 0}
            print(
                f"metric query with none due: p50 {statistics.median(after):.2f} ms,"
                f" worst {max(after):.2f} ms"
            )
    finally:
        _drop(source)


if __name__ == "__main__":
    main()
