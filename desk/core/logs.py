"""Logging, configured once per process: one JSON object per line on stdout, with a request id.

The web tier calls `setup_logging` from `create_app`; the Celery worker and beat call it from
Celery's `setup_logging` signal (worker/app.py), which also stops Celery from installing its own
handlers. Every line carries `request_id`: the id of the web request being served, or, in a
worker, the id of the request that enqueued the task (sent in the task's message headers).
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from pythonjsonlogger.json import JsonFormatter
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect, RoutingException

REQUEST_ID_HEADER = "X-Request-ID"
# A request id a proxy or client sends is kept when it looks like one (letters, digits and
# -_.:, up to 128 characters), so that it cannot smuggle new lines or markup into the logs.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
request_id_var: ContextVar[str | None] = ContextVar("desk_request_id", default=None)

access_log = logging.getLogger("desk.access")
audit_log = logging.getLogger("desk.audit")
task_log = logging.getLogger("desk.tasks")


class RequestIdFilter(logging.Filter):
    """Put the current request id on every record (Indico's AddRequestIDFilter)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


# Tasks that run every few seconds whatever happens (beat's tick, the mail poll): their routine
# "received / started / succeeded" lines are DEBUG, or an idle desk writes a dozen lines a
# minute and hides what did happen. The jobs a tick starts, and failures, stay at their level.
ROUTINE_TASKS = ("desk.core.tick", "desk.inbound.fetch_mail")


class RoutineTaskFilter(logging.Filter):
    """Demote INFO lines about a routine task to DEBUG (shown only when the level is DEBUG)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        task = getattr(record, "task", None)
        if task not in ROUTINE_TASKS and not any(
            name in record.getMessage() for name in ROUTINE_TASKS
        ):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)


# A CAS service ticket in a URL's query (a password or a CSRF token too, should one ever be in
# one) is hidden in every line, whoever writes it: urllib3 logs each URL it fetches, query and
# all (at DEBUG; its retries at WARNING), and so the ticket desk validates. A ticket is spent
# once validated, but single logout ends the session it opened for anyone who names it. Also
# matched URL-encoded (a URL inside another's query).
_SECRET_IN_QUERY = re.compile(
    r"((?:[?&]|%3F|%26)(?:ticket|password|csrf_token)(?:=|%3D))[^&\s\"'\\#]+", re.IGNORECASE
)


class JsonLineFormatter(JsonFormatter):
    """One JSON object per record, secrets in URLs hidden (message, trace and extra fields)."""

    def format(self, record: logging.LogRecord) -> str:
        return _SECRET_IN_QUERY.sub(r"\1[hidden]", super().format(record))


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is now (a test's capture, a re-opened stream)."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


def setup_logging(level: str = "INFO") -> None:
    """Send every logger's records as JSON lines to stdout at `level` (replaces a previous call)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "desk_json", False)]:
        root.removeHandler(handler)
    handler = _StdoutHandler()
    handler.desk_json = True  # type: ignore[attr-defined]
    handler.setFormatter(
        JsonLineFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RoutineTaskFilter())
    root.addHandler(handler)
    root.setLevel(level)
    # desk.access writes each request's line, with its id; the development server's own line
    # (`make run`) repeated it, terminal colours and all, inside the JSON.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # A library's warnings.warn() (Celery's warning that the worker runs as root, for one)
    # otherwise goes to stderr as plain text, which a pipeline reading JSON drops or garbles.
    logging.captureWarnings(True)


def audit(action: str, obj: object, *, actor: object | None, **details: object) -> None:
    """One "desk.audit" line for an administrative change: what, on which object, by whom.

    `obj` is a model instance (logged as "<table>:<id>" plus its code if it has one).
    """
    table = getattr(obj, "__tablename__", type(obj).__name__.lower())
    name = f"{table}:{getattr(obj, 'id', '?')}"
    code = getattr(obj, "code", None) or getattr(obj, "email", None)
    audit_log.info(
        "%s %s%s by %s",
        action,
        name,
        f" ({code})" if code else "",
        getattr(actor, "email", "system"),
        extra={
            "action": action,
            "object": name,
            "object_code": code,
            "actor": getattr(actor, "email", None),
            "actor_id": getattr(actor, "id", None),
            **details,
        },
    )


def valid_request_id(value: str | None) -> str | None:
    """`value` when it is an acceptable request id, else None."""
    if value and _VALID_REQUEST_ID.fullmatch(value):
        return value
    return None


# View arguments that are credentials, written [hidden] wherever a log line names the path:
# the signed link of a resolution e-mail (/evaluation/<token>) rates the ticket as its
# requester, without signing in, for whoever holds it.
SECRET_VIEW_ARGS = frozenset({"token"})


def logged_path() -> str:
    """The request's path for a log line, its credentials (SECRET_VIEW_ARGS) hidden."""
    view_args = request.view_args
    if view_args is None:  # routing failed: a method the route has not, or a redirect
        view_args = route_args(request.path)
    return hide_secrets(request.path, view_args)


def route_args(path: str) -> dict | None:
    """The arguments of the route `path` is for, whatever the method, a redirect it would get
    or what follows the route: a signed link sent as PUT, with a slash or words added, still
    names its token, and the log line must not."""
    adapter = current_app.url_map.bind("localhost")
    for candidate in _route_prefixes(path):
        method = None
        for _attempt in range(3):
            try:
                return adapter.match(candidate, method=method)[1]
            except RequestRedirect as redirect:
                candidate = urlsplit(redirect.new_url).path
            except MethodNotAllowed as refused:
                method = sorted(refused.valid_methods or ["GET"])[0]
            except (HTTPException, RoutingException):
                break
    return None


def _route_prefixes(path: str) -> list[str]:
    """`path`, then without a final slash, then without its last segments, one at a time
    (at most three)."""
    prefixes = [path]
    if path.endswith("/") and path.rstrip("/"):
        prefixes.append(path.rstrip("/"))
    for _ in range(3):
        path = path.rstrip("/").rpartition("/")[0]
        if not path:
            break
        prefixes.append(path)
    return prefixes


def hide_secrets(path: str, view_args: dict | None) -> str:
    """`path` with the values of its SECRET_VIEW_ARGS among `view_args` written [hidden]."""
    for name, value in (view_args or {}).items():
        if name in SECRET_VIEW_ARGS and isinstance(value, str) and value:
            path = path.replace(value, "[hidden]")
    return path


# Where desk.core.refused puts the method and path of a request the HTTP server refused: the
# app was handed a GET of "/" in its place, and the access line says what was sent.
LOGGED_REQUEST = "logged_request"


def init_request_ids(app: Flask) -> None:
    """Give every request an id (the client's X-Request-ID if valid), log it, return it."""

    @app.before_request
    def _start() -> None:
        rid = valid_request_id(request.headers.get(REQUEST_ID_HEADER)) or uuid.uuid4().hex
        g.request_id = rid
        g.request_token = request_id_var.set(rid)
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        rid = g.get("request_id")
        if rid:
            response.headers[REQUEST_ID_HEADER] = rid
            duration = time.perf_counter() - g.request_started
            method, path = g.get(LOGGED_REQUEST) or (request.method, logged_path())
            access_log.info(
                "%s %s %s",
                method,
                path,
                response.status_code,
                extra={
                    "method": method,
                    "path": path,
                    "endpoint": request.endpoint,
                    "status": response.status_code,
                    "duration_ms": round(duration * 1000, 1),
                    "remote_addr": request.remote_addr,
                },
            )
        return response

    @app.teardown_request
    def _forget(_exc: BaseException | None) -> None:
        if g.pop("request_token", None) is not None:
            request_id_var.set(None)


_HEADER = "desk_request_id"


def _send_request_id(headers: dict | None = None, **_kwargs) -> None:
    """Publishing side: the enqueuing request's id travels in the message headers."""
    rid = request_id_var.get()
    if rid and headers is not None:
        headers.setdefault(_HEADER, rid)


def _adopt_request_id(task=None, task_id: str | None = None, **_kwargs) -> None:
    """Worker side: log the task's lines under the id of the request that enqueued it.

    A task that no request enqueued (beat) gets its own task id, so its lines still group.
    """
    sent = valid_request_id(getattr(task.request, _HEADER, None)) if task is not None else None
    request_id_var.set(sent or (f"task-{task_id}" if task_id else None))
    name = getattr(task, "name", None)
    task_log.info("task %s started", name, extra={"task": name, "task_id": task_id})


def _drop_request_id(task=None, task_id: str | None = None, state: str | None = None, **_kw):
    name = getattr(task, "name", None)
    task_log.info(
        "task %s finished: %s",
        name,
        state,
        extra={"task": name, "task_id": task_id, "state": state},
    )
    request_id_var.set(None)


def connect_celery_request_ids() -> None:
    """Carry request ids from the web tier into Celery tasks (idempotent)."""
    from celery import signals

    signals.before_task_publish.connect(_send_request_id, dispatch_uid="desk-request-id-out")
    signals.task_prerun.connect(_adopt_request_id, dispatch_uid="desk-request-id-in")
    signals.task_postrun.connect(_drop_request_id, dispatch_uid="desk-request-id-done")
