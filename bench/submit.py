"""Catalogue submissions per second, side by side with a bare Flask + SQLAlchemy Core insert.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 as user postgres; wrk installed):

    .venv/bin/python bench/submit.py [--rounds 3] [--seconds 20] [--flame docs/submit-flame.svg]
        [--django-helpdesk] [--dh-staff-copy]

It sets up privately: a fresh PostgreSQL database (migrated, demo data loaded; dropped at the
end), a redis-server of its own, an SMTP sink in this process, one Celery worker draining the
outbox (prefork, concurrency 2), and two gunicorn servers with the same settings
(gunicorn.conf.py, 2 sync workers): desk as production runs it (DESK_ENV=production, JSON
access log, Prometheus multi-process metrics), and bench/bare_insert.py. Each round runs
`wrk -t2 -c16 -d<seconds>s --latency` on the bare insert, then on desk's Zoom licence form
POST (bench/submit.lua: a requester signed in through the real login form, the CSRF token of
a real GET of the form, a fresh one-time token per POST, kb_checked=1 as the page's
JavaScript sets it). With --waits, pg_stat_activity is sampled every 20 ms during desk's
rounds: which wait events the desk backends are in, and how often one waits on a lock (off by
default: the sampler's queries take CPU from desk's side only).

With --django-helpdesk, django-helpdesk 2.6.1's public submission form is measured too,
between the two (bench/django_helpdesk/: its own virtualenv, built on first use under the
temporary directory, its own database `<desk's>_dh` dropped at the end, an SMTP sink of its
own, the same gunicorn settings; bench/django_helpdesk/submit.lua). By default it sends one
e-mail per submission (the submitter's); with --dh-staff-copy its queue also e-mails the team a
copy of each new ticket (`new_ticket_cc`): the two e-mails desk sends for its demo queue
within the queue's hours (Mon–Fri 08:00–17:00 Paris; outside them desk's new-ticket e-mails
wait for the next opening, and the checks say how many waited). So that the same work is
measured at any hour, --dh-staff-copy also takes the quiet hours off desk's video queue in the
bench's database (its calendar, which only sets them: the Zoom entry's SLA policy has its own).

It prints, per round and as medians: req/s, p50, p99, the ratios desk / bare insert and
desk / django-helpdesk, the load average (`uptime`), the CPU seconds per kind of process;
then checks that every ticket exists once and got exactly one acknowledgement e-mail (for
django-helpdesk: tickets and e-mails against the successful answers). `--flame FILE.svg`
records a py-spy flame graph (wall time, idle included) of both gunicorn workers during the
last desk round.
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
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests
from sqlalchemy import create_engine, text

from bench.django_helpdesk.side import FORM as DH_FORM
from bench.django_helpdesk.side import SCRIPT as DH_SCRIPT
from bench.django_helpdesk.side import DjangoHelpdesk
from bench.stack import (
    AGENT,
    CpuMeter,
    cookie_header,
    free_port,
    interpreter,
    make_database,
    print_cpu,
    sign_in,
    wait_for_acknowledgements,
)
from tests.support.embedded import EmbeddedRedis

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FORM = "/catalogue/licence-zoom"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REFERENCE_RE = re.compile(rb"Message-ID: <ticket-([A-Z]+-\d+-\d+)\.notif-")
SIDES = {"bare": "bare insert", "dh": "django-helpdesk", "desk": "desk Zoom form POST"}


def requester(base: str) -> dict[str, str]:
    """wrk's environment for bench/submit.lua: the requester's cookies and CSRF token.

    Signed in afresh before each round, and replayed with the login's User-Agent: a browser
    keeps the cookie desk signs again once a minute (desk.auth.cookie) and sends the same
    agent; wrk replays one cookie, which older than a minute, or from another agent, would
    have every answer of the round sign it again.
    """
    browser = sign_in(base, "claire.martin@umontpellier.fr", "demo-requester")
    page = browser.get(f"{base}{FORM}", timeout=30).text
    csrf = CSRF_RE.search(page).group(1)
    return {"DESK_COOKIE": cookie_header(browser), "DESK_CSRF": csrf, "DESK_AGENT": AGENT}


class CountingSink:
    """An SMTP server that keeps nothing but, per ticket reference, the messages received."""

    def __init__(self) -> None:
        self.by_reference: Counter[str] = Counter()
        self.subjects: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        match = REFERENCE_RE.search(content)
        with self._lock:
            self.by_reference[match.group(1).decode() if match else "?"] += 1
            for rcpt in envelope.rcpt_tos:
                self.subjects[(match.group(1).decode() if match else "?", rcpt)] += 1
        return "250 OK"


def wait_for_port(port: int, process: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited early (code {process.returncode})")
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=10)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"{what} not listening after {timeout}s")


def wrk(url: str, script: str, seconds: int, env: dict[str, str]) -> dict[str, float]:
    """One wrk run; req/s, p50 and p99 in ms, requests done and non-2xx/3xx answers."""
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "--timeout", "10s", "--latency", "-s", script, url],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    ).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms("50%"),
        "p99": ms("99%"),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "bad": int(bad.group(1)) if bad else 0,
    }


def describe(run: dict[str, float]) -> str:
    text = f"{run['rps']:.0f} req/s, p50 {run['p50']:.1f} ms, p99 {run['p99']:.1f} ms"
    if "backlog" in run:
        text += (
            f"; outbox at the end: {run['backlog']:.0f} e-mails due,"
            f" out {run['drained_in']:.1f} s later"
        )
    return text


def ratios(runs: dict[str, dict[str, float]]) -> str:
    return ", ".join(
        f"desk / {SIDES[other]} {runs['desk']['rps'] / runs[other]['rps']:.3f}"
        for other in ("bare", "dh")
        if other in runs
    )


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


class WaitSampler(threading.Thread):
    """Samples the desk backends' state in pg_stat_activity every 20 ms while running."""

    def __init__(self, url: str, database: str):
        super().__init__(daemon=True)
        self.engine = create_engine(url, isolation_level="AUTOCOMMIT")
        self.database = database
        self.samples: Counter[str] = Counter()
        self.lock_waits = 0
        self.rounds = 0
        self.stop = threading.Event()

    def run(self) -> None:
        query = text(
            "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
            "WHERE datname = :db AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        with self.engine.connect() as conn:
            while not self.stop.is_set():
                self.rounds += 1
                for state, kind, name in conn.execute(query, {"db": self.database}):
                    if state == "active":
                        label = f"{kind}:{name}" if kind else "running (CPU)"
                    elif state == "idle in transaction":
                        label = "idle in transaction (waiting on the app)"
                    else:
                        continue
                    self.samples[label] += 1
                    if kind == "Lock":
                        self.lock_waits += 1
                time.sleep(0.02)
        self.engine.dispose()


def py_spy(pid: int, output: Path, seconds: int, log, *options: str) -> subprocess.Popen:
    """py-spy recording a process and its children for `seconds` into `output`."""
    return subprocess.Popen(
        [
            shutil.which("py-spy", path=f"{BIN}:{os.environ.get('PATH', '')}") or "py-spy",
            "record",
            "--subprocesses",
            *options,
            "--duration",
            str(seconds),
            "--pid",
            str(pid),
            "--output",
            str(output),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )


# --profile: where the CPU goes (only while holding the GIL: waits on sockets release it), as
# collapsed stacks (one line per stack and its sample count) for bench/hotspots.py.
PROFILE = ("--gil", "--format", "raw", "--rate", "250")
# --flame: wall time, idle included, as an SVG flame graph.
FLAME = ("--idle", "--rate", "200")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--flame", help="SVG file for a py-spy flame graph of the last round")
    parser.add_argument(
        "--django-helpdesk",
        action="store_true",
        help="also measure django-helpdesk 2.6.1's public submit form (bench/django_helpdesk/)",
    )
    parser.add_argument(
        "--dh-staff-copy",
        action="store_true",
        help="django-helpdesk's queue also e-mails its team each new ticket (new_ticket_cc), "
        "and desk's video queue sends its staff e-mail at once at any hour (no quiet hours): "
        "two e-mails per submission on both sides, the same work",
    )
    parser.add_argument(
        "--waits",
        action="store_true",
        help="sample pg_stat_activity's wait events during desk's rounds",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="record py-spy's collapsed stacks (only while holding the GIL) of desk's web and "
        "Celery workers during the last desk round: DIR/web.txt, DIR/celery.txt",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    print(f"interpreter of every side: {interpreter()}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="desk-bench-submit-"))
    database, drop_database = make_database("desk_bench_submit")
    dh = (
        DjangoHelpdesk(database.rsplit("/", 1)[1], free_port(), staff_copy=args.dh_staff_copy)
        if args.django_helpdesk or args.dh_staff_copy
        else None
    )
    redis = EmbeddedRedis(tmp / "redis")
    redis.start()
    from aiosmtpd.controller import Controller

    sink = CountingSink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    (tmp / "metrics").mkdir()
    desk_port, bare_port = free_port(), free_port()
    env = {
        **os.environ,
        "DESK_ENV": "production",
        "DESK_SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "DESK_DATABASE_URL": database,
        "DESK_REDIS_URL": redis.url,
        "DESK_INSTANCE_DIR": str(tmp / "instance"),
        "DESK_UPLOAD_DIR": str(tmp / "uploads"),
        "DESK_MAIL_HOST": "127.0.0.1",
        "DESK_MAIL_PORT": str(smtp_port),
        "DESK_BASE_URL": f"http://127.0.0.1:{desk_port}",
        "DESK_RATELIMIT_SUBMIT": "1000000 per minute",
        "DESK_RATELIMIT_SUBMIT_ATTEMPTS": "1000000 per minute",
        "DESK_RATELIMIT_LOGIN": "1000 per minute",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
        "WEB_CONCURRENCY": "2",
    }
    processes: list[subprocess.Popen] = []
    log = open(tmp / "servers.log", "ab")  # noqa: SIM115 - closed at the end

    def start(args: list[str], extra: dict[str, str]) -> subprocess.Popen:
        process = subprocess.Popen(
            args, cwd=ROOT, env={**env, **extra}, stdout=log, stderr=subprocess.STDOUT
        )
        processes.append(process)
        return process

    try:
        flask = [str(BIN / "flask"), "--app", "desk:create_app"]
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, stdout=log)
        demo = ROOT / "desk/reference/data/demo.yaml"
        subprocess.run(
            [*flask, "desk", "load-reference", str(demo)], cwd=ROOT, env=env, check=True, stdout=log
        )
        engine = create_engine(database, connect_args={"application_name": "bench checks"})
        with engine.begin() as conn:
            if args.dh_staff_copy:
                # The queue's calendar only sets its quiet hours; routing, the SLA policy (and
                # its own calendar) and the staff's choices stay as they are.
                conn.execute(text("UPDATE queue SET calendar_id = NULL WHERE code = 'visio'"))
            conn.execute(
                text(
                    "CREATE TABLE bench_row (id serial PRIMARY KEY, body text NOT NULL,"
                    " created_at timestamptz DEFAULT now())"
                )
            )
        worker = start(
            [str(BIN / "celery"), "-A", "worker", "worker", "--pool=prefork", "--concurrency=2"],
            {},
        )
        gunicorn = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"]
        desk = start([*gunicorn, "wsgi:app"], {"DESK_BIND": f"127.0.0.1:{desk_port}"})
        bare = start(
            [*gunicorn, "bench.bare_insert:app"],
            {"DESK_BIND": f"127.0.0.1:{bare_port}", "BARE_DATABASE_URL": database},
        )
        wait_for_port(desk_port, desk, "desk")
        wait_for_port(bare_port, bare, "bare insert")

        base = f"http://127.0.0.1:{desk_port}"

        if dh is not None:
            dh_env = dh.start(start, free_port(), log)
        results: list[dict[str, dict[str, float]]] = []
        waits: Counter[str] = Counter()
        lock_waits = samples = 0
        meter = CpuMeter()
        cpu: dict[str, Counter[str]] = {side: Counter() for side in SIDES}
        for n in range(1, args.rounds + 1):
            load_before = uptime()
            runs: dict[str, dict[str, float]] = {}
            before = meter.snapshot()
            runs["bare"] = wrk(
                f"http://127.0.0.1:{bare_port}/", "bench/bare_insert.lua", args.seconds, {}
            )
            cpu["bare"].update(meter.between(before, meter.snapshot()))
            if dh is not None:
                before = meter.snapshot()
                runs["dh"] = wrk(
                    dh.base_url + DH_FORM, DH_SCRIPT, args.seconds, {**dh_env, "DH_RUN": str(n)}
                )
                cpu["dh"].update(meter.between(before, meter.snapshot()))
            before = meter.snapshot()
            sampler = WaitSampler(database, database.rsplit("/", 1)[1])
            if args.waits:
                sampler.start()
            flame = None
            if args.flame and n == args.rounds:
                flame = py_spy(desk.pid, Path(args.flame), args.seconds, log, *FLAME)
            profiles = []
            if args.profile and n == args.rounds:
                Path(args.profile).mkdir(parents=True, exist_ok=True)
                profiles = [
                    py_spy(pid, Path(args.profile) / f"{name}.txt", args.seconds, log, *PROFILE)
                    for name, pid in (("web", desk.pid), ("celery", worker.pid))
                ]
            wrk_env = {**requester(base), "DESK_RUN": str(n)}
            runs["desk"] = wrk(base + FORM, "bench/submit.lua", args.seconds, wrk_env)
            # The worker may lag: the round's CPU runs until the e-mails it caused are out,
            # so that none of it is counted in the next side's round.
            backlog, drained_in = outbox_backlog(engine)
            runs["desk"]["backlog"], runs["desk"]["drained_in"] = backlog, drained_in
            cpu["desk"].update(meter.between(before, meter.snapshot()))
            if args.waits:
                sampler.stop.set()
                sampler.join()
            for spy in [flame, *profiles]:
                if spy is not None:
                    spy.wait()
            waits.update(sampler.samples)
            lock_waits += sampler.lock_waits
            samples += sum(sampler.samples.values())
            results.append(runs)
            print(f"round {n}:", flush=True)
            for side, run in runs.items():
                print(f"  {SIDES[side]}: {describe(run)} (non-2xx/3xx: {run['bad']:.0f})")
            print(
                f"  {ratios(runs)}\n  load before: {load_before}\n  load after:  {uptime()}",
                flush=True,
            )

        def median(side: str, key: str) -> float:
            return statistics.median(r[side][key] for r in results)

        print(f"\nmedian of {args.rounds} rounds (wrk -t2 -c16 -d{args.seconds}s):")
        for side in results[0]:
            low, high = (f(r[side]["rps"] for r in results) for f in (min, max))
            print(
                f"  {SIDES[side]}: {median(side, 'rps'):.0f} req/s ({low:.0f}–{high:.0f}),"
                f" p50 {median(side, 'p50'):.1f} ms, p99 {median(side, 'p99'):.1f} ms"
            )
        for other in ("bare", "dh"):
            if other in results[0]:
                per_round = [r["desk"]["rps"] / r[other]["rps"] for r in results]
                print(
                    f"  ratio desk / {SIDES[other]} per round:"
                    f" {', '.join(f'{x:.3f}' for x in per_round)}"
                    f" (median {statistics.median(per_round):.3f})"
                )
        print("\nwhere the CPU went (all processes on the machine, by kind):")
        for side in results[0]:
            done = sum(int(r[side]["requests"]) for r in results)
            print_cpu(f"the {SIDES[side]} rounds", cpu[side], done)
        if args.waits:
            print(f"\npg_stat_activity, desk rounds ({samples} backend samples):")
            for label, count in waits.most_common(8):
                print(f"  {count / samples:6.1%}  {label}")
            print(f"  a backend waiting on a lock: {lock_waits / max(samples, 1):.1%} of samples")

        check(engine, sink, sum(int(r["desk"]["requests"]) for r in results), worker)
        if dh is not None:
            check_django_helpdesk(dh, [r["dh"] for r in results])
        engine.dispose()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        controller.stop()
        redis.stop()
        if dh is not None:
            dh.stop()
        drop_database()
        log.close()
        print(f"\nserver logs: {tmp / 'servers.log'}")


def outbox_backlog(engine, timeout: float = 120) -> tuple[int, float]:
    """(due e-mails not yet sent when the load stopped, seconds until none was left)."""
    query = text(
        "SELECT count(*) FROM notification WHERE channel = 'email'"
        " AND status IN ('pending', 'sending') AND next_attempt_at <= now()"
    )
    started = time.monotonic()
    with engine.connect() as conn:
        backlog = left = conn.execute(query).scalar()
        while left and time.monotonic() - started < timeout:
            time.sleep(0.05)
            conn.rollback()
            left = conn.execute(query).scalar()
    return backlog, time.monotonic() - started


def check(engine, sink: CountingSink, answered: int, worker: subprocess.Popen) -> None:
    """Every ticket once, every acknowledgement once (once the worker has sent them all)."""
    # The worker yields the CPU to the web tier by its niceness (DESK_WORKER_NICE): its
    # e-mails then leave after a round's burst rather than during it (the backlog above).
    nice = Path(f"/proc/{worker.pid}/stat").read_text().rsplit(")", 1)[1].split()[16]
    print(f"\nthe Celery worker ran at niceness {nice} (the web tier at 0)")
    pending = wait_for_acknowledgements(engine)
    with engine.connect() as conn:
        tickets = conn.execute(text("SELECT count(*) FROM ticket")).scalar()
        keys = conn.execute(text("SELECT count(DISTINCT idempotency_key) FROM ticket")).scalar()
        numbers = conn.execute(
            text("SELECT count(*), max(substring(reference from 10)::int) FROM ticket")
        ).one()
        acks = conn.execute(
            text("SELECT count(*) FROM notification WHERE event = 'submitted' AND status = 'sent'")
        ).scalar()
        references = set(conn.scalars(text("SELECT reference FROM ticket")))
        staff_sent, staff_waiting = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE status = 'sent'),"
                " count(*) FILTER (WHERE status = 'pending' AND next_attempt_at > now())"
                " FROM notification WHERE event = 'new_ticket' AND channel = 'email'"
            )
        ).one()
    # The sink also receives the visio queue staff's new-ticket e-mails: count the requester's.
    mailed = Counter(
        ref
        for (ref, rcpt), n in sink.subjects.items()
        for _ in range(n)
        if rcpt == "claire.martin@umontpellier.fr"
    )
    once = sum(1 for ref in references if mailed.get(ref) == 1)
    print(
        f"\nchecks: {answered} answers counted by wrk, {tickets} tickets"
        f" ({keys} distinct one-time tokens; references 1..{numbers[1]}, gapless:"
        f" {numbers[0] == numbers[1]}); acknowledgements sent {acks},"
        f" received exactly once for {once} of {tickets} tickets,"
        f" more than once: {sum(1 for n in mailed.values() if n > 1)}; still pending: {pending}"
    )
    # Outside the queue's business hours the staff's e-mails wait for its next opening: a
    # night run sends one e-mail per ticket, a day run two. Say which this run was.
    print(
        f"new-ticket e-mails to the queue's staff: {staff_sent} sent,"
        f" {staff_waiting} waiting for the queue's business hours"
    )


def check_django_helpdesk(dh: DjangoHelpdesk, runs: list[dict[str, float]]) -> None:
    """One ticket and one acknowledgement per answer; a request that wrk left unanswered when
    its time was up is still served (at most one per connection, 16 a round), as for desk."""
    answered = sum(int(r["requests"] - r["bad"]) for r in runs)
    tickets, mailed = dh.tickets()
    print(
        f"\ndjango-helpdesk checks: {answered} successful answers counted by wrk,"
        f" {tickets} tickets, {mailed} with an e-mail sent; the sink received"
        f" {dh.sink.received} e-mails"
    )


if __name__ == "__main__":
    main()
