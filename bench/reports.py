"""The SLA report at 1,000,000 tickets: an admin's and a technician's, for a month and a year,
with and without the BRIN index on the creation date; and the report's activity (per queue
and per technician) for the same four cases.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 as user postgres):

    .venv/bin/python bench/search.py --keep            # once: seeds desk_bench_search (1M)
    .venv/bin/python bench/reports.py [--runs 20] [--updated 20000]

It upgrades the kept database (DESK_BENCH_DATABASE_URL, default desk_bench_search) to the
current migrations, then works in ONE transaction it rolls back at the end. The seed writes
its tickets in creation order and never changes them; a desk's tickets change after they are
written (claimed, answered, closed), and a changed row moves to a page with room, usually the
newest. So the transaction first updates --updated tickets spread over the history, then
summarises the new block ranges (what autosummarize does in the background). Then
`desk.sla.report.sla_report` runs once to warm, then --runs times per case, the index in
place; then the index is dropped (inside the transaction) and the cases run again. (Built
again in the same transaction, it would not be used: PostgreSQL keeps an index made over rows
the transaction itself updated from that transaction's plans.) For each: p50 / p99 and, from
one EXPLAIN ANALYZE of its by-queue query, the ticket rows read (kept + removed by the recheck
or the filter).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import queues as base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--updated", type=int, default=20_000)
    args = parser.parse_args()
    app = base.kept_database_app()

    from desk.extensions import db

    with app.app_context():
        try:
            conn = db.session.connection()  # the session's transaction: rolled back below
            churn(conn, args.updated)
            cases = report_cases()
            print(f"\n{args.runs} runs each, after one to warm\n")
            print("| report | BRIN index | p50 ms | p99 ms | ticket rows read |")
            print("| --- | --- | --- | --- | --- |")
            for label, run, query in cases:
                measure(conn, label, "yes", run, query, args.runs)
            print("\nThe report's activity (desk.sla.activity), indexes in place\n")
            print("| activity | | p50 ms | p99 ms | |")
            print("| --- | --- | --- | --- | --- |")
            for label, run in activity_cases():
                measure(conn, label, "yes", run, None, args.runs)
            conn.exec_driver_sql("DROP INDEX brin_ticket_created_at")
            for label, run, query in cases:
                measure(conn, label, "no", run, query, args.runs)
        finally:
            db.session.rollback()


def churn(conn, updated: int) -> None:
    total = conn.exec_driver_sql("SELECT count(*) FROM ticket").scalar()
    start = time.perf_counter()
    step = max(total // max(updated, 1), 1)
    changed = conn.exec_driver_sql(
        f"UPDATE ticket SET updated_at = now(), version = version + 1 WHERE mod(id, {step}) = 0"  # noqa: S608
    ).rowcount
    conn.exec_driver_sql("SELECT brin_summarize_new_values('brin_ticket_created_at')")
    conn.exec_driver_sql("ANALYZE ticket")
    print(
        f"{total:,} tickets; {changed:,} of them updated, spread over the history, "
        f"in {time.perf_counter() - start:.0f} s"
    )


def report_cases():
    from desk.sla.report import period_bounds, report_query, sla_report
    from desk.tickets.models import Ticket

    admin = base_user("admin@bench.fr")
    technician = base_user("tech1@bench.fr")
    periods = _periods()
    now = dt.datetime.now(dt.UTC)
    cases = []
    for who, user in (("admin", admin), ("technician of one queue", technician)):
        for period, (first, last) in periods.items():
            start, end = period_bounds(first, last, "Europe/Paris")

            def run(user=user, first=first, last=last):
                return sla_report(user, first, last, timezone="Europe/Paris", now=now)

            query = report_query(Ticket.queue_id, user, start, end, now)
            cases.append((f"{who}, {period}", run, query))
    return cases


def activity_cases():
    from desk.sla.activity import activity_report
    from desk.sla.report import period_bounds

    cases = []
    for who, email in (("admin", "admin@bench.fr"), ("technician of one queue", "tech1@bench.fr")):
        user = base_user(email)
        for period, (first, last) in _periods().items():
            start, end = period_bounds(first, last, "Europe/Paris")
            cases.append(
                (f"{who}, {period}", lambda u=user, s=start, e=end: activity_report(u, s, e))
            )
    return cases


def _periods() -> dict[str, tuple[dt.date, dt.date]]:
    last_month_end = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    return {
        "a month": (last_month_end.replace(day=1), last_month_end),
        "a year": (last_month_end - dt.timedelta(days=364), last_month_end),
    }


def base_user(email: str):
    from sqlalchemy import select

    from desk.auth.models import User
    from desk.extensions import db

    return db.session.scalar(select(User).where(User.email == email))


def measure(conn, label: str, indexed: str, run, query, runs: int) -> None:
    run()  # warm: the pages in the cache, the hint bits of the rows just updated set
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    p99 = statistics.quantiles(times, n=100)[98] if len(times) > 1 else times[0]
    if query is None:
        print(f"| {label} | | {statistics.median(times):.1f} | {p99:.1f} | |")
        return
    compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
    plan = "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN ANALYZE {compiled}"))
    # A parallel scan prints each figure per process (loops): multiplied back.
    scan = re.search(r"on ticket .*actual time=\S+ rows=(\d+) loops=(\d+)", plan)
    dropped = sum(int(n) for n in re.findall(r"Rows Removed by \w+(?: \w+)?: (\d+)", plan))
    read = (int(scan.group(1)) + dropped) * int(scan.group(2)) if scan else 0
    print(f"| {label} | {indexed} | {statistics.median(times):.1f} | {p99:.1f} | {read:,} |")


if __name__ == "__main__":
    main()
