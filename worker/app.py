"""Celery app built from the Flask app, so every task runs in an app context."""

from __future__ import annotations

from desk import create_app
from worker.schedule import BEAT_SCHEDULE

flask_app = create_app()
celery = flask_app.extensions["celery"]
celery.conf.beat_schedule = BEAT_SCHEDULE
