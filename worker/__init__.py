"""The Celery application: `celery -A worker worker` / `celery -A worker beat`."""

from worker.app import celery  # noqa: F401
