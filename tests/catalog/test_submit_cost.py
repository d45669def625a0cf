"""One catalogue submission costs a fixed, small number of SQL statements.

The number must not grow with the reference data (places, queues, routing rules, calendars,
policies) nor with the number of technicians told about the new ticket: routing, the SLA
policy and the calendar come from the process's copy, the notification rows go in one INSERT,
the new ticket's search document is built without reading it back, and the commit does not
reload what it wrote.
"""

from __future__ import annotations

import re
import secrets

import pytest
from sqlalchemy import event, func, select

from desk.auth.models import Role
from desk.catalog.models import RequestType, RoutingRule, TicketKind
from desk.extensions import db
from desk.notifications.models import Notification
from desk.reference.models import Queue
from desk.sla.models import SlaCalendar, SlaPolicy
from desk.tickets.models import Ticket, TicketEvent
from tests.support.factories import make_site_tree, make_user

URL = "/catalogue/licence-zoom"
TOKEN_RE = re.compile(r'name="idempotency_token"[^>]*value="([^"]+)"')

# user; the queue's staff with their new-ticket choices (mode and e-mail); then,
# the counter row locked until the commit: the reference counter, the ticket, its CREATED
# event, its search document, every notification row.
STATEMENTS = 7

WEEK = {str(d): [["08:00", "12:00"], ["13:30", "17:00"]] for d in range(5)}
HOLIDAYS = ["2026-01-01", "2026-05-01", "2026-07-14", "2026-12-25"]


@pytest.fixture
def zoom_sla(world):
    """The Zoom entry's policy on office hours; the video queue works those hours."""
    calendar = SlaCalendar(name="Bureaux", weekly_hours=WEEK, holidays=HOLIDAYS)
    db.session.add(calendar)
    db.session.flush()
    world.queues["visio"].calendar_id = calendar.id
    db.session.add(
        SlaPolicy(
            request_type_id=world.types["zoom"].id,
            calendar_id=calendar.id,
            first_response_minutes=240,
            resolution_minutes=540,
        )
    )
    db.session.commit()
    for _ in range(2):
        make_user(role=Role.TECHNICIAN, queues=(world.queues["visio"],))


def _grow(world, n: int) -> None:
    """n more of everything a submission could be tempted to read."""
    it = world.it
    for i in range(n):
        site, _building, _floor = make_site_tree()
        calendar = SlaCalendar(name=f"Calendrier {i}", weekly_hours=WEEK, holidays=HOLIDAYS)
        queue = Queue(domain=it, code=f"file-{i}", name_fr=f"File {i}", calendar=calendar)
        entry = RequestType(
            slug=f"entree-{i}",
            title_fr=f"Entrée {i}",
            kind=TicketKind.REQUEST,
            domain=it,
            category=world.cats["network"],
            default_queue=queue,
            form_key="zoom_licence",
        )
        db.session.add_all([calendar, queue, entry])
        db.session.flush()
        db.session.add_all(
            [
                SlaPolicy(request_type_id=entry.id, calendar_id=calendar.id, resolution_minutes=60),
                # Rules that never match a Zoom request: each must still be looked at.
                RoutingRule(name=f"Site {i}", position=i, site_id=site.id, queue=queue),
                RoutingRule(name=f"Entrée {i}", position=i, request_type_id=entry.id, queue=queue),
            ]
        )
    db.session.commit()
    for _ in range(n):
        make_user(role=Role.TECHNICIAN, queues=(world.queues["visio"],))


def _submit(app, client) -> tuple[list[str], str]:
    """GET the form (for its CSRF token), then POST it under a new one-time token; the
    statements the POST ran. (The page is drawn with the token of the request last sent
    from it, for "Back": the same entries under it would be that request again.)"""
    assert TOKEN_RE.search(client.get(URL).text)
    token = secrets.token_urlsafe(24)
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.post(
            URL,
            data={
                "csrf_token": client.last_csrf,
                "idempotency_token": token,
                "zoom_email": "claire.martin@umontpellier.fr",
                "account_created": "y",
                "kb_checked": "1",
            },
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 302, response.text[:500]
    return seen, response.headers["Location"]


def _summary(statements: list[str]) -> str:
    return "\n".join(s[:120] for s in statements)


def test_a_submission_runs_a_fixed_number_of_statements(app, world, staff, login, zoom_sla):
    client = login(staff)
    _submit(app, client)  # the first one after a change loads the process's copies
    small, _ = _submit(app, client)
    assert len(small) == STATEMENTS, _summary(small)
    assert not [s for s in small if s.startswith("UPDATE")], _summary(small)
    # The counter row is locked from its bump to the commit: the staff lookup comes first.
    counter = next(i for i, s in enumerate(small) if "INTO ticket_counter" in s)
    staff = next(i for i, s in enumerate(small) if "JOIN queue_membership" in s)
    assert staff < counter == STATEMENTS - 5, _summary(small)
    for table in ("request_type", "routing_rule", "queue", "sla_policy", "sla_calendar"):
        assert not [s for s in small if f"FROM {table} " in s + " "], _summary(small)

    _grow(world, 12)
    _submit(app, client)
    large, location = _submit(app, client)
    assert len(large) == STATEMENTS, _summary(large)

    # Nothing given up on the way: a gapless reference, the history, the due dates and one
    # notification row per recipient and channel, all committed.
    db.session.expire_all()
    tickets = db.session.scalars(select(Ticket).order_by(Ticket.id)).all()
    numbers = [int(t.reference.rsplit("-", 1)[1]) for t in tickets]
    assert numbers == [1, 2, 3, 4]
    last = tickets[-1]
    assert location.endswith(last.reference)
    assert last.queue.code == "visio"
    assert last.first_response_due_at is not None and last.resolution_due_at is not None
    assert last.first_response_due_at < last.resolution_due_at
    assert db.session.scalar(select(func.count()).where(TicketEvent.ticket_id == last.id)) == 1
    rows = db.session.scalars(select(Notification).where(Notification.ticket_id == last.id)).all()
    # the requester's e-mail; each of the 14 technicians: the bell and an e-mail
    assert len(rows) == 1 + 2 * 14
