"""A real Dovecot IMAP server on free ports, with its own configuration, for tests.

Debian's /usr/sbin/dovecot runs in the foreground (`-F`) from a generated dovecot.conf (no
system configuration is read): one passwd-file user, Maildir storage in a temporary
directory, a self-signed certificate made with openssl for IMAPS and STARTTLS. Missing
dovecot skips locally, fails under CI.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.processes import die_with_test

DOVECOT = "/usr/sbin/dovecot"
USER = "desk"
PASSWORD = "imap-secret"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {tmp}/run
state_dir = {tmp}/state
log_path = {tmp}/dovecot.log
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 0
ssl = yes
ssl_cert = <{tmp}/cert.pem
ssl_key = <{tmp}/key.pem
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {tmp}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={tmp}/home/%u
}}
mail_location = maildir:{tmp}/home/%u/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


def free_port() -> int:
    """A TCP port free right now on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Dovecot:
    """A running server: where to reach it and the certificate to trust."""

    imap_port: int
    imaps_port: int
    cafile: str
    tmp: Path

    def url(self, *, tls: str = "imaps", folder: str = "INBOX") -> str:
        """An DESK_INBOUND_IMAP_URL for this server (imaps, or imap + STARTTLS)."""
        port = self.imaps_port if tls == "imaps" else self.imap_port
        return f"{tls}://{USER}:{PASSWORD}@127.0.0.1:{port}/{folder}"


def _certificate(tmp: Path) -> None:
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )


def _wait(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited: {log.read_text() if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("dovecot did not start listening")


@contextlib.contextmanager
def running_dovecot(extra_config: str = "") -> Iterator[Dovecot]:
    """Start a private Dovecot (the caller checked that it is installed); stop it after.

    `extra_config` is appended to the generated dovecot.conf (a test's plugins: ACL, quota)."""
    tmp = Path(tempfile.mkdtemp(prefix="desk-dovecot-"))
    for sub in ("run", "state", "home"):
        (tmp / sub).mkdir()
    _certificate(tmp)
    (tmp / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    # Dovecot refuses to run its login and mail processes as root: as root (CI containers),
    # use the accounts the Debian package creates and hand them the temporary directory.
    if os.getuid() == 0:
        internal, login = "dovecot", "dovenull"
        entry = pwd.getpwnam("dovecot")
        uid, gid = entry.pw_uid, entry.pw_gid
        shutil.chown(tmp / "home", uid, gid)
        tmp.chmod(0o755)
    else:
        internal = login = getpass.getuser()
        uid, gid = os.getuid(), os.getgid()
    server = Dovecot(free_port(), free_port(), str(tmp / "cert.pem"), tmp)
    conf = tmp / "dovecot.conf"
    conf.write_text(
        CONFIG.format(
            tmp=tmp,
            internal=internal,
            login=login,
            uid=uid,
            gid=gid,
            imap_port=server.imap_port,
            imaps_port=server.imaps_port,
        )
        + extra_config
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=die_with_test,
    )
    try:
        _wait(server.imaps_port, process, tmp / "dovecot.log")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if not os.environ.get("DESK_KEEP_DOVECOT"):
            shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot():
    """A Dovecot IMAP server for the session; each test empties the mailbox it uses."""
    if not os.path.exists(DOVECOT):
        if os.environ.get("CI"):
            pytest.fail("dovecot-imapd is not installed (.ci/run installs it)")
        pytest.skip("dovecot-imapd is not installed")
    with running_dovecot() as server:
        yield server
