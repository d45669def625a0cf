"""A queue's list downloaded as CSV at 1,000,000 tickets: server-side time per file.

Run from the repository root on the database that `bench/search.py --keep` leaves:

    .venv/bin/python bench/export.py [--requests 20]

A technician of one queue (50,000 tickets) downloads the open tickets by due date, and every
ticket newest first (cut at desk.queues.export.MAX_ROWS), through the Flask test client (in
process: routing, session, the keyset pages, the CSV); p50 and the worst time of each, after
a warm-up.
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

from sqlalchemy import text  # noqa: E402

from bench import queues as base  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1/desk_bench_search"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("DESK_RATELIMIT_EXPORT", "1000000 per minute")
    url = os.environ.get("DESK_BENCH_SEARCH_DATABASE_URL", DEFAULT_URL)
    app = base.build_app(url)
    from desk.extensions import db

    with app.app_context():
        code = db.session.scalar(
            text(
                "SELECT q.code FROM queue q JOIN queue_membership m ON m.queue_id = q.id"
                ' JOIN "user" u ON u.id = m.user_id'
                " WHERE u.email = 'tech1@bench.fr' ORDER BY q.id LIMIT 1"
            )
        )
    tech = base.login(app, "tech1@bench.fr")
    print("| file | rows | size | p50 (ms) | worst (ms) |\n| --- | --- | --- | --- | --- |")
    for label, query in (
        ("open tickets by due date", ""),
        ("every ticket, newest first", "?status=all&sort=-created"),
    ):
        path = f"/queues/{code}/export.csv{query}"
        tech.get(path)  # warm-up: statements prepared, templates and labels built
        times = []
        for _ in range(args.requests):
            start = time.perf_counter()
            response = tech.get(path)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.status_code
        rows = response.get_data(as_text=True).count("\r\n") - 1
        size = len(response.get_data()) // 1024
        print(
            f"| {label} | {rows:,} | {size:,} KiB | {statistics.median(times):.0f} "
            f"| {max(times):.0f} |"
        )


if __name__ == "__main__":
    main()
