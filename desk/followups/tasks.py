"""Thin Celery task of follow-ups (beat runs it through desk.core.tick)."""

from __future__ import annotations

from celery import shared_task

from desk.followups import services


@shared_task(name="desk.followups.send_due")
def send_due() -> int:
    return services.send_due()
