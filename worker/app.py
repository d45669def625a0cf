"""Celery app built from the Flask app, so every task runs in an app context."""

from __future__ import annotations

import logging
import os
import sys

from celery import signals

from config import ConfigError
from desk import create_app
from desk.core.db import name_connections
from desk.core.logs import setup_logging
from worker.schedule import BEAT_SCHEDULE, inbound_entry

try:
    flask_app = create_app()
except ConfigError as exc:  # a readable line instead of a traceback
    sys.exit(f"desk worker: configuration error: {exc.message}")
celery = flask_app.extensions["celery"]
celery.conf.beat_schedule = {**BEAT_SCHEDULE, **inbound_entry(flask_app.config)}


@signals.worker_init.connect
def _priority(**_kwargs) -> None:
    """Lower the worker's CPU priority before its pool forks (the children inherit it):
    deliveries and sweeps yield the CPU to web requests on a shared host."""
    lower_priority(flask_app.config["WORKER_NICE"])


@signals.worker_init.connect
def _name_worker(**_kwargs) -> None:
    """Name the worker's database sessions for pg_stat_activity (before the pool forks: the
    children's too)."""
    name_connections("desk worker")


@signals.beat_init.connect
def _name_beat(**_kwargs) -> None:
    """Name beat's database sessions for pg_stat_activity."""
    name_connections("desk beat")


def lower_priority(niceness: int) -> None:
    """Run at `niceness` (os.nice adds to the current value); a worker started under `nice`
    at a higher one keeps it: only root could bring it back up."""
    current = os.nice(0)
    if niceness > current:
        os.nice(niceness - current)


@signals.celeryd_after_setup.connect
def _quiet_shutdown(instance, **_kwargs) -> None:
    """Celery's SIGTERM and SIGQUIT handlers print "worker: Warm shutdown (MainProcess)" as
    plain text straight to stdout, among the JSON lines. Once Celery has installed them, they
    are installed again without the print, and `_log_shutdown` says it as a JSON line."""
    from celery.apps import worker as celery_worker

    install_platform_tweaks = instance.install_platform_tweaks

    def install_quietly(worker) -> None:
        install_platform_tweaks(worker)
        celery_worker.install_worker_term_handler(worker, verbose=False)
        celery_worker.install_worker_term_hard_handler(worker, verbose=False)

    instance.install_platform_tweaks = install_quietly


@signals.worker_shutting_down.connect
def _log_shutdown(sig, how, **_kwargs) -> None:
    logging.getLogger("desk.worker").info("%s shutdown on %s", how.lower(), sig)


@signals.worker_ready.connect
def _outbox(**_kwargs) -> None:
    """A worker (re)starting clears a kick that a killed drain may have left behind, and
    kicks: what was committed meanwhile goes out now, not at beat's next requeue."""
    from desk.notifications.outbox import kick, take_kick

    with flask_app.app_context():
        take_kick()
        kick()


@signals.setup_logging.connect
def _logging(**_kwargs) -> None:
    """Worker and beat log like the web tier (JSON lines, DESK_LOG_LEVEL); connecting this
    signal also keeps Celery from installing its own handlers over ours."""
    setup_logging(flask_app.config["LOG_LEVEL"])
