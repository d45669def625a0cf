"""CPU of one queue list page in process: the Flask test client, production settings, on the
1,000,000-ticket database that bench/queue_http.py serves over HTTP — what a gunicorn worker
spends on a page, without gunicorn, the network or wrk.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 as user postgres, Redis on
127.0.0.1:6379), after `bench/search.py --keep` has seeded desk_bench_search:

    .venv/bin/python bench/queue_cpu.py [--pages 300] [--profile FILE.prof]

Signs a technician of queue `file-01` in, then GETs the first page, the filtered page and the
page 10,000 rows deep `--pages` times each and prints the CPU (`time.process_time`) per page,
median of five slices. PostgreSQL's own CPU is not in it. `--profile` writes cProfile
statistics of the timed pages and prints the Python function calls per page, a figure that,
unlike the CPU time, does not move with the host's load.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import queues as base

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1/desk_bench_search"
QUEUE = "file-01"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--depth", type=int, default=10_000)
    parser.add_argument("--profile", help="cProfile statistics of the timed pages")
    args = parser.parse_args()
    os.environ.setdefault("DESK_SECRET_KEY", "bench-" + "x" * 40)
    os.environ.setdefault("DESK_BASE_URL", "http://localhost")
    os.environ.setdefault("DESK_SESSION_COOKIE_SECURE", "0")
    os.environ.setdefault("DESK_RATELIMIT_LOGIN", "100000 per minute")
    url = os.environ.get("DESK_BENCH_DATABASE_URL", DEFAULT_URL)
    app = base.build_app(url, env="production")
    deep = base.deep_cursor(app, QUEUE, args.depth)
    client = base.login(app, "tech1@bench.fr")
    cases = [
        ("first page", f"/queues/{QUEUE}"),
        ("filtered page", f"/queues/{QUEUE}?status=in_progress&priority=high&assignee=mine"),
        (f"page {args.depth:,} rows deep", f"/queues/{QUEUE}?status=all&after={deep}"),
    ]
    profiler = cProfile.Profile() if args.profile else None
    per_slice = max(args.pages // 5, 1)
    for label, path in cases:
        for _ in range(20):  # warm: caches filled, statements prepared
            answer = client.get(path)
        assert answer.status_code == 200 and "<tr data-" in answer.text, (path, answer.status_code)
        slices = []
        for _ in range(5):
            if profiler:
                profiler.enable()
            start = time.process_time()
            for _ in range(per_slice):
                client.get(path)
            slices.append((time.process_time() - start) * 1000 / per_slice)
            if profiler:
                profiler.disable()
        print(
            f"{label}: {statistics.median(slices):.2f} ms of CPU per page"
            f" (slices {min(slices):.2f}–{max(slices):.2f})",
            flush=True,
        )
    if profiler:
        import pstats

        calls = pstats.Stats(profiler).total_calls / (5 * per_slice * len(cases))
        print(f"Python function calls per page: {calls:,.0f}")
        profiler.dump_stats(args.profile)
        print(f"profile: {args.profile}")


if __name__ == "__main__":
    main()
