"""desk's gunicorn worker: gunicorn's sync worker, but the requests gunicorn refuses itself get
desk's own error page (gunicorn.conf.py sets it as `worker_class`).

gunicorn answers a request it cannot parse (request line, method, header name or value, sizes,
framing) from its worker's handle_error, with a bare English page and no security header: "No
input gives a 5xx, a 4xx page in the user's language" did not hold there. DeskWorker hands such
a request to the app, when the app says it answers them (desk.core.refused), and writes the
app's page; otherwise, or for a server-side error, gunicorn answers as before.

The gunicorn master imports this module (to know the worker class): it imports nothing of desk,
whose app code in the master would keep its old version across a HUP reload (gunicorn.conf.py
reloads this module itself on HUP). The few names shared with desk.core.refused are therefore
written out here; tests/core/test_gunicorn_worker.py checks they agree.

One request at a time per process: gunicorn's `--threads` (its gthread worker) does not apply
to this worker; `on_starting` says so in the log when it is set (README, "Running in
production").
"""

from __future__ import annotations

import io
import sys

from gunicorn.http import errors as http_errors
from gunicorn.workers.sync import SyncWorker

# Names shared with desk.core.refused (see above).
REFUSED_STATUS = "desk.refused_status"
REFUSED_REASON = "desk.refused_reason"
REFUSED_METHOD = "desk.refused_method"
REFUSED_PATH = "desk.refused_path"
APP_MARK = "answers_refused_requests"
# What of a refused request's head is handed on: the reader's language, the proxy's client
# address, scheme and request id (the log line). Only the first bytes of a request are kept.
HEAD_KEPT = 16384
HEADERS_KEPT = frozenset(
    {"accept-language", "x-forwarded-for", "x-forwarded-proto", "x-request-id"}
)
# How much of a refused request's method and path the log line carries (a request line past
# gunicorn's limit is 4 KiB and more).
METHOD_LOGGED = 32
PATH_LOGGED = 512
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


def on_starting(server) -> None:
    """gunicorn.conf.py's `on_starting`: say at start that `--threads` does not apply."""
    threads = server.cfg.threads
    if threads > 1 and issubclass(server.cfg.worker_class, DeskWorker):
        server.log.warning(
            "threads = %d is ignored: desk's worker (desk_gunicorn.DeskWorker) is gunicorn's "
            "sync worker, one request at a time per process; set more workers instead",
            threads,
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
    """A sync worker whose refusals of malformed requests are desk's own error page."""

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
            answer = _app_answer(self.wsgi, refused_environ(head, addr, status, str(exc)))
        except Exception:
            self.log.exception("desk's page for a refused request failed")
            return super().handle_error(req, client, addr, exc)
        try:
            client.sendall(answer)
        except OSError:
            self.log.debug("Failed to send error message.")
        return None


def refused_environ(head: bytes, addr, status: int, reason: str) -> dict:
    """The WSGI environ handing a refused request to the app: a GET of "/" (nothing of it is
    routed or read), with the headers of HEADERS_KEPT it could read, the status to answer, and
    the method and path as far as they could be read, for the log line ("-" where not)."""
    addr = addr or ("", -1)  # a unix socket
    method, path = request_line(head)
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
        REFUSED_METHOD: method,
        REFUSED_PATH: path,
    }
    for line in head.split(b"\r\n\r\n", 1)[0].split(b"\n")[1:]:
        name, colon, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        value = value.strip()
        if colon and name in HEADERS_KEPT and value.isprintable():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def request_line(head: bytes) -> tuple[str, str]:
    """The method and the path (without its query) of a request's first line, as far as they
    can be read: "-" for what is missing; characters that are not printable written as \\xNN
    escapes, and each cut short past its length for the log."""
    line = head.split(b"\n", 1)[0].rstrip(b"\r").decode("latin-1")
    words = line.split(" ")
    method = words[0] if words[0] else "-"
    path = words[1].split("?", 1)[0] if len(words) > 1 and words[1] else "-"
    return _loggable(method, METHOD_LOGGED), _loggable(path, PATH_LOGGED)


def _loggable(text: str, limit: int) -> str:
    cut = text[:limit]
    shown = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in cut)
    return shown + ("…" if len(text) > limit else "")


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
