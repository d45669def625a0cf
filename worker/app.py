"""Celery app built from the Flask app, so every task runs in an app context."""

from __future__ import annotations

import sys

from config import ConfigError
from desk import create_app
from worker.schedule import BEAT_SCHEDULE, inbound_entry

try:
    flask_app = create_app()
except ConfigError as exc:  # a readable line instead of a traceback
    sys.exit(f"desk worker: configuration error: {exc.message}")
celery = flask_app.extensions["celery"]
celery.conf.beat_schedule = {**BEAT_SCHEDULE, **inbound_entry(flask_app.config)}
