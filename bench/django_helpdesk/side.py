"""The django-helpdesk yardstick as bench/submit.py drives it (runs in desk's .venv): its own
virtualenv (built once per interpreter, reused while requirements.txt is unchanged), database,
SMTP sink and gunicorn; the wrk environment of a real GET of the form; the tickets and e-mails
counted after.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import requests
from sqlalchemy import create_engine, text

from bench.stack import cookie_header

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# One virtualenv per interpreter: both sides must run on the same Python (its build, with or
# without profile-guided optimisation, moves the CPU per request as much as a code change).
_PYTHON = os.path.realpath(sys.executable)
VENV = Path(tempfile.gettempdir()) / (
    "desk-bench-django-helpdesk-venv-"
    + hashlib.sha256(f"{_PYTHON} {sys.version}".encode()).hexdigest()[:10]
)
FORM = "/tickets/submit/"
SCRIPT = "bench/django_helpdesk/submit.lua"
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1/postgres"

Spawn = Callable[[list[str], dict[str, str]], subprocess.Popen]


def ensure_venv() -> Path:
    """The virtualenv's bin/, built from requirements.txt with desk's interpreter unless a copy
    of it is already there."""
    requirements = HERE / "requirements.txt"
    stamp = VENV / "bench-requirements.txt"
    if not stamp.exists() or stamp.read_text() != requirements.read_text():
        shutil.rmtree(VENV, ignore_errors=True)
        # nothing of desk's .venv is installed into it
        subprocess.run([_PYTHON, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(VENV / "bin/pip"), "install", "-q", "-r", str(requirements)], check=True
        )
        shutil.copyfile(requirements, stamp)
    return VENV / "bin"


class MessageCounter:
    """An aiosmtpd handler that only counts the messages received, per recipient."""

    def __init__(self) -> None:
        self.received = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            self.received += len(envelope.rcpt_tos)
        return "250 OK"


class DjangoHelpdesk:
    """Start with start(), read the tickets with tickets(), then stop()."""

    def __init__(self, desk_database: str, port: int, staff_copy: bool = False) -> None:
        self.staff_copy = staff_copy  # a second e-mail per ticket, to the queue's team
        self.database = f"{desk_database}_dh"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1/{self.database}"
        self.base_url = f"http://127.0.0.1:{port}"
        self.port = port
        self.sink = MessageCounter()
        self._admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        self._controller = None

    def start(self, spawn: Spawn, smtp_port: int, log: IO[bytes]) -> dict[str, str]:
        """Set up and start everything; returns the wrk script's environment."""
        from aiosmtpd.controller import Controller

        bin_dir = ensure_venv()
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.database}"'))
        self._controller = Controller(self.sink, hostname="127.0.0.1", port=smtp_port)
        self._controller.start()
        env = {
            "DJANGO_SETTINGS_MODULE": "bench.django_helpdesk.settings",
            "DH_DATABASE": self.database,
            "DH_SMTP_PORT": str(smtp_port),
            "DESK_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": "2",
            # gunicorn.conf.py's child_exit would import prometheus_client, absent here
            "PROMETHEUS_MULTIPROC_DIR": "",
        }
        python = str(bin_dir / "python")
        for step in (
            [python, "-m", "django", "migrate", "--verbosity", "0"],
            [
                python,
                "-m",
                "bench.django_helpdesk.prepare",
                f"127.0.0.1:{self.port}",
                *(["visio-equipe@umontpellier.fr"] if self.staff_copy else []),
            ],
        ):
            done = subprocess.run(
                step,
                cwd=ROOT,
                env={**os.environ, **env},
                check=True,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        queue = done.stdout.decode().strip()
        gunicorn = [str(bin_dir / "gunicorn"), "-c", "gunicorn.conf.py"]
        self.process = spawn([*gunicorn, "bench.django_helpdesk.wsgi:application"], env)
        return {**self._form_tokens(), "DH_QUEUE": queue}

    def _form_tokens(self) -> dict[str, str]:
        """Cookie and form token of a real GET of the form, once gunicorn answers."""
        for _ in range(300):
            if self.process.poll() is not None:
                raise SystemExit(f"django-helpdesk exited early ({self.process.returncode})")
            try:
                browser = requests.Session()
                page = browser.get(self.base_url + FORM, timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise SystemExit("django-helpdesk did not answer within 60 s")
        return {"DH_COOKIE": cookie_header(browser), "DH_CSRF": CSRF_RE.search(page.text).group(1)}

    def tickets(self) -> tuple[int, int]:
        """Tickets created, and how many of their follow-ups list an e-mail sent."""
        engine = create_engine(self.url)
        with engine.connect() as conn:
            tickets = conn.execute(text("SELECT count(*) FROM helpdesk_ticket")).scalar_one()
            mailed = conn.execute(
                text(
                    "SELECT count(*) FROM helpdesk_followup"
                    " WHERE jsonb_array_length(email_recipients) > 0"
                )
            ).scalar_one()
        engine.dispose()
        return tickets, mailed

    def stop(self) -> None:
        """After the gunicorn process has been stopped: the sink and the database go."""
        if self._controller is not None:
            self._controller.stop()
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
        self._admin.dispose()
