"""SLA fixtures: the working-day calendar, policies, tickets created through the signal."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from desk.extensions import db as _db
from desk.sla.models import SlaCalendar, SlaPolicy
from desk.sla.parsing import generate_holidays
from desk.tickets.signals import ticket_created
from tests.support.factories import make_request_type, make_ticket, make_user

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> dt.datetime:
    """A Paris wall-clock time as an aware UTC datetime."""
    return dt.datetime(*args, tzinfo=PARIS).astimezone(dt.UTC)


@contextmanager
def saved_at(at: dt.datetime):
    """Policy changes made inside are recorded as made at `at` (when a target was added)."""
    with mock.patch("desk.sla.models.utcnow", return_value=at):
        yield


def add_policy(request_type, calendar, *, first=None, resolution=None, warn=75) -> SlaPolicy:
    policy = SlaPolicy(
        request_type=request_type,
        calendar=calendar,
        warning_percent=warn,
        first_response_minutes=first,
        resolution_minutes=resolution,
    )
    _db.session.add(policy)
    _db.session.commit()
    return policy


def new_ticket(request_type, created_at: dt.datetime, **kwargs):
    """A ticket created at `created_at`, announced like the catalogue does, committed."""
    ticket = make_ticket(request_type=request_type, created_at=created_at, **kwargs)
    ticket_created.send(ticket, actor=ticket.requester)
    _db.session.commit()
    return ticket


@pytest.fixture
def workday(db) -> SlaCalendar:
    """Monday to Friday, 08:00–17:00 Paris time, French public holidays 2026–2027."""
    calendar = SlaCalendar(
        name="Jours ouvrés 8h–17h",
        timezone="Europe/Paris",
        weekly_hours={str(d): [["08:00", "17:00"]] for d in range(5)},
        holidays=generate_holidays("FR", [2026, 2027]),
    )
    db.session.add(calendar)
    db.session.commit()
    return calendar


@pytest.fixture
def zoom(workday):
    """The Zoom licence association: resolved within one working day."""
    request_type = make_request_type(slug="zoom-licence")
    add_policy(request_type, workday, resolution=540)
    return request_type


@pytest.fixture
def network(workday):
    """A network incident: first response in 4 business hours, resolution in 2 business days."""
    request_type = make_request_type(slug="network-problem", kind="incident")
    add_policy(request_type, workday, first=240, resolution=2 * 540)
    return request_type


@pytest.fixture
def technician(zoom, network):
    """A technician of both queues."""
    return make_user(role="technician", queues=(zoom.default_queue, network.default_queue))
