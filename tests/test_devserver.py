"""`make run`'s supervisor: Ctrl-C pressed again while it stops does not leave children behind."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import pytest

from desk.devserver import Supervisor

SLOW_TO_STOP = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, lambda *a: (time.sleep(1.0), sys.exit(0)))\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)\n"
)


def test_a_second_interrupt_during_stop_still_stops_every_child(tmp_path):
    saved = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    supervisor = Supervisor(dict(os.environ))
    try:
        supervisor.start("slow", sys.executable, "-u", "-c", SLOW_TO_STOP)
        ((_name, child),) = supervisor.children
        time.sleep(1.0)  # the child has installed its handler
        # The impatient developer presses Ctrl-C again while the child takes 1 s to stop.
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
        try:
            supervisor.stop()
        except KeyboardInterrupt:
            pytest.fail("the second Ctrl-C interrupted the shutdown")
        assert child.poll() == 0  # it stopped cleanly, through its own SIGTERM handler
        assert supervisor.children == []
    finally:
        signal.signal(signal.SIGINT, saved[0])
        signal.signal(signal.SIGTERM, saved[1])
        for _name, process in supervisor.children:
            process.kill()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("raw", ["http", "80", "99999", "-1"])
def test_a_port_that_is_not_one_is_refused_with_its_name(raw):
    from desk.devserver import _web_port

    with pytest.raises(SystemExit, match="DESK_PORT must be a port number"):
        _web_port({"DESK_PORT": raw})


def test_make_run_serves_on_the_port_desk_port_names(tmp_path):
    """Two copies on one machine: `DESK_PORT=… make run` starts everything (embedded Redis,
    mail sink on the next port, worker, beat) and serves there; links name that port."""
    import subprocess
    import urllib.request
    from pathlib import Path

    port = _free_port()
    # As on a newcomer's machine: none of the suite's settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DESK_", "FLASK_"))}
    env.update({"DESK_PORT": str(port), "DESK_INSTANCE_DIR": str(tmp_path / "instance")})
    root = Path(__file__).resolve().parents[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "desk.devserver"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        banner = ""
        deadline = time.monotonic() + 300
        while "desk is running on" not in banner and time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line:
                break
            banner += line
        assert f"desk is running on http://127.0.0.1:{port}" in banner, banner[-2000:]
        # Keep reading: the worker's and web's logs would fill the pipe and block them.
        rest: list[str] = []
        reader = threading.Thread(target=lambda: rest.extend(server.stdout), daemon=True)
        reader.start()
        # The banner comes once the web listens: the first page answers at once.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=60) as r:
            page = r.read().decode()
        assert 'name="csrf_token"' in page
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    reader.join(timeout=10)
    assert "All desk processes stopped.\n" in rest
    # Celery's start banners do not bury desk's (nor come between its lines).
    output = banner + "".join(rest)
    assert "[tasks]" not in output and "celery beat v" not in output, output[-3000:]


SLOW_LISTENER = (
    "import socket, sys, time\n"
    "time.sleep(1.5)\n"  # importing the app on a busy machine
    "s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen()\n"
    "time.sleep(30)\n"
)


def test_the_banner_waits_until_the_web_listens():
    import subprocess

    from desk.devserver import _wait_for_web

    port = _free_port()
    web = subprocess.Popen([sys.executable, "-c", SLOW_LISTENER, str(port)])
    try:
        started = time.monotonic()
        _wait_for_web(web, port)
        assert time.monotonic() - started >= 1.4
    finally:
        web.kill()
        web.wait()


def test_a_web_server_that_dies_while_starting_is_reported():
    import subprocess

    from desk.devserver import _wait_for_web

    web = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(3)"])
    with pytest.raises(SystemExit, match="web server exited with code 3"):
        _wait_for_web(web, _free_port())
