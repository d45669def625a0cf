"""The per-process copies of reference data follow every change, in this process and others."""

from __future__ import annotations

import redis
from sqlalchemy import select, text

from desk.catalog.models import RoutingRule
from desk.core import refcache
from desk.extensions import db
from desk.sla.models import SlaCalendar, SlaPolicy
from desk.tickets.models import Ticket

URL = "/catalogue/licence-zoom"
DATA = {"zoom_email": "claire.martin@umontpellier.fr", "account_created": "y", "kb_checked": "1"}


def _last_ticket() -> Ticket:
    db.session.expire_all()
    return db.session.scalars(select(Ticket).order_by(Ticket.id.desc())).first()


def test_a_change_through_the_orm_is_followed_at_once(world, staff, login):
    client = login(staff)
    assert client.submit(URL, DATA).status_code == 302
    assert _last_ticket().queue.code == "visio"
    # An admin sends Zoom requests elsewhere, then closes the entry.
    db.session.add(
        RoutingRule(
            name="Zoom",
            position=1,
            request_type_id=world.types["zoom"].id,
            queue=world.queues["messagerie"],
        )
    )
    db.session.commit()
    assert client.submit(URL, DATA).status_code == 302
    assert _last_ticket().queue.code == "messagerie"
    world.types["zoom"].is_active = False
    db.session.commit()
    assert client.get(URL).status_code == 404


def test_a_policy_change_moves_the_next_due_dates(world, staff, login):
    calendar = SlaCalendar(
        name="24/7", weekly_hours={str(d): [["00:00", "24:00"]] for d in range(7)}
    )
    db.session.add(calendar)
    db.session.flush()
    policy = SlaPolicy(
        request_type_id=world.types["zoom"].id, calendar_id=calendar.id, resolution_minutes=60
    )
    db.session.add(policy)
    db.session.commit()
    client = login(staff)
    client.submit(URL, DATA)
    first = _last_ticket()
    assert (first.resolution_due_at - first.created_at).total_seconds() == 3600
    policy.resolution_minutes = 120
    db.session.commit()
    client.submit(URL, DATA)
    second = _last_ticket()
    assert (second.resolution_due_at - second.created_at).total_seconds() == 7200


def test_another_process_change_is_seen_through_the_redis_token(app, world, staff, login):
    client = login(staff)
    assert client.get(URL).status_code == 200  # the copy is loaded
    # Another process (or psql) closes the entry: nothing told this process's ORM.
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE request_type SET is_active = false WHERE slug = 'licence-zoom'"))
    assert client.get(URL).status_code == 200  # served from the copy: it was really used
    app.extensions["redis"].set(refcache.KEY, "another-process-committed")
    assert client.get(URL).status_code == 404


def test_without_redis_the_database_is_read(app, world, staff, login, monkeypatch):
    client = login(staff)
    assert client.get(URL).status_code == 200
    monkeypatch.setitem(app.extensions, "redis", redis.Redis(port=1, socket_connect_timeout=0.2))
    monkeypatch.setattr(refcache._copies, "paused_until", 0.0)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE request_type SET is_active = false WHERE slug = 'licence-zoom'"))
    assert client.get(URL).status_code == 404  # never a stale copy while Redis is away
