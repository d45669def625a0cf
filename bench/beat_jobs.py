"""What beat's periodic jobs read at 1,000,000 tickets, whatever the size of the history: the
SLA sweep's look-ups and the waiting-on-requester runs (reminders, auto-close).

Run from the repository root (PostgreSQL on 127.0.0.1:5432 as user postgres):

    .venv/bin/python bench/search.py --keep            # once: seeds desk_bench_search (1M)
    .venv/bin/python bench/beat_jobs.py [--runs 30] [--whole-table-indexes]

It upgrades the kept database (DESK_BENCH_DATABASE_URL, default desk_bench_search) to the
current migrations, then works in ONE transaction it rolls back at the end: the database is
left as it was.

1. SLA sweep: the four candidate queries (`desk.sla.sweep._pending`, what `sweep_sla` runs per
   threshold kind) at the current time: p50 / p99 over --runs, the rows found, and from one
   EXPLAIN ANALYZE the index used and the ticket rows read only to be dropped ("Rows Removed
   by Filter"). The seeded table is mostly history (closed and cancelled tickets, due dates
   long past), 6 % open. --whole-table-indexes measures it with the indexes the sweep had
   before migration f6a8b0c2d4e6 (one per threshold column over the whole table), built in
   the transaction.
2. Waiting on requester: the seed has no status history, so the transaction first adds what
   a desk of that size holds: a status change for every ticket, a change to "waiting on
   requester" for the waiting ones and one in five of the others, a closing change for the
   finished ones (about 2.2 million rows). Then, --runs // 5 times each: `waiting_tickets()`,
   a whole reminder run and a whole auto-close run (`now` in the past: nothing is due, nothing
   written), and, for comparison, the query `waiting_tickets` ran before 2026-12-03 (every
   status change of the history grouped by ticket).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import queues as base

# The wait's start as it was read before 2026-12-03: every change to "waiting" grouped first.
GROUPED_HISTORY = """
SELECT t.id, t.queue_id, s.since FROM ticket t JOIN (
    SELECT ticket_id, max(created_at) AS since FROM ticket_event
    WHERE kind = 'change' AND field = 'status' AND new_value = 'waiting_on_requester'
    GROUP BY ticket_id) s ON s.ticket_id = t.id
WHERE t.status = 'waiting_on_requester' ORDER BY t.id
"""
HISTORY = [
    ("'new'", "'assigned'", "'1 hour'", "true"),
    (
        "'assigned'",
        "'waiting_on_requester'",
        "'1 day'",
        "status = 'waiting_on_requester' OR mod(id, 5) = 0",
    ),
    ("'in_progress'", "status", "'2 days'", "status IN ('resolved', 'closed', 'cancelled')"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--whole-table-indexes", action="store_true")
    args = parser.parse_args()
    app = base.kept_database_app()

    from desk.extensions import db

    with app.app_context():
        # The jobs commit when done; here nothing may be: their commit only flushes (with
        # nothing due they write nothing anyway), and the transaction is rolled back.
        db.session.commit = db.session.flush
        try:
            conn = db.session.connection()  # the session's transaction: rolled back below
            sla_sweep(conn, args.runs, args.whole_table_indexes)
            waiting(conn, max(args.runs // 5, 1))
        finally:
            db.session.rollback()


def sla_sweep(conn, runs: int, whole_table_indexes: bool) -> None:
    from sqlalchemy import func, select

    from desk.sla import sweep
    from desk.tickets.models import Ticket, open_clause

    if whole_table_indexes:
        for column, _due in sweep.THRESHOLDS.values():
            conn.exec_driver_sql(f"DROP INDEX ix_ticket_running_{column}")
            conn.exec_driver_sql(f"CREATE INDEX ix_ticket_{column} ON ticket ({column})")
        conn.exec_driver_sql("ANALYZE ticket")
    total = conn.scalar(select(func.count()).select_from(Ticket))
    opened = conn.scalar(select(func.count()).select_from(Ticket).where(open_clause()))
    which = "whole table" if whole_table_indexes else "running tickets only"
    print(f"SLA sweep: {total:,} tickets, {opened:,} open; indexes: {which}; {runs} runs a kind\n")
    print("| threshold kind | p50 ms | p99 ms | found | index | rows read and dropped |")
    print("| --- | --- | --- | --- | --- | --- |")
    for kind, (column, _due) in sweep.THRESHOLDS.items():
        statement = (
            select(Ticket.id)
            .where(sweep._pending(kind, dt.datetime.now(dt.UTC)))
            .order_by(getattr(Ticket, column))
            .limit(sweep.BATCH)
        )
        times, rows = timed(lambda statement=statement: conn.execute(statement).all(), runs)
        compiled = statement.compile(conn, compile_kwargs={"render_postcompile": True})
        plan = "\n".join(
            row[0]
            for row in conn.exec_driver_sql(
                f"EXPLAIN ANALYZE {compiled}", compiled.construct_params()
            )
        )
        index = re.search(r"Scan using (\S+) on ticket", plan)
        dropped = sum(int(n) for n in re.findall(r"Rows Removed by Filter: (\d+)", plan))
        print(
            f"| {kind.value} | {p50(times):.2f} | {p99(times):.2f} | {len(rows)} "
            f"| {index.group(1) if index else 'none (sequential scan)'} | {dropped:,} |"
        )


def waiting(conn, runs: int) -> None:
    from desk.notifications import reminders

    start = time.perf_counter()
    added = 0
    for old, new, after, where in HISTORY:
        added += conn.exec_driver_sql(
            "INSERT INTO ticket_event (ticket_id, kind, field, old_value, new_value, body, "  # noqa: S608
            f"is_internal, created_at) SELECT id, 'change', 'status', {old}, {new}, '', false, "
            f"created_at + interval {after} FROM ticket WHERE {where}"
        ).rowcount
    conn.exec_driver_sql("ANALYZE ticket_event")
    spent = time.perf_counter() - start
    print(
        f"\nWaiting on requester: {added:,} status changes added in {spent:.0f} s; "
        f"{runs} runs each\n"
    )
    past = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # nothing due: nothing written
    cases: list[tuple[str, Callable[[], object]]] = [
        ("waiting_tickets()", reminders.waiting_tickets),
        (
            "reminder run (send_waiting_reminders)",
            lambda: reminders.send_waiting_reminders(now=past),
        ),
        ("auto-close run (auto_close_waiting)", lambda: reminders.auto_close_waiting(now=past)),
        (
            "before: the history grouped by ticket (SQL only)",
            lambda: conn.exec_driver_sql(GROUPED_HISTORY).all(),
        ),
    ]
    print("| what | p50 ms | p99 ms | rows |")
    print("| --- | --- | --- | --- |")
    for label, run in cases:
        times, result = timed(run, runs)
        rows = len(result) if isinstance(result, list) else result
        print(f"| {label} | {p50(times):.0f} | {p99(times):.0f} | {rows:,} |")


def timed(run: Callable[[], object], runs: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - start) * 1000)
    return times, result


def p50(times: list[float]) -> float:
    return statistics.median(times)


def p99(times: list[float]) -> float:
    return statistics.quantiles(times, n=100)[98] if len(times) > 1 else times[0]


if __name__ == "__main__":
    main()
