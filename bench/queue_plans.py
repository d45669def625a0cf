"""Every shape of queue list at 1,000,000 tickets: the page's SELECT under EXPLAIN ANALYZE, to
find a combination of filters that PostgreSQL reads badly (the three pages of
bench/queue_http.py are three shapes of hundreds).

Run from the repository root (PostgreSQL on 127.0.0.1:5432 as user postgres):

    .venv/bin/python bench/search.py --keep            # once: seeds desk_bench_search (1M)
    .venv/bin/python bench/queue_plans.py [--worst 15] [--generic]

For queue `file-01` and its technician, every combination of status (open, all, closed,
in progress), assignee (anyone, mine, unassigned), request type (any, one), site (any, one),
SLA state (any, breached) and sort (due, created, -created): 288 lists, each GET through the
real view (Flask test client) to capture its first page's statements, and those with 10,000
rows or more also 10,000 rows deep (the walk there not captured); then each statement run
under EXPLAIN (ANALYZE, BUFFERS). It prints how the
execution times spread and the worst --worst shapes with the index each read, the rows read
only to be dropped, and the buffers. --generic runs the statements with
plan_cache_mode = force_generic_plan: the plan psycopg's prepared statements (after five runs)
may get, which cannot see the values.
"""

from __future__ import annotations

import argparse
import itertools
import re
import statistics
import sys
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import queues as base

QUEUE = "file-01"


def shapes(type_slug: str, site_code: str) -> list[dict[str, str]]:
    combos = itertools.product(
        ("", "all", "closed", "in_progress"),
        ("", "mine", "unassigned"),
        ("", type_slug),
        ("", site_code),
        ("", "breached"),
        ("due", "created", "-created"),
    )
    names = ("status", "assignee", "type", "site", "sla", "sort")
    return [{k: v for k, v in zip(names, combo, strict=True) if v} for combo in combos]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worst", type=int, default=15)
    parser.add_argument("--generic", action="store_true")
    parser.add_argument("--depth", type=int, default=10_000)
    args = parser.parse_args()
    app = base.kept_database_app()
    from sqlalchemy import event, text

    from desk.extensions import db

    with app.app_context():
        type_slug, site_code = db.session.execute(
            text(
                # The request type and site of the queue's first ticket: a filter that
                # keeps some of its tickets.
                "SELECT rt.slug, s.code FROM ticket t JOIN queue q ON q.id = t.queue_id "
                "JOIN request_type rt ON rt.id = t.request_type_id "
                "JOIN site s ON s.id = t.site_id WHERE q.code = :q ORDER BY t.id LIMIT 1"
            ),
            {"q": QUEUE},
        ).one()
        engine = db.engine
    tech = base.login(app, "tech1@bench.fr")
    captured: list[tuple[str, str, object]] = []
    current = [""]

    def grab(conn, cursor, statement, parameters, context, executemany):
        if current[0] and "FROM ticket" in statement and "LIMIT" in statement:
            captured.append((current[0], statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        for shape in shapes(type_slug, site_code):
            current[0] = urlencode(shape)
            page = tech.get(f"/queues/{QUEUE}?{urlencode(shape)}")
            assert page.status_code == 200 and "ignor" not in page.text, urlencode(shape)
            current[0] = ""  # the walk to the deep page is not measured
            deep = _deep_link(
                tech, f"/queues/{QUEUE}?{urlencode({**shape, 'size': 100})}", args.depth
            )
            if deep:
                current[0] = urlencode(shape) + " (deep)"
                tech.get(deep.replace("size=100", "size=50"))
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    results = []
    with engine.connect() as conn:
        if args.generic:
            conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        for label, statement, parameters in captured:
            plan = [
                row[0]
                for row in conn.exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
                )
            ]
            ms = float(re.search(r"Execution Time: ([\d.]+)", plan[-1]).group(1))
            results.append((ms, label, plan))
    times = sorted(ms for ms, _l, _p in results)
    mode = "generic plans" if args.generic else "custom plans"
    print(
        f"\n{len(results)} page statements ({mode}): execution p50 {statistics.median(times):.2f} "
        f"ms, p90 {times[int(len(times) * 0.9)]:.2f}, max {times[-1]:.2f}\n"
    )
    print("| ms | list URL | indexes read | rows dropped | buffers |")
    print("| --- | --- | --- | --- | --- |")
    for ms, label, plan in sorted(results, reverse=True)[: args.worst]:
        joined = "\n".join(plan)
        indexes = sorted(
            set(re.findall(r"(?:Index|Index Only|Bitmap Index) Scan (?:using|on) (\S+)", joined))
        )
        dropped = sum(int(n) for n in re.findall(r"Rows Removed by Filter: (\d+)", joined))
        buffers = re.search(r"Buffers: ([^\n]+)", joined)
        print(
            f"| {ms:.2f} | `?{label}` | {', '.join(indexes) or 'sequential'} | {dropped:,} "
            f"| {buffers.group(1) if buffers else ''} |"
        )


def _deep_link(client, link: str, depth: int) -> str | None:
    """Follow the next-page links from `link` until `depth` rows in: the link there (None: the
    list is shorter)."""
    seen = 0
    while seen < depth:
        page = client.get(link)
        seen += page.text.count('<tr data-ref="')
        match = re.search(r'<a rel="next" href="([^"]+)"', page.text)
        if not match:
            return None
        link = match.group(1).replace("&amp;", "&")
    return link


if __name__ == "__main__":
    main()
