"""desk_gunicorn.py, the worker class gunicorn.conf.py sets: loaded by the gunicorn master
without desk's app code, sharing its names with desk.core.refused, and saying out loud that
`--threads` does not apply to it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

import desk_gunicorn
from desk.core import refused
from tests.support.processes import ROOT, running_gunicorn

# What the master does with gunicorn.conf.py, at start and on a HUP reload (it reads the file
# again); then which modules of desk's own (the app, its config, wsgi.py) it holds.
MASTER = """
import runpy, sys
first = runpy.run_path("gunicorn.conf.py")["worker_class"]
again = runpy.run_path("gunicorn.conf.py")["worker_class"]
assert again is not first, "a reload kept the old worker class"
desk = [m for m in sys.modules if m.split(".")[0] in ("desk", "config", "wsgi")]
print(sorted(desk))
"""


def test_the_gunicorn_master_imports_nothing_of_desk():
    result = subprocess.run(
        [sys.executable, "-c", MASTER], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_worker_and_the_app_use_the_same_names():
    for name in ("REFUSED_STATUS", "REFUSED_REASON", "REFUSED_METHOD", "REFUSED_PATH", "APP_MARK"):
        assert getattr(desk_gunicorn, name) == getattr(refused, name), name


def _exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(data)
        return sock.makefile("rb").read()


@pytest.mark.worker
def test_threads_are_said_to_be_ignored_and_the_worker_stays_desks(app, test_env, tmp_path):
    log = tmp_path / "gunicorn.log"
    settings = {"WEB_CONCURRENCY": "1", "GUNICORN_CMD_ARGS": "--threads 4"}
    with running_gunicorn(test_env, log, **settings) as port:
        answer = _exchange(port, b"G(T / HTTP/1.1\r\nHost: x\r\nAccept-Language: fr\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 BAD REQUEST")  # desk's page, not gthread's
    assert b"<h1>Requ\xc3\xaate incorrecte</h1>" in answer
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    warnings = [e for e in entries if e["logger"] == "gunicorn.error" and e["level"] == "WARNING"]
    assert [e["message"] for e in warnings if "threads = 4 is ignored" in e["message"]]
