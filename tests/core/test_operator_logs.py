"""A production-mode worker as an operator reads it: JSON lines only, every e-mail's delivery
under the id of the request that wrote it, each periodic job's start and end, failures with
the task's name and ids, and its heartbeat as a metric."""

from __future__ import annotations

import json
import math
import re
import time
import uuid

import pytest

from desk.core.tasks import tick
from desk.extensions import db
from tests.notifications.conftest import smtp  # noqa: F401 - the real SMTP server fixture
from tests.support.worker import WorkerProcess

pytestmark = pytest.mark.worker
TOKEN = {"Authorization": "Bearer operator-logs-token"}


@pytest.fixture
def production_worker(test_env, smtp):  # noqa: F811
    env = {
        **test_env,
        "DESK_ENV": "production",
        "DESK_DATABASE_URL": test_env["DESK_TEST_DATABASE_URL"],
        "DESK_REDIS_URL": test_env["DESK_TEST_REDIS_URL"],
        "DESK_MAIL_HOST": "127.0.0.1",
        "DESK_MAIL_PORT": str(smtp.port),
    }
    worker = WorkerProcess(env).start()
    yield worker
    worker.stop()


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _wait_for(worker: WorkerProcess, found, timeout: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [e for e in _json_lines(worker.output()) if found(e)]
        if lines:
            return lines
        time.sleep(0.2)
    raise AssertionError(f"not logged; worker output:\n{worker.output()[-4000:]}")


def _after_banner(worker: WorkerProcess) -> list[str]:
    # Celery prints its start banner as text before logging is ours; everything after is JSON.
    return worker.output().split("ready.", 1)[1].splitlines()[1:]


def test_an_e_mail_is_logged_sent_under_its_requests_id(
    world,
    staff,
    login,
    production_worker,
):
    rid = f"op-{uuid.uuid4().hex}"
    response = login(staff).submit(
        "/catalogue/licence-zoom",
        {"zoom_email": "claire.martin@umontpellier.fr", "account_created": "y"},
        headers={"X-Request-ID": rid},
    )
    assert response.status_code == 302
    (sent, *_) = _wait_for(
        production_worker,
        lambda e: e.get("request_id") == rid and e["logger"] == "desk.notifications.delivery",
    )
    assert sent["level"] == "INFO" and sent["message"].endswith(" sent")
    assert isinstance(sent["notification_id"], int) and sent["attempt"] == 1


def test_periodic_jobs_log_their_start_end_and_failure_as_json(app, app_ctx, production_worker):
    tick.delay([["sla-sweep", "desk.sla.sweep", 60.0], ["broken", "desk.no.such.task", 60.0]])
    (failed,) = _wait_for(
        production_worker, lambda e: e.get("job") == "broken" and e["level"] == "ERROR"
    )
    assert "NotRegistered" in failed["exc_info"] and failed["duration_ms"] >= 0
    assert failed["task"] == "desk.no.such.task" and failed["request_id"].startswith("task-")
    sweep = [e for e in _json_lines(production_worker.output()) if e.get("job") == "sla-sweep"]
    assert [e["message"] for e in sweep] == [
        "periodic job sla-sweep started",
        "periodic job sla-sweep finished",
    ]
    assert sweep[1]["duration_ms"] >= 0 and sweep[1]["request_id"] == failed["request_id"]

    # A task that raises: Celery's error line and desk's, both JSON, with the task's name and id.
    celery = app.extensions["celery"]
    task_id = celery.send_task("desk.core.heartbeat", kwargs={"no_such_argument": 1}).id
    # Waited for apart: the task's lines come as the worker writes them, and its "received"
    # line (no state) may be the only one there yet (a KeyError seen under load).
    (done,) = _wait_for(production_worker, lambda e: e.get("task_id") == task_id and "state" in e)
    assert done["task"] == "desk.core.heartbeat" and done["state"] == "FAILURE"
    (error,) = _wait_for(
        production_worker, lambda e: task_id in e["message"] and e["level"] == "ERROR"
    )
    assert error["data"]["name"] == "desk.core.heartbeat" and "Traceback" in error["exc_info"]
    # No trace printed raw on the worker's stdout/stderr.
    raw = [line for line in _after_banner(production_worker) if not line.startswith("{")]
    assert not [line for line in raw if "Traceback" in line or "Error" in line], raw


def _age(client) -> float:
    text = client.get("/metrics", headers=TOKEN).text
    match = re.search(r"^desk_worker_heartbeat_age_seconds (\S+)$", text, re.M)
    assert match, text
    return float(match.group(1))


def test_the_workers_heartbeat_age_grows_once_the_worker_stops(
    app, client, app_ctx, production_worker, monkeypatch
):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "operator-logs-token")
    assert math.isinf(_age(client))
    tick.delay([])
    deadline = time.monotonic() + 30
    while math.isinf(_age(client)) and time.monotonic() < deadline:
        db.session.rollback()
        time.sleep(0.2)
    assert _age(client) < 10
    production_worker.stop()
    time.sleep(2.5)
    assert _age(client) >= 2
