"""A PostgreSQL server of the test's own, to stop, crash or restart under the app.

Fault tests must never touch the shared server. This one lives in a temporary directory,
listens on a free local port, and is run by the `postgres` system user when the tests run as
root (initdb refuses root). Binaries: /usr/lib/postgresql/15/bin, or DESK_PG_BIN.

    server = PrivatePostgres().start()
    url = server.create_database("desk")      # a SQLAlchemy URL (psycopg 3)
    server.stop()                              # fast shutdown: clients see the outage
    server.freeze(); server.thaw()             # SIGSTOP/SIGCONT the postmaster: new
                                               # connections wait, open sessions still answer
    server.start()                             # same data, same port
    server.destroy()                           # stop and delete everything

The directory is made directly under the system temp dir: pytest's tmp_path sits in a
root-only folder the `postgres` user could not enter.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("DESK_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivatePostgres:
    """initdb + pg_ctl on a temporary directory and a free port."""

    def __init__(self):
        if not (PG_BIN / "initdb").exists():
            message = f"PostgreSQL server binaries not found in {PG_BIN}"
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
        self.base = Path(tempfile.mkdtemp(prefix="desk-pg-"))
        self.data = self.base / "pgdata"
        self.port = _free_port()
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> PrivatePostgres:
        """Create the cluster on first use, then start it and wait until it accepts."""
        if not self.data.exists():
            self.data.mkdir()
            if self._as_postgres:
                user = pwd.getpwnam("postgres")
                for path in (self.base, self.data):
                    os.chown(path, user.pw_uid, user.pw_gid)
            self._run(
                "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
            )
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.data / "log"),
            "-w",
            "start",
        )
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast`: clients are disconnected, `immediate`: like a crash)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def _postmaster(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def freeze(self) -> None:
        """SIGSTOP the postmaster: the kernel accepts new connections, nothing answers them."""
        os.kill(self._postmaster(), signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self._postmaster(), signal.SIGCONT)

    def create_database(self, name: str) -> str:
        """Create a database; returns its SQLAlchemy URL."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def destroy(self) -> None:
        """Stop and delete the cluster."""
        self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)
