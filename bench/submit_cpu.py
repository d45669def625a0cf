"""CPU of one catalogue submission in process: the Zoom licence form POST through the Flask
test client, production settings, on PostgreSQL — what the web side of bench/submit.py costs
without gunicorn, the network or the other processes.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 as user postgres, Redis on
127.0.0.1:6379):

    .venv/bin/python bench/submit_cpu.py [--posts 300] [--profile FILE.prof]

It makes a fresh database (migrated, demo data loaded, dropped at the end), signs the demo
requester in through the login form, GETs the form once for its CSRF token, then POSTs it
`--posts` times with a fresh one-time token each, and prints the CPU (`time.process_time`)
and the SQL statements per POST, median of five slices. No worker runs: the outbox rows stay
pending. `--profile` writes cProfile statistics of the timed POSTs (read them with
`python -m pstats` or snakeviz) and prints the Python function calls per POST, a figure that,
unlike the CPU time, does not move with the host's load.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from bench.stack import make_database, process_cpu  # noqa: E402

URL = "/catalogue/licence-zoom"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--profile", help="cProfile statistics of the timed POSTs")
    args = parser.parse_args()

    database, drop = make_database("desk_bench_cpu")
    os.environ.update(
        {
            "DESK_ENV": "production",
            "DESK_SECRET_KEY": uuid.uuid4().hex * 2,
            "DESK_DATABASE_URL": database,
            "DESK_REDIS_URL": os.environ.get("DESK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
            "DESK_BASE_URL": "http://localhost",
            "DESK_RATELIMIT_SUBMIT": "1000000 per minute",
            "DESK_RATELIMIT_SUBMIT_ATTEMPTS": "1000000 per minute",
            "DESK_RATELIMIT_LOGIN": "1000 per minute",
            "DESK_SESSION_COOKIE_SECURE": "0",
        }
    )
    try:
        flask = [str(ROOT / ".venv/bin/flask"), "--app", "desk:create_app"]
        quiet = {"cwd": ROOT, "check": True, "stdout": subprocess.DEVNULL}
        subprocess.run([*flask, "db", "upgrade"], **quiet)
        demo = ROOT / "desk/reference/data/demo.yaml"
        subprocess.run([*flask, "desk", "load-reference", str(demo)], **quiet)
        measure(args.posts, args.profile)
    finally:
        drop()


def measure(posts: int, profile_file: str | None) -> None:
    from desk import create_app
    from desk.extensions import db

    app = create_app()
    gc.freeze()  # as wsgi.py does: full collections then skip what startup made
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    answer = client.post(
        "/login",
        data={
            "csrf_token": CSRF_RE.search(login).group(1),
            "email": "claire.martin@umontpellier.fr",
            "password": "demo-requester",
        },
    )
    assert answer.status_code == 302, answer.status_code
    csrf = CSRF_RE.search(client.get(URL).get_data(as_text=True)).group(1)
    statements = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(1))

    def post(i: int) -> None:
        answer = client.post(
            URL,
            data={
                "csrf_token": csrf,
                "zoom_email": "claire.martin@umontpellier.fr",
                "account_created": "y",
                "kb_checked": "1",
                "idempotency_token": f"cpu-{i}",
            },
        )
        assert answer.status_code == 302, answer.status_code

    for i in range(20):  # warm: caches filled, statements prepared
        post(-i - 1)
    backends = backend_pids(engine)
    pg_before = backend_cpu(backends)
    profiler = cProfile.Profile() if profile_file else None
    slices = []
    per_slice = max(posts // 5, 1)
    statements.clear()
    for s in range(5):
        if profiler:
            profiler.enable()
        start = time.process_time()
        for i in range(per_slice):
            post(s * per_slice + i)
        slices.append((time.process_time() - start) * 1000 / per_slice)
        if profiler:
            profiler.disable()
    print(
        f"Zoom form POST in process: {statistics.median(slices):.2f} ms of CPU"
        f" (slices {min(slices):.2f}–{max(slices):.2f}),"
        f" {len(statements) / (5 * per_slice):.1f} SQL statements per POST"
    )
    pg_ms = (backend_cpu(backends) - pg_before) * 1000 / (5 * per_slice)
    print(f"PostgreSQL's CPU per POST (the web's connection): {pg_ms:.2f} ms")
    if profiler:
        import pstats

        calls = pstats.Stats(profiler).total_calls / (5 * per_slice)
        print(
            f"Python function calls per POST: {calls:,.0f} (steadier than the CPU on a noisy host)"
        )
        profiler.dump_stats(profile_file)
        print(f"profile: {profile_file}")


def backend_pids(engine) -> list[int]:
    """The PostgreSQL server processes of this database: the pool's connections."""
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend'"
        )
        return [row[0] for row in rows]


def backend_cpu(pids: list[int]) -> float:
    """Seconds of CPU those processes have used (0 for PostgreSQL on another host)."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += process_cpu(pid)
    return total


if __name__ == "__main__":
    main()
