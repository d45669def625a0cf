"""Under gunicorn, its own lines (start, workers booting, dying, exiting) are JSON on stdout
like desk's, and desk's own lines are written once."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(log: Path, text: str, *, count: int = 1, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output = log.read_text(errors="replace")
        if output.count(text) >= count:
            return output
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not logged {count} time(s):\n{log.read_text()[-3000:]}")


@pytest.mark.worker
def test_gunicorns_lines_are_json_like_desks(app, test_env, tmp_path):
    port = _free_port()
    env = {**os.environ, **test_env, "DESK_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"}
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        output = _wait_for(log, "Booting worker with pid")
        (booted,) = [json.loads(x) for x in output.splitlines() if "Booting worker" in x]
        worker = int(booted["message"].rsplit(" ", 1)[1])
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as r:
                    rid = r.headers["X-Request-ID"]
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        # A worker killed (the kernel's OOM killer, say): the master's ERROR line and the
        # new worker's boot, which an operator's alert reads, are JSON too.
        os.kill(worker, signal.SIGKILL)
        _wait_for(log, "Booting worker with pid", count=2)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert not [x for x in lines if not x.startswith("{")], lines
    entries = [json.loads(x) for x in lines]
    gunicorn = [e for e in entries if e["logger"] == "gunicorn.error"]
    assert {"time", "level", "message", "request_id"} <= set(gunicorn[0])
    killed = [e for e in gunicorn if f"Worker (pid:{worker}) was sent SIGKILL" in e["message"]]
    assert killed and killed[0]["level"] == "ERROR"
    assert any(e["message"] == "Shutting down: Master" for e in gunicorn)
    # desk's access line of the request, once (no second, plain copy through gunicorn's root).
    assert [e["logger"] for e in entries if e.get("request_id") == rid] == ["desk.access"]
