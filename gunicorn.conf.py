"""gunicorn settings for desk: `gunicorn -c gunicorn.conf.py wsgi:app`.

Prometheus multi-process mode: every worker process writes its metrics to files under
PROMETHEUS_MULTIPROC_DIR (set it to an empty directory, cleared at each start, before gunicorn
starts); /metrics adds them up. A worker that exits leaves its files behind: child_exit tells
prometheus_client to merge them into the totals instead of reporting a dead process's gauges.
"""

from __future__ import annotations

import os

bind = os.environ.get("DESK_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# desk logs its own JSON access line per request (with the request id); gunicorn's would repeat it.
accesslog = None


def child_exit(server, worker) -> None:
    """Mark a gone worker's metric files as dead (multi-process mode only)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
