"""The Celery worker and beat, started as their systemd units say, write nothing but JSON
lines: an operator's log pipeline reading them drops or garbles any other line (Celery's
start banner, for one)."""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from pathlib import Path

import pytest

from tests.support.processes import not_json_lines, start_logged, stop_group, wait_for_log

ROOT = Path(__file__).resolve().parents[2]
STATE_DIR = "/var/lib/desk/"  # the units' StateDirectory=desk


def _exec_start(unit: str, state: Path) -> list[str]:
    """The unit's ExecStart, run from this virtualenv and with its state under `state`."""
    lines = (ROOT / "deploy" / unit).read_text().splitlines()
    (command,) = [x.removeprefix("ExecStart=") for x in lines if x.startswith("ExecStart=")]
    args = shlex.split(command)
    assert args[0] == "/opt/desk/.venv/bin/celery", args
    args[0] = str(Path(sys.executable).parent / "celery")
    return [str(state / x.removeprefix(STATE_DIR)) if x.startswith(STATE_DIR) else x for x in args]


@pytest.mark.worker
@pytest.mark.parametrize(
    ("unit", "ready"),
    [("desk-worker.service", "ready."), ("desk-beat.service", "beat: Starting...")],
)
def test_the_units_write_only_json_lines(app, test_env, tmp_path, unit, ready):
    log = tmp_path / "celery.log"
    process = start_logged(_exec_start(unit, tmp_path), log, {**os.environ, **test_env})
    try:
        wait_for_log(log, ready)
        time.sleep(3)  # and what comes right after (the worker kicks a drain of the outbox)
    finally:
        stop_group(process, timeout=60)  # SIGTERM, as systemd stops the unit
    output = log.read_text(errors="replace")
    assert ready in output
    assert not not_json_lines(output), output
    records = [json.loads(line) for line in filter(str.strip, output.splitlines())]
    if unit == "desk-worker.service" and os.geteuid() == 0:
        # The units run as User=desk; as root (a CI container) Celery's warning that it
        # should not comes through the logs too, not as plain text on stderr.
        assert any("superuser privileges" in r["message"] for r in records), output
    if unit == "desk-worker.service":
        # Celery's own "worker: Warm shutdown (MainProcess)" was a plain-text line.
        assert any(
            r["logger"] == "desk.worker" and r["message"] == "warm shutdown on SIGTERM"
            for r in records
        ), output
