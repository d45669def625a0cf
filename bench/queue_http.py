"""Queue lists at 1,000,000 tickets over HTTP: gunicorn as production runs it, wrk at 16
connections — req/s, p50 / p99 per page.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 as user postgres; wrk installed,
and HAProxy for --instances 2):

    .venv/bin/python bench/search.py --keep            # once: seeds desk_bench_search (1M)
    .venv/bin/python bench/queue_http.py [--seconds 20] [--rounds 3] [--instances 1|2]

1. Uses a kept database seeded by bench/queues.py or bench/search.py (the same 20 queues and
   1,000,000 tickets; DESK_BENCH_DATABASE_URL picks it, default desk_bench_search), upgraded
   to the current migrations first.
2. Starts desk as production does: `gunicorn -c gunicorn.conf.py wsgi:app`, 2 sync workers
   (`--workers N`: N), DESK_ENV=production, JSON access log to a file, Prometheus
   multi-process metrics, Redis 127.0.0.1:6379 (DB 14). With --instances 2: two such
   gunicorns on two ports behind a local HAProxy (round robin), to show the throughput
   adding up.
3. Signs a technician of queue `file-01` in through the real login form before each run
   (the cookie a browser would hold: desk signs it again once a minute, wrk would replay a
   stale one; wrk sends the login's User-Agent, as a browser does, see bench.stack.AGENT),
   then runs
   `wrk -t2 -c16 -d<seconds>s --latency` with that session cookie on the queue's first page,
   a filtered page (in progress + high + mine) and a page 10,000 rows deep (keyset cursor);
   `--rounds` times each, and prints the median req/s, p50 and p99, with the load average.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests

from bench import queues as base
from bench.stack import (
    AGENT,
    CpuMeter,
    cookie_header,
    free_port,
    haproxy_config,
    load_average,
    sign_in,
)

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1/desk_bench_search"
TARGET_P99_MS = 100
QUEUE = "file-01"


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def start_gunicorn(
    env: dict[str, str], port: int, workdir: Path, workers: int = 2
) -> subprocess.Popen:
    metrics = workdir / f"metrics-{port}"
    metrics.mkdir()
    log = (workdir / f"gunicorn-{port}.log").open("w")
    return subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env={
            **env,
            "DESK_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(workers),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def start_haproxy(ports: list[int], port: int, workdir: Path) -> subprocess.Popen:
    config = haproxy_config(workdir / "haproxy.cfg", ports, port)
    return subprocess.Popen(["haproxy", "-f", str(config)], start_new_session=True)


def session_cookie(base_url: str, email: str) -> str:
    """The session cookie of `email` after the real login form."""
    return cookie_header(sign_in(base_url, email, "bench"))


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url: str, cookie: str, seconds: int) -> tuple[float, float, float, int, int]:
    """(req/s, p50 ms, p99 ms, non-2xx count, requests) of one wrk run."""
    out = subprocess.run(
        [
            *("wrk", "-t2", "-c16", f"-d{seconds}s", "--latency"),
            *("-H", f"Cookie: {cookie}", "-H", f"User-Agent: {AGENT}", url),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {
        pct: _ms(v, unit)
        for pct, v, unit in re.findall(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    }
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    done = int(re.search(r"(\d+) requests in", out).group(1))
    return rps, latency["50"], latency["99"], int(bad.group(1)) if bad else 0, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--instances", type=int, choices=(1, 2), default=1)
    parser.add_argument("--depth", type=int, default=10_000)
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="sync workers per gunicorn (gunicorn.conf.py's production default is 4)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    url = os.environ.get("DESK_BENCH_DATABASE_URL", DEFAULT_URL)
    app = base.build_app(url)
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
    deep = base.deep_cursor(app, QUEUE, args.depth)
    workdir = Path(tempfile.mkdtemp(prefix="desk-queue-http-"))
    env = {
        **os.environ,
        "DESK_ENV": "production",
        "DESK_SECRET_KEY": "bench-" + "x" * 40,
        "DESK_DATABASE_URL": url,
        "DESK_REDIS_URL": os.environ.get("DESK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        "DESK_LOG_LEVEL": "WARNING",
        # One client address sends everything: the per-address limits are not what is measured.
        "DESK_RATELIMIT_LOGIN": "100000 per minute",
        "DESK_RATELIMIT_SEARCH": "100000 per minute",
    }
    processes: list[subprocess.Popen] = []
    try:
        ports = [free_port() for _ in range(args.instances)]
        for port in ports:
            processes.append(start_gunicorn(env, port, workdir, args.workers))
        for port in ports:
            wait_http(f"http://127.0.0.1:{port}/login")
        if args.instances == 2:
            front = free_port()
            processes.append(start_haproxy(ports, front, workdir))
            base_url = f"http://127.0.0.1:{front}"
        else:
            base_url = f"http://127.0.0.1:{ports[0]}"
        wait_http(f"{base_url}/login")
        cookie = session_cookie(base_url, "tech1@bench.fr")
        cases = [
            ("first page", f"/queues/{QUEUE}"),
            ("filtered page", f"/queues/{QUEUE}?status=in_progress&priority=high&assignee=mine"),
            (f"page {args.depth:,} rows deep", f"/queues/{QUEUE}?status=all&after={deep}"),
        ]
        check = requests.get(f"{base_url}{cases[0][1]}", headers={"Cookie": cookie}, timeout=10)
        if check.status_code != 200 or "<tr data-" not in check.text:
            raise SystemExit(f"the queue page did not answer a list: {check.status_code}")
        results: dict[str, list[tuple[float, float, float, int, int]]] = {c[0]: [] for c in cases}
        meter, spent = CpuMeter(), {c[0]: Counter() for c in cases}
        loads = []
        for _round in range(args.rounds):
            for label, path in cases:
                # A browser keeps the cookie each answer re-signs (at most once a minute);
                # wrk replays one cookie, so a cookie older than a minute would have every
                # answer sign it again. A fresh login per run keeps what a user costs.
                cookie = session_cookie(base_url, "tech1@bench.fr")
                before = meter.snapshot()
                results[label].append(run_wrk(f"{base_url}{path}", cookie, args.seconds))
                spent[label].update(meter.between(before, meter.snapshot()))
            loads.append(load_average())
        print(
            f"\nqueue lists over HTTP, {args.instances} gunicorn instance(s)"
            f" x {args.workers} sync workers"
            f"{' behind HAProxy' if args.instances == 2 else ''}, wrk -t2 -c16 "
            f"-d{args.seconds}s, median of {args.rounds} rounds; load average after each "
            f"round: {' | '.join(loads)}\n"
        )
        print("| page | req/s (range) | p50 ms | p99 ms (range) | non-2xx | target p99 |")
        print("| --- | --- | --- | --- | --- | --- |")
        for label, _path in cases:
            runs = results[label]
            rps = [r[0] for r in runs]
            p99s = [r[2] for r in runs]
            print(
                f"| {label} | {statistics.median(rps):.0f} ({min(rps):.0f}–{max(rps):.0f}) "
                f"| {statistics.median(r[1] for r in runs):.1f} "
                f"| {statistics.median(p99s):.1f} ({min(p99s):.1f}–{max(p99s):.1f}) "
                f"| {sum(r[3] for r in runs)} | < {TARGET_P99_MS} ms |",
                flush=True,
            )
        print("\nCPU per page, all processes, all rounds (where the two cores went):")
        for label, _path in cases:
            done = sum(r[4] for r in results[label])
            parts = ", ".join(
                f"{name} {1000 * sec / done:.2f}"
                for name, sec in spent[label].most_common()
                if sec >= 0.05
            )
            total = 1000 * sum(spent[label].values()) / done
            print(f"  {label}: {total:.2f} ms = {parts}")
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                os.killpg(process.pid, 15)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
        from desk.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
