"""gunicorn settings for desk: `gunicorn -c gunicorn.conf.py wsgi:app`.

Prometheus multi-process mode: every worker process writes its metrics to files under
PROMETHEUS_MULTIPROC_DIR (set it to an empty directory, cleared at each start, before gunicorn
starts); /metrics adds them up. A worker that exits leaves its files behind: child_exit tells
prometheus_client to merge them into the totals instead of reporting a dead process's gauges.

The workers are gunicorn's sync workers, but for the requests gunicorn refuses itself (see
DeskWorker).
"""

from __future__ import annotations

import io
import os
import sys

from gunicorn.http import errors as http_errors
from gunicorn.workers.sync import SyncWorker

bind = os.environ.get("DESK_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# desk logs its own JSON access line per request (with the request id); gunicorn's would repeat it.
accesslog = None
# gunicorn's own lines (started, worker booted or exiting, WORKER TIMEOUT: what an operator needs
# most when a dependency hangs) were plain text on stderr among desk's JSON lines on stdout: a
# pipeline that reads JSON dropped or garbled them. They are JSON on stdout now, with desk's
# fields. pythonjsonlogger is named here rather than desk.core.logs imported: desk imported in
# the master would keep its old code across a HUP reload.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    # No handler on the root logger: each worker's create_app puts desk's there (gunicorn's
    # default one would print every desk line a second time, as plain text).
    "root": {"level": "INFO", "handlers": []},
    "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False}},
    "handlers": {
        "json": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "static_fields": {"request_id": None},
        }
    },
}


def child_exit(server, worker) -> None:
    """Mark a gone worker's metric files as dead (multi-process mode only)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


# Names shared with desk.core.refused, written out: desk imported here, in the master, would keep
# its old code across a HUP reload (see logconfig_dict).
REFUSED_STATUS = "desk.refused_status"
REFUSED_REASON = "desk.refused_reason"
APP_MARK = "answers_refused_requests"
# What of a refused request's head is handed on: the reader's language, the proxy's client
# address, scheme and request id (the log line). Only the first bytes of a request are kept.
HEAD_KEPT = 16384
HEADERS_KEPT = frozenset(
    {"accept-language", "x-forwarded-for", "x-forwarded-proto", "x-request-id"}
)
# gunicorn's status for each client error it refuses; any other is a 400. Its 501 for a
# transfer coding it does not know is one too: desk answers no input with a 5xx.
REFUSAL_STATUS = {
    http_errors.LimitRequestHeaders: 431,
    http_errors.LimitRequestLine: 414,
    http_errors.ExpectationFailed: 417,
    http_errors.ForbiddenProxyRequest: 403,
}
# Not the client's fault: gunicorn's own answer (500) and its ERROR line stay.
NOT_REFUSALS = (
    http_errors.ConfigurationProblem,
    http_errors.InvalidResponseHeader,
    http_errors.InvalidResponseHeaderName,
)


class _HeadRecorder:
    """The client socket, keeping the first bytes received: the head of a request gunicorn's
    parser refuses is gone with it, and the page answering it should speak the reader's
    language. Everything else goes to the socket."""

    __slots__ = ("_sock", "head")

    def __init__(self, sock):
        self._sock = sock
        self.head = b""

    def recv(self, size, *flags):
        data = self._sock.recv(size, *flags)
        if len(self.head) < HEAD_KEPT:
            self.head += data[: HEAD_KEPT - len(self.head)]
        return data

    def read_rest_of_head(self) -> None:
        """Read what has arrived of the head past where the parser stopped: a request line
        over its limit is refused before the headers that follow it are read."""
        try:
            self._sock.setblocking(False)
            while b"\r\n\r\n" not in self.head and len(self.head) < HEAD_KEPT:
                if not self.recv(HEAD_KEPT - len(self.head)):
                    break
        except OSError:  # nothing more has arrived (BlockingIOError), or the client is gone
            pass
        finally:
            self._sock.setblocking(True)

    def __getattr__(self, name):
        return getattr(self._sock, name)


class DeskWorker(SyncWorker):
    """A sync worker whose refusals of malformed requests are desk's own error page.

    gunicorn answers a request it cannot parse (request line, method, header name or value,
    sizes, framing) from its worker's handle_error, with a bare English page and no security
    header: "No input gives a 5xx, a 4xx page in the user's language" did not hold there. This
    worker hands such a request to the app, when the app says it answers them (desk.core.refused),
    and writes the app's page; otherwise, or for a server-side error, gunicorn answers as before.
    """

    def handle(self, listener, client, addr):
        if not self.cfg.is_ssl:  # TLS wraps the real socket (desk runs behind a proxy anyway)
            client = _HeadRecorder(client)
        super().handle(listener, client, addr)

    def handle_error(self, req, client, addr, exc):
        refused = isinstance(exc, http_errors.ParseException) and not isinstance(exc, NOT_REFUSALS)
        if not refused or not getattr(self.wsgi, APP_MARK, False):
            return super().handle_error(req, client, addr, exc)
        status = next((s for kind, s in REFUSAL_STATUS.items() if isinstance(exc, kind)), 400)
        head = b""
        if isinstance(client, _HeadRecorder):
            client.read_rest_of_head()
            head = client.head
        try:
            answer = _app_answer(self.wsgi, _refused_environ(head, addr, status, str(exc)))
        except Exception:
            self.log.exception("desk's page for a refused request failed")
            return super().handle_error(req, client, addr, exc)
        try:
            client.sendall(answer)
        except OSError:
            self.log.debug("Failed to send error message.")
        return None


def _refused_environ(head: bytes, addr, status: int, reason: str) -> dict:
    addr = addr or ("", -1)  # a unix socket
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": str(addr[0]),
        "REMOTE_PORT": str(addr[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        REFUSED_STATUS: status,
        REFUSED_REASON: reason,
    }
    for line in head.split(b"\r\n\r\n", 1)[0].split(b"\n")[1:]:
        name, colon, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        value = value.strip()
        if colon and name in HEADERS_KEPT and value.isprintable():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def _app_answer(app, environ: dict) -> bytes:
    """The app's whole response to `environ`, as bytes to write, the connection then closed."""
    started = []

    def start_response(status, headers, exc_info=None):
        started[:] = [status, headers]

    parts = app(environ, start_response)
    try:
        body = b"".join(parts)
    finally:
        if hasattr(parts, "close"):
            parts.close()
    status, headers = started
    lines = [f"HTTP/1.1 {status}"]
    lines += [f"{name}: {value}" for name, value in headers if name.lower() != "connection"]
    lines += ["Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


worker_class = DeskWorker
