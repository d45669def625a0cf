"""Thin Celery task of the retention sweep (beat runs it through desk.core.tick)."""

from __future__ import annotations

from celery import shared_task

from desk.privacy import sweep


@shared_task(name="desk.privacy.erase_expired")
def erase_expired() -> dict[str, int]:
    erased = sweep.erase_expired()
    return {"tickets": erased.tickets, "accounts": erased.accounts, "records": erased.records}
