"""The retention sweep at 1,000,000 tickets: the metric's cost, and how fast the job erases.

Run from the repository root on the database that `bench/search.py --keep` leaves (it is not
changed: the run works on a copy, made with CREATE DATABASE ... TEMPLATE and dropped after):

    .venv/bin/python bench/retention.py [--due 20000] [--scrapes 20] [--backlog]

1. Counts what the default period finds due in the seeded years (a first run's backlog), then
   sets a period longer than those years and ages `--due` finished tickets past it (they have
   replies, notes and search documents, as bench/search.py seeds them); VACUUM ANALYZE.
2. Times `desk_retention_overdue`'s query (what each /metrics scrape runs), p50 and worst.
3. Runs the hourly job's sweep (`desk.privacy.sweep.erase_expired`, without its time budget)
   once and times it: wall time, this process's CPU, tickets erased per second; checks that
   every due ticket was erased, that nothing else was, and that the metric reads 0 after.
4. With --backlog: the default period again, over the seeded years (a first run after the
   upgrade): the metric's query with that backlog due, then one run of the hourly job as beat
   runs it (its five-minute budget): how much it erases, and what is left.
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
    parser.add_argument(
        "--backlog", action="store_true", help="then run the hourly job on the seeded years"
    )
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
            total = db.session.scalar(text("SELECT count(*) FROM ticket"))
            default = app.config["TICKET_RETENTION_DAYS"]
            backlog = sweep.overdue()["ticket"]
            db.session.rollback()
            print(
                f"at the default {default} days, {backlog:,}"
                " finished tickets of the seeded years are due (a first run's backlog)"
            )
            # Measure on a known number: a period longer than the seeded years, then exactly
            # --due tickets aged past it.
            span = db.session.scalar(text("SELECT now()::date - min(updated_at)::date FROM ticket"))
            days = app.config["TICKET_RETENTION_DAYS"] = max(
                app.config["TICKET_RETENTION_DAYS"], span + 1
            )
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
            if args.backlog:
                # The first run after an upgrade: the default period over the seeded years,
                # the hourly job as beat runs it (its time budget).
                app.config["TICKET_RETENTION_DAYS"] = default
                first = _timed(scrape, args.scrapes)
                print(
                    f"metric query with the backlog due: p50 {statistics.median(first):.2f} ms,"
                    f" worst {max(first):.2f} ms"
                )
                wall = time.perf_counter()
                erased = sweep.erase_expired()
                wall = time.perf_counter() - wall
                print(
                    f"first hourly run: {erased.tickets:,} tickets in {wall:.1f} s"
                    f" ({erased.tickets / wall:,.0f} a second); still due:"
                    f" {scrape()['ticket']:,}"
                )
    finally:
        _drop(source)


if __name__ == "__main__":
    main()
