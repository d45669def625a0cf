"""The ticket page's "Due" line: a finished ticket keeps its date without "No target" (it
had one), a ticket with no deadline at all says it has none."""

from __future__ import annotations

import datetime as dt
import re

from desk.auth.models import Role
from desk.core.db import utcnow
from desk.extensions import db
from tests.support.factories import make_queue, make_ticket, make_user

DAY = dt.timedelta(days=1)


def _due(html: str) -> str:
    return re.search(r"<dt>(?:Due|Échéance)</dt><dd[^>]*>(.*?)</dd>", html, re.S).group(1)


def test_a_resolved_ticket_keeps_its_date_without_no_target(app_ctx, login):
    now = utcnow()
    queue = make_queue(code="reseau")
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,), locale="en")
    ticket = make_ticket(
        queue=queue,
        status="resolved",
        resolution_due_at=now + DAY,
        resolution_warn_at=now + DAY / 2,
        resolution_met=True,
        resolved_at=now,
    )
    db.session.commit()
    due = _due(login(tech).get(f"/tickets/{ticket.reference}").text)
    assert "No target" not in due
    assert due.strip()  # the date it had


def test_a_ticket_without_deadline_says_so(app_ctx, login):
    queue = make_queue(code="reseau")
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,), locale="en")
    ticket = make_ticket(queue=queue)
    db.session.commit()
    assert _due(login(tech).get(f"/tickets/{ticket.reference}").text).strip() == "No target"
