"""The SLA sweep's look-ups at 1,000,000 tickets: what one beat run reads to find the thresholds
crossed, whatever the size of the history.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 as user postgres):

    .venv/bin/python bench/search.py --keep            # once: seeds desk_bench_search (1M)
    .venv/bin/python bench/sla_sweep.py [--runs 30] [--whole-table-indexes]

It upgrades the kept database (DESK_BENCH_DATABASE_URL, default desk_bench_search) to the
current migrations, then, read-only (each run rolled back), times the sweep's four candidate
queries (`desk.sla.sweep._pending`, the statement `sweep_sla` runs per threshold kind) at the
current time: p50 / p99 over --runs, the rows found, and from one EXPLAIN ANALYZE the index
used and the ticket rows read only to be thrown away ("Rows Removed by Filter"). The seeded
table is mostly history (closed and cancelled tickets, due dates long past) with 1 in 14
tickets open: the figure that must not grow with it.

--whole-table-indexes measures the same with the indexes the sweep had before migration
f6a8b0c2d4e6 (one per threshold column over the whole table), built inside the measuring
transaction and rolled back with it: the database is left as it was.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import queues as base

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1/desk_bench_search"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--whole-table-indexes", action="store_true")
    args = parser.parse_args()
    url = os.environ.get("DESK_BENCH_DATABASE_URL", DEFAULT_URL)
    app = base.build_app(url)
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from desk.extensions import db
    from desk.sla import sweep
    from desk.tickets.models import Ticket, open_clause

    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        with db.engine.connect() as conn:
            transaction = conn.begin()  # everything below is rolled back
            if args.whole_table_indexes:
                for column in sweep.THRESHOLDS.values():
                    conn.exec_driver_sql(f"DROP INDEX ix_ticket_running_{column[0]}")
                    conn.exec_driver_sql(
                        f"CREATE INDEX ix_ticket_{column[0]} ON ticket ({column[0]})"
                    )
                conn.exec_driver_sql("ANALYZE ticket")
            total = conn.scalar(select(func.count()).select_from(Ticket))
            opened = conn.scalar(select(func.count()).select_from(Ticket).where(open_clause()))
            which = (
                "whole-table indexes" if args.whole_table_indexes else "running tickets' indexes"
            )
            print(
                f"{total:,} tickets, {opened:,} open; indexes: {which}; {args.runs} runs a kind\n"
            )
            print("| threshold kind | p50 ms | p99 ms | found | index | rows read and dropped |")
            print("| --- | --- | --- | --- | --- | --- |")
            for kind, (column, _due) in sweep.THRESHOLDS.items():
                _measure(conn, kind, column, args.runs, sweep, Ticket, select)
            transaction.rollback()


def _measure(conn, kind, column, runs, sweep, Ticket, select) -> None:
    now = dt.datetime.now(dt.UTC)
    statement = (
        select(Ticket.id)
        .where(sweep._pending(kind, now))
        .order_by(getattr(Ticket, column))
        .limit(sweep.BATCH)
    )
    times, found = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        found = len(conn.execute(statement).all())
        times.append((time.perf_counter() - start) * 1000)
    compiled = statement.compile(conn, compile_kwargs={"render_postcompile": True})
    plan = "\n".join(
        row[0]
        for row in conn.exec_driver_sql(f"EXPLAIN ANALYZE {compiled}", compiled.construct_params())
    )
    index = re.search(r"Scan using (\S+) on ticket", plan)
    dropped = sum(int(n) for n in re.findall(r"Rows Removed by Filter: (\d+)", plan))
    p99 = statistics.quantiles(times, n=100)[98] if len(times) > 1 else times[0]
    print(
        f"| {kind.value} | {statistics.median(times):.2f} | {p99:.2f} | {found} "
        f"| {index.group(1) if index else 'none (sequential scan)'} | {dropped:,} |"
    )


if __name__ == "__main__":
    main()
