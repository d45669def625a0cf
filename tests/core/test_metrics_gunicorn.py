"""Under gunicorn with several worker processes, /metrics adds up every process's requests."""

from __future__ import annotations

import http.client
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.processes import start_gunicorn, stop_group

TOKEN = "gunicorn-metrics-token"


def _get(port: int, path: str, headers: dict | None = None) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def _login_count(text: str) -> float:
    prefix = 'desk_http_requests_total{endpoint="auth.login",method="GET",status="200"}'
    lines = [x for x in text.splitlines() if x.startswith(prefix)]
    return float(lines[0].split()[-1]) if lines else 0.0


@pytest.mark.worker
def test_metrics_of_all_gunicorn_workers_are_added_up(app, test_env, tmp_path):
    process, port = start_gunicorn(
        test_env,
        tmp_path / "gunicorn.log",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
        WEB_CONCURRENCY="2",
        DESK_METRICS_TOKEN=TOKEN,
    )
    try:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        deadline = time.monotonic() + 60
        # Wait on /metrics, not /login: a readiness probe that times out on a loaded machine
        # is still answered (and counted) later, which once made 31 of the 30 logins below.
        while time.monotonic() < deadline:
            try:
                if _get(port, "/metrics", auth)[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise AssertionError((tmp_path / "gunicorn.log").read_text())
        before = _login_count(_get(port, "/metrics", auth)[1])
        # Concurrent requests, so that both sync workers answer some of them.
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda _: _get(port, "/login")[0], range(30)))
        assert statuses == [200] * 30
        assert _get(port, "/metrics")[0] == 404
        status, text = _get(port, "/metrics", auth)
        assert status == 200
        # Every one of the 30 is counted, once, whichever process answered it.
        assert _login_count(text) == before + 30
        # Each worker process that answered wrote its own file; /metrics summed them.
        assert list(tmp_path.glob("counter_*.db"))
    finally:
        stop_group(process)
