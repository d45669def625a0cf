"""The "my queues" overview: counters per queue from one grouped query, links to the lists."""

from __future__ import annotations

import datetime as dt
import re

from desk.auth.models import Role
from desk.core.db import utcnow
from desk.extensions import db
from desk.queues.overview import queue_overview
from tests.support.factories import make_queue, make_ticket, make_user
from tests.support.sql import statements_sent


def _counters(html: str, code: str) -> dict[str, str]:
    row = re.search(rf'<tr data-queue="{code}">(.*?)</tr>', html, re.S).group(1)
    return {
        k: re.sub(r"<[^>]+>", "", v).strip()
        for k, v in re.findall(r'data-counter="(\w+)">(.*?)</td>', row, re.S)
    }


def test_counters(app_ctx, login):
    now = utcnow()
    queue = make_queue(code="reseau")
    quiet = make_queue(queue.domain, code="visio")
    tech = make_user(role=Role.TECHNICIAN, queues=(queue, quiet))
    make_ticket(queue=queue)  # new, unassigned
    make_ticket(
        queue=queue,
        status="assigned",
        assignee=tech,
        resolution_due_at=now - dt.timedelta(minutes=1),
    )  # breached, mine
    make_ticket(
        queue=queue,
        status="in_progress",
        assignee=tech,
        resolution_due_at=now + dt.timedelta(hours=1),
        resolution_warn_at=now - dt.timedelta(minutes=1),
    )  # due soon
    make_ticket(
        queue=queue, status="waiting_on_requester", resolution_due_at=now, sla_paused_since=now
    )  # paused: neither due soon nor breached
    make_ticket(queue=queue, status="closed")  # not counted
    html = login(tech).get("/queues").text
    assert _counters(html, "reseau") == {
        "open": "4",
        "new": "1",
        "unassigned": "2",
        "mine": "2",
        "in_progress": "1",
        "waiting": "1",
        "due_soon": "1",
        "breached": "1",
    }
    assert set(_counters(html, "visio").values()) == {"0"}
    assert "/queues/reseau?sla=breached" in html
    assert "/queues/reseau?assignee=unassigned" in html


def test_admin_sees_every_active_queue_technician_only_theirs(app_ctx, login):
    mine = make_queue(code="mine")
    make_queue(mine.domain, code="theirs")
    closed = make_queue(mine.domain, code="closed")
    closed.is_active = False
    db.session.commit()
    tech = make_user(role=Role.TECHNICIAN, queues=(mine,))
    admin = make_user(role=Role.ADMIN)
    assert re.findall(r'data-queue="(\w+)"', login(tech).get("/queues").text) == ["mine"]
    assert re.findall(r'data-queue="(\w+)"', login(admin).get("/queues").text) == ["mine", "theirs"]


def test_technician_without_queue_is_told_so(app_ctx, login):
    html = login(make_user(role=Role.TECHNICIAN)).get("/queues").text
    assert "Vous n’êtes encore membre d’aucune file." in html


def test_two_queries_whatever_the_number_of_queues(app_ctx):
    domain = make_queue().domain
    queues = [make_queue(domain) for _ in range(6)]
    admin = make_user(role=Role.ADMIN)
    for queue in queues:
        make_ticket(queue=queue)
    assert admin.role is Role.ADMIN  # loaded before counting
    with statements_sent(db.engine) as statements:
        rows = queue_overview(admin, utcnow())
    assert len(rows) == 7
    assert len(statements) == 2


def test_sla_counters_agree_with_the_sla_rule(app_ctx):
    import itertools

    from desk.sla.state import SlaState, sla_state
    from desk.tickets.models import Ticket

    now = utcnow()
    queue = make_queue(code="mix")
    admin = make_user(role=Role.ADMIN)
    hour = dt.timedelta(hours=1)
    dues = (None, now - hour, now + hour)
    warns = (None, now - 2 * hour, now + 2 * hour)
    pauses = (None, now - hour)
    statuses = ("new", "waiting_on_requester", "resolved")
    for due, warn, paused, status in itertools.product(dues, warns, pauses, statuses):
        make_ticket(
            queue=queue,
            status=status,
            resolution_due_at=due,
            resolution_warn_at=warn,
            sla_paused_since=paused,
        )
    counts = queue_overview(admin, now)[0].counts
    tickets = db.session.query(Ticket).all()
    states = [sla_state(t, now) for t in tickets]
    assert counts["breached"] == states.count(SlaState.BREACHED)
    assert counts["due_soon"] == states.count(SlaState.WARNING)
    assert counts["open"] == sum(t.is_open for t in tickets)


def test_admin_sees_a_closed_queue_while_it_holds_open_tickets(app_ctx, login):
    """Closed while in use, a queue keeps its open tickets (and its catalogue entries may still
    route new ones to it): its members see it, and the admins, who work every queue, must
    too. Closed with nothing open, it stays out of the way."""
    active = make_queue(code="active")
    held = make_queue(active.domain, code="held")
    done = make_queue(active.domain, code="done")
    make_ticket(queue=held, status="in_progress")
    make_ticket(queue=done, status="closed")
    held.is_active = done.is_active = False
    db.session.commit()
    html = login(make_user(role=Role.ADMIN)).get("/queues").text
    assert re.findall(r'data-queue="(\w+)"', html) == ["active", "held"]
    row = html.split('data-queue="held"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r'data-counter="open">\s*<a href="/queues/held">1</a>', row)


def test_a_technicians_home_page_shows_the_queues_and_what_waits_in_them(app_ctx, login):
    queue = make_queue(code="reseau")
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    make_ticket(queue=queue)  # new, unassigned
    make_ticket(queue=queue, status="assigned", assignee=tech)
    client = login(tech)
    home = client.get("/home").text
    assert 'aria-labelledby="home-queues-title"' in home
    assert _counters(home, "reseau") == _counters(client.get("/queues").text, "reseau")
    assert _counters(home, "reseau")["unassigned"] == "1"
    assert "/queues/reseau?assignee=mine" in home


def test_the_home_page_of_others_has_no_queue_table(app_ctx, login):
    queue = make_queue(code="reseau")
    make_ticket(queue=queue)
    for role in (Role.REQUESTER, Role.ADMIN):
        home = login(make_user(role=role)).get("/home").text
        assert "home-queues-title" not in home
        assert 'data-queue="reseau"' not in home
    alone = login(make_user(role=Role.TECHNICIAN)).get("/home").text
    assert "Vous n’êtes encore membre d’aucune file." in alone
