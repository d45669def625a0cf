"""gunicorn settings for desk: `gunicorn -c gunicorn.conf.py wsgi:app`.

Prometheus multi-process mode: every worker process writes its metrics to files under
PROMETHEUS_MULTIPROC_DIR (set it to an empty directory, cleared at each start, before gunicorn
starts); /metrics adds them up. A worker that exits leaves its files behind: child_exit tells
prometheus_client to merge them into the totals instead of reporting a dead process's gauges.

The workers are gunicorn's sync workers, but for the requests gunicorn refuses itself: they
get desk's own error page (desk_gunicorn.py). `--threads` does not apply to them (a warning at
start says so).
"""

from __future__ import annotations

import importlib
import os
import sys

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


# desk's worker class (desk_gunicorn.py): the master imports it fresh each time it reads this
# file, at start and on a HUP reload, as it does this file: a reload then runs the new code.
if "desk_gunicorn" in sys.modules:
    importlib.reload(sys.modules["desk_gunicorn"])
import desk_gunicorn  # noqa: E402

worker_class = desk_gunicorn.DeskWorker
on_starting = desk_gunicorn.on_starting
