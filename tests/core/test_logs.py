"""JSON log lines with a request id, returned to the client and carried into Celery tasks."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.support.factories import make_user


def _lines(text: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return out


def test_every_response_carries_a_request_id_and_its_log_line(client, capsys):
    response = client.get("/login")
    rid = response.headers["X-Request-ID"]
    assert len(rid) == 32
    lines = [e for e in _lines(capsys.readouterr().out) if e.get("logger") == "desk.access"]
    mine = [e for e in lines if e["request_id"] == rid]
    assert len(mine) == 1
    assert mine[0]["status"] == 200 and mine[0]["path"] == "/login"
    assert mine[0]["level"] == "INFO" and "time" in mine[0]


def test_a_valid_incoming_request_id_is_kept_an_invalid_one_replaced(client):
    assert (
        client.get("/login", headers={"X-Request-ID": "lb-42.abc"}).headers["X-Request-ID"]
        == "lb-42.abc"
    )
    for bad in ("<script>", "a" * 200, "two words", ""):
        rid = client.get("/login", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert rid != bad and len(rid) == 32


def test_error_pages_have_a_request_id_too(client):
    assert len(client.get("/no-such-page").headers["X-Request-ID"]) == 32


@pytest.mark.worker
def test_the_request_id_follows_a_submission_into_the_worker(
    world, staff, login, celery_worker_process, capsys
):
    rid = f"e2e-{uuid.uuid4().hex}"
    c = login(staff)
    response = c.submit(
        "/catalogue/licence-zoom",
        {"zoom_email": "claire.martin@umontpellier.fr", "account_created": "y"},
        headers={"X-Request-ID": rid},
    )
    assert response.status_code == 302
    assert response.headers["X-Request-ID"] == rid
    web = [e for e in _lines(capsys.readouterr().out) if e.get("request_id") == rid]
    assert any(e["logger"] == "desk.access" and e["method"] == "POST" for e in web)

    deadline = time.monotonic() + 30
    task_lines: list[dict] = []
    while time.monotonic() < deadline and not task_lines:
        task_lines = [
            e
            for e in _lines(celery_worker_process.output())
            if e.get("request_id") == rid and e.get("logger") == "desk.tasks"
        ]
        time.sleep(0.2)
    assert task_lines, celery_worker_process.output()[-3000:]
    assert task_lines[0]["task"] == "desk.notifications.drain"


def test_admin_changes_are_logged_with_actor_and_object(login, app_ctx, capsys):
    from desk.auth.models import Role

    admin = make_user(role=Role.ADMIN)
    c = login(admin)
    response = c.submit(
        "/admin/domains/new",
        {"code": "rh", "name_fr": "Ressources humaines", "name_en": "HR", "position": "1"},
    )
    assert response.status_code == 302, response.text[:300]
    audit = [e for e in _lines(capsys.readouterr().out) if e.get("logger") == "desk.audit"]
    assert audit, "no audit line"
    assert audit[-1]["action"] == "domain.created"
    assert audit[-1]["actor"] == admin.email
    assert audit[-1]["object"].startswith("domain:")
    assert audit[-1]["request_id"]


def test_routine_task_lines_are_debug_the_rest_stay(app_ctx, capsys):
    """Beat's tick every 10 s must not flood the log: its lines only show at DEBUG."""
    import logging

    from desk.core.logs import task_log

    root = logging.getLogger()
    saved = root.level
    tick = {"task": "desk.core.tick", "task_id": "t1"}
    try:
        root.setLevel(logging.INFO)
        capsys.readouterr()
        task_log.info("task %s started", "desk.core.tick", extra=tick)
        logging.getLogger("celery.app.trace").info("Task desk.core.tick[t1] succeeded in 0.01s")
        task_log.info("task %s started", "desk.sla.sweep", extra={"task": "desk.sla.sweep"})
        task_log.warning("task %s failed", "desk.core.tick", extra=tick)
        shown = [(e["level"], e["message"]) for e in _lines(capsys.readouterr().out)]
        assert shown == [
            ("INFO", "task desk.sla.sweep started"),
            ("WARNING", "task desk.core.tick failed"),
        ]
        root.setLevel(logging.DEBUG)
        task_log.info("task %s started", "desk.core.tick", extra=tick)
        shown = [(e["level"], e["message"]) for e in _lines(capsys.readouterr().out)]
        assert ("DEBUG", "task desk.core.tick started") in shown
    finally:
        root.setLevel(saved)


def test_the_development_server_logs_each_request_once(app, capsys):
    """`make run` serves through Werkzeug, whose own line per request repeated desk.access's,
    terminal colours and all, inside the JSON."""
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        capsys.readouterr()
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/login") as answer:
            rid = answer.headers["X-Request-ID"]
        server.shutdown()
        thread.join(10)
    finally:
        server.server_close()
    lines = _lines(capsys.readouterr().out)
    assert [e["logger"] for e in lines if e.get("request_id") == rid] == ["desk.access"]
    assert not [e for e in lines if e.get("logger") == "werkzeug"]
