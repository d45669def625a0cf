"""desk as production runs it, started for a benchmark: PostgreSQL database, Redis, SMTP sink,
Celery worker and beat, N gunicorn instances (behind HAProxy when N > 1), and the bare
Flask + SQLAlchemy Core insert app (bench/bare_insert.py) as a yardstick.

    with Stack(instances=1) as stack:
        stack.base_url, stack.bare_url, stack.sink.received, stack.engine ...

Everything is private to the run (a fresh database dropped at the end, a redis-server of its
own, free ports) except the PostgreSQL server, 127.0.0.1:5432 as user postgres.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1/postgres"
MESSAGE_ID_RE = re.compile(rb"Message-ID: <ticket-([A-Z]+-\d+-\d+)\.notif-(\d+)[.@]")
# a backend's title: "postgres: [15/main: ]user database host(port) state"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PG_BACKEND_RE = re.compile(r"postgres: (?:\S+: )?\S+ (\S+) \S+\(\d+\)")
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def interpreter() -> str:
    """The Python every server of the run uses (they start from this one's bin/).

    Its build matters as much as a code change: Debian's python3.11 (profile-guided
    optimisation, libpython linked in) against a default pyenv build (neither), measured in the
    README's "Running in production".
    """
    real = os.path.realpath(sys.executable)
    maps = Path("/proc/self/maps").read_text() if Path("/proc/self/maps").exists() else ""
    shared = "libpython shared library" if "libpython" in maps else "libpython linked in"
    return f"Python {sys.version.split()[0]}, {real} ({shared})"


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def make_database(prefix: str = "desk_bench") -> tuple[str, Callable[[], None]]:
    """A fresh PostgreSQL database of the run's own (DESK_BENCH_DATABASE_URL picks an existing
    one instead), and the function that drops it."""
    url = os.environ.get("DESK_BENCH_DATABASE_URL")
    if url:
        return url, lambda: None
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return f"postgresql+psycopg://postgres@127.0.0.1/{name}", drop


def wait_for_acknowledgements(engine, timeout: float = 300) -> int:
    """Wait until no acknowledgement e-mail is pending; returns how many still are. Only the
    acknowledgements: the staff's e-mails may wait for their queue's business hours."""
    deadline = time.monotonic() + timeout
    pending = 0
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            pending = conn.execute(
                text(
                    "SELECT count(*) FROM notification WHERE event = 'submitted'"
                    " AND channel = 'email' AND status IN ('pending', 'sending')"
                )
            ).scalar()
            if not pending:
                break
            time.sleep(1)
            conn.rollback()
    return pending


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) process `pid` has used, from /proc; OSError if it is gone
    or not on this host."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime, stime are fields 14 and 15 of stat; [0] here is field 3 (state).
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class CpuMeter:
    """CPU seconds (user + system, from /proc) of the machine's processes, grouped by what
    they are: where a benchmark's two cores went, not only how fast the answers came."""

    GROUPS = (
        # before desk web: bench.django_helpdesk.wsgi:application also contains "wsgi:app"
        ("django-helpdesk web", ("bench.django_helpdesk",)),
        ("desk web", ("wsgi:app",)),
        ("bare insert web", ("bench.bare_insert",)),
        ("celery", ("celery",)),
        ("postgres server processes (WAL writer, checkpointer…)", ("postgres",)),
        ("redis", ("redis-server",)),
        ("wrk", ("wrk",)),
        ("haproxy", ("haproxy",)),
    )

    def __init__(self, server: str = "host=127.0.0.1 user=postgres dbname=postgres") -> None:
        self.me = os.getpid()
        self.server = server
        self.names: dict[int, str] = {}

    def _backend_names(self) -> dict[int, str]:
        """application_name of each PostgreSQL backend (desk names its web, worker and beat
        connections): whose queries the database's CPU went to. Empty if it cannot tell."""
        import psycopg

        try:
            with psycopg.connect(self.server, autocommit=True, connect_timeout=5) as conn:
                rows = conn.execute("SELECT pid, application_name FROM pg_stat_activity")
                return {pid: name for pid, name in rows if name}
        except psycopg.Error:
            return {}

    def group(self, pid: int, cmdline: str) -> str:
        if pid == self.me:
            return "bench client (SMTP sink, sampler)"
        backend = PG_BACKEND_RE.match(cmdline)
        if backend:
            # per database, so another job's queries on the same server are told apart
            name = self.names.get(pid)
            return f"postgres backends, database {backend.group(1)}" + (
                f", for {name}" if name else ""
            )
        for name, needles in self.GROUPS:
            if any(n in cmdline for n in needles):
                return name
        return "other"

    def snapshot(self) -> dict[tuple[int, str], float]:
        # wrk and other short-lived children are gone by the next snapshot: what they used
        # is in this process's children's rusage once they have been waited for
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        seen = {(0, "ended children of the bench (wrk)"): children.ru_utime + children.ru_stime}
        self.names.update(self._backend_names())  # a backend keeps its name: stale ones harmless
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                cpu = process_cpu(int(entry.name))
            except OSError:
                continue  # gone meanwhile
            seen[(int(entry.name), self.group(int(entry.name), cmdline))] = cpu
        return seen

    def between(self, before: dict, after: dict) -> Counter[str]:
        """CPU seconds per group spent between two snapshots (a process started meanwhile
        counts from zero; one that ended meanwhile is lost, which is rare here)."""
        spent: Counter[str] = Counter()
        for key, cpu in after.items():
            spent[key[1]] += cpu - before.get(key, 0.0)
        return spent


def print_cpu(label: str, spent: Counter[str], requests_done: int) -> None:
    total = sum(spent.values())
    print(f"  CPU during {label}: {total:.1f} s in all", end="")
    if requests_done:
        print(f", {1000 * total / requests_done:.2f} ms per request", end="")
    print()
    for name, seconds in spent.most_common():
        if seconds >= 0.05:
            per = f" ({1000 * seconds / requests_done:.2f} ms/request)" if requests_done else ""
            print(f"    {seconds:7.1f} s {seconds / total:6.1%}  {name}{per}")


class CountingSink:
    """An SMTP server's handler that counts, per (ticket reference, recipient, notification
    id) — read from desk's Message-ID — the messages received."""

    def __init__(self) -> None:
        self.received: Counter[tuple[str, str, int]] = Counter()
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        match = MESSAGE_ID_RE.search(content)
        reference, notification = (
            (match.group(1).decode(), int(match.group(2))) if match else ("?", 0)
        )
        with self._lock:
            for rcpt in envelope.rcpt_tos:
                self.received[(reference, rcpt.lower(), notification)] += 1
        return "250 OK"


def wait_http(url: str, process: subprocess.Popen | None = None, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"{url}: the server exited early (code {process.returncode})")
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def haproxy_config(path: Path, ports: list[int], front: int) -> Path:
    """An HAProxy configuration: round robin over the local `ports`, listening on `front`."""
    if shutil.which("haproxy") is None:
        raise SystemExit("more than one instance needs HAProxy: apt-get install -y haproxy")
    servers = "\n".join(f"    server web{i} 127.0.0.1:{p}" for i, p in enumerate(ports))
    path.write_text(
        "global\n    maxconn 4096\ndefaults\n    mode http\n    timeout connect 5s\n"
        "    timeout client 60s\n    timeout server 60s\n"
        f"frontend desk\n    bind 127.0.0.1:{front}\n    default_backend webs\n"
        f"backend webs\n    balance roundrobin\n{servers}\n"
    )
    return path


# The User-Agent of every signed-in bench client, the login's and wrk's alike. Flask-Login
# binds a session to its address and User-Agent (session protection): a request from another
# agent marks the session as no longer fresh, which changes it, so every answer would sign the
# cookie again, as no browser (whose agent stays the same) makes desk do.
AGENT = "desk-bench"


def cookie_header(session: requests.Session) -> str:
    """The session's cookies as one Cookie header, for wrk to replay."""
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def sign_in(base_url: str, email: str, password: str) -> requests.Session:
    """A session signed in through the real login form, with the bench's User-Agent."""
    session = requests.Session()
    session.headers["User-Agent"] = AGENT
    page = session.get(f"{base_url}/login", timeout=30).text
    answer = session.post(
        f"{base_url}/login",
        data={"email": email, "password": password, "csrf_token": CSRF_RE.search(page).group(1)},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 302:
        raise SystemExit(f"login of {email} failed: {answer.status_code}")
    return session


class CpuLimit:
    """A CPU cgroup capping the processes started in it at `cpus` cores: a web host of its
    own, simulated on this machine (cgroup v1 `cpu` controller, else v2 `cpu.max`; root only).

    Two web instances on one 2-core machine cannot show throughput adding up when one
    instance already uses both cores; two instances of half a core each, against one of half
    a core, can (the rest of the stack keeps the other core)."""

    PERIOD_US = 100_000

    def __init__(self, name: str, cpus: float):
        quota = int(cpus * self.PERIOD_US)
        v1, v2 = Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup")
        if (v1 / "cpu.cfs_quota_us").exists():
            self.path = v1 / name
            self.path.mkdir()
            (self.path / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
            (self.path / "cpu.cfs_quota_us").write_text(str(quota))
        elif (v2 / "cgroup.controllers").exists():
            self.path = v2 / name
            self.path.mkdir()
            (self.path / "cpu.max").write_text(f"{quota} {self.PERIOD_US}")
        else:
            raise SystemExit("--web-cpus needs a writable CPU cgroup (run as root)")

    def throttling(self) -> tuple[int, int]:
        """(periods, periods in which the cgroup used up its quota and waited), from
        cpu.stat (the same two counters in cgroup v1 and v2)."""
        stat = dict(
            line.split() for line in (self.path / "cpu.stat").read_text().splitlines() if line
        )
        return int(stat.get("nr_periods", 0)), int(stat.get("nr_throttled", 0))

    def enter(self) -> None:
        """In the child, before exec (Popen's preexec_fn): its children inherit the cgroup."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.rmdir()


class Stack:
    """Start everything in __enter__, stop and clean up in __exit__."""

    def __init__(
        self,
        *,
        instances: int = 1,
        web_workers: int = 2,
        worker_concurrency: int = 2,
        web_cpus: float | None = None,
    ):
        self.instances = instances
        self.web_cpus = web_cpus  # each instance capped at this many cores (CpuLimit)
        self.cpu_limits: list[CpuLimit] = []
        self.web_workers = web_workers
        self.worker_concurrency = worker_concurrency
        self.tmp = Path(tempfile.mkdtemp(prefix="desk-bench-stack-"))
        self.database = f"desk_bench_stack_{uuid.uuid4().hex[:8]}"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1/{self.database}"
        self.sink = CountingSink()
        self.processes: list[subprocess.Popen] = []
        self.base_url = self.bare_url = ""

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> Stack:
        from aiosmtpd.controller import Controller

        from tests.support.embedded import EmbeddedRedis

        self._admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.database}"'))
        self.redis = EmbeddedRedis(self.tmp / "redis")
        self.redis.start()
        self.smtp_port = free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.smtp_port)
        self.controller.start()
        self.log = open(self.tmp / "servers.log", "ab")
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "DESK_ENV": "production",
            "DESK_SECRET_KEY": "bench-stack-" + "k" * 40,
            "DESK_DATABASE_URL": self.url,
            "DESK_REDIS_URL": self.redis.url,
            "DESK_INSTANCE_DIR": str(self.tmp / "instance"),
            "DESK_MAIL_HOST": "127.0.0.1",
            "DESK_MAIL_PORT": str(self.smtp_port),
            "DESK_LOG_LEVEL": "WARNING",
            # One client address sends everything: per-address limits are not what is measured.
            "DESK_RATELIMIT_SUBMIT": "1000000 per minute",
            "DESK_RATELIMIT_SUBMIT_ATTEMPTS": "1000000 per minute",
            "DESK_RATELIMIT_LOGIN": "1000000 per minute",
            "DESK_RATELIMIT_SEARCH": "1000000 per minute",
            "WEB_CONCURRENCY": str(self.web_workers),
            **extra,
        }

    def _spawn(
        self, args: list[str], env: dict[str, str], limit: CpuLimit | None = None
    ) -> subprocess.Popen:
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=limit.enter if limit is not None else None,
        )
        self.processes.append(process)
        return process

    def _start(self) -> None:
        env = self._env()
        flask = [str(BIN / "flask"), "--app", "desk:create_app"]
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, stdout=self.log)
        demo = ROOT / "desk/reference/data/demo.yaml"
        subprocess.run(
            [*flask, "desk", "load-reference", str(demo)],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=self.log,
        )
        self.engine = create_engine(self.url)
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    "CREATE TABLE bench_row (id serial PRIMARY KEY, body text NOT NULL,"
                    " created_at timestamptz DEFAULT now())"
                )
            )
        celery = [str(BIN / "celery"), "-A", "worker"]
        self._spawn(
            [
                *celery,
                "worker",
                "--pool=prefork",
                f"--concurrency={self.worker_concurrency}",
                "--loglevel=WARNING",
            ],
            env,
        )
        self._spawn(
            [*celery, "beat", "--loglevel=WARNING", "--schedule", str(self.tmp / "beat")], env
        )
        gunicorn = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"]
        ports = []
        for n in range(self.instances):
            port = free_port()
            metrics = self.tmp / f"metrics-{n}"
            metrics.mkdir()
            limit = None
            if self.web_cpus is not None:
                limit = CpuLimit(f"{self.database}-web-{n}", self.web_cpus)
                self.cpu_limits.append(limit)
            process = self._spawn(
                [*gunicorn, "wsgi:app"],
                self._env(DESK_BIND=f"127.0.0.1:{port}", PROMETHEUS_MULTIPROC_DIR=str(metrics)),
                limit,
            )
            wait_http(f"http://127.0.0.1:{port}/login", process)
            ports.append(port)
        bare_port = free_port()
        bare = self._spawn(
            [*gunicorn, "bench.bare_insert:app"],
            self._env(DESK_BIND=f"127.0.0.1:{bare_port}", BARE_DATABASE_URL=self.url),
        )
        wait_http(f"http://127.0.0.1:{bare_port}/", bare)
        self.bare_url = f"http://127.0.0.1:{bare_port}/"
        if self.instances == 1:
            self.base_url = f"http://127.0.0.1:{ports[0]}"
        else:
            front = free_port()
            self._spawn(["haproxy", "-f", str(self._haproxy_config(ports, front))], env)
            self.base_url = f"http://127.0.0.1:{front}"
            wait_http(f"{self.base_url}/login")

    def _haproxy_config(self, ports: list[int], front: int) -> Path:
        return haproxy_config(self.tmp / "haproxy.cfg", ports, front)

    def __exit__(self, *exc) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, 15)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
        for limit in self.cpu_limits:
            limit.remove()
        if getattr(self, "engine", None) is not None:
            self.engine.dispose()
        self.controller.stop()
        self.redis.stop()
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
        self._admin.dispose()
        self.log.close()
        print(f"server logs: {self.tmp / 'servers.log'}")

    # -- after a run ----------------------------------------------------------------------
    def wait_for_acknowledgements(self, timeout: float = 300) -> int:
        """Wait until no acknowledgement is pending; returns how many still are."""
        return wait_for_acknowledgements(self.engine, timeout)
