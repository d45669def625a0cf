"""Servers and workers that tests start: they end with the test process, however it ends
(`die_with_test`), write to a log file the test reads (`start_logged`, `wait_for_log`), and
are stopped as systemd stops a unit (`stop_group`)."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# Looked up here, in the parent: the child between fork and exec should only make the call.
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def die_with_test() -> None:
    """`preexec_fn` of a test's subprocess: the kernel sends it SIGTERM when the test process
    dies. A run killed or crashed mid-test otherwise leaves its Celery worker consuming the
    test's Redis database (taking the next run's tasks and sending them to a dead SMTP port)
    and its servers holding their ports. Linux only; elsewhere nothing changes.

    The signal follows the *thread* that started the process: start them from the test's own
    thread (fixtures and tests run there), not from a helper thread that ends first."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(env: dict[str, str], log: Path, **settings: str) -> tuple[subprocess.Popen, int]:
    """gunicorn as production runs it (gunicorn.conf.py, wsgi:app) on a free port, with the
    test's environment and `settings` (WEB_CONCURRENCY=…); its output in `log`. Returns the
    process and the port."""
    port = free_port()
    env = {**os.environ, **env, "DESK_BIND": f"127.0.0.1:{port}", **settings}
    args = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
    return start_logged(args, log, env), port


@contextlib.contextmanager
def running_gunicorn(env: dict[str, str], log: Path, **settings: str) -> Iterator[int]:
    """`start_gunicorn`, then its port once a worker has booted and desk answers; the server
    is stopped (`stop_group`) when the block ends, however it ends."""
    process, port = start_gunicorn(env, log, **settings)
    try:
        wait_for_log(log, "Booting worker with pid")
        wait_until_up(port)
        yield port
    finally:
        stop_group(process)


def start_logged(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    """Start `args` from the repository's root, its stdout and stderr both written to `log`,
    in a session of its own (stop it with `stop_group`) that ends with the test process."""
    with log.open("w") as out:
        return subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_test,
        )


def stop_group(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM the process's whole session, as systemd stops a unit, and wait for it."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=timeout)


def wait_until_up(port: int, timeout: float = 60) -> None:
    """Until the server on `port` answers its login page (gunicorn's workers have booted and
    desk answers, not only the socket)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def wait_for_log(log: Path, text: str, *, count: int = 1, timeout: float = 60) -> str:
    """The log's text once `text` stands in it `count` times; fail with its end after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output = log.read_text(errors="replace")
        if output.count(text) >= count:
            return output
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not logged {count} time(s):\n{log.read_text()[-3000:]}")


def not_json_lines(output: str) -> list[str]:
    """The non-empty lines of `output` that are not a JSON object: what an operator's log
    pipeline reading JSON lines would drop or garble."""
    bad = []
    for line in filter(str.strip, output.splitlines()):
        try:
            is_object = isinstance(json.loads(line), dict)
        except ValueError:
            is_object = False
        if not is_object:
            bad.append(line)
    return bad
