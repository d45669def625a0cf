"""Under gunicorn, its own lines (start, workers booting, dying, exiting) are JSON on stdout
like desk's, and desk's own lines are written once."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request

import pytest

from tests.support.processes import not_json_lines, start_gunicorn, stop_group, wait_for_log


@pytest.mark.worker
def test_gunicorns_lines_are_json_like_desks(app, test_env, tmp_path):
    log = tmp_path / "gunicorn.log"
    process, port = start_gunicorn(test_env, log, WEB_CONCURRENCY="1")
    try:
        output = wait_for_log(log, "Booting worker with pid")
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
        wait_for_log(log, "Booting worker with pid", count=2)
    finally:
        stop_group(process)
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert not not_json_lines("\n".join(lines)), lines
    entries = [json.loads(x) for x in lines]
    gunicorn = [e for e in entries if e["logger"] == "gunicorn.error"]
    assert {"time", "level", "message", "request_id"} <= set(gunicorn[0])
    killed = [e for e in gunicorn if f"Worker (pid:{worker}) was sent SIGKILL" in e["message"]]
    assert killed and killed[0]["level"] == "ERROR"
    assert any(e["message"] == "Shutting down: Master" for e in gunicorn)
    # desk's access line of the request, once (no second, plain copy through gunicorn's root).
    assert [e["logger"] for e in entries if e.get("request_id") == rid] == ["desk.access"]
