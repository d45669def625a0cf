"""Tried as a new user: a Zoom licence request on Friday 16:30 is due Monday 16:30 (Tuesday
across Whit Monday), and its warning and breach each arrive once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from desk.extensions import db
from desk.reference.loader import load_reference
from desk.sla.models import SlaEvent
from desk.sla.sweep import sweep_sla
from desk.tickets.models import EventKind, Ticket, TicketEvent
from tests.sla.conftest import paris
from tests.support.factories import make_user

DEMO = Path(__file__).resolve().parents[2] / "desk/reference/data/demo.yaml"


@pytest.fixture
def demo(app_ctx):
    load_reference(DEMO)


def _submit_zoom_request(login, monkeypatch, at):
    monkeypatch.setattr("desk.tickets.services.utcnow", lambda: at)
    user = make_user("nouvelle.arrivee@umontpellier.fr")
    client = login(user)
    response = client.submit(
        "/catalogue/licence-zoom", {"zoom_email": user.email, "account_created": "y"}
    )
    assert response.status_code == 302, response.text[:2000]
    confirmation = client.get(response.headers["Location"]).text
    db.session.rollback()
    return db.session.scalar(select(Ticket)), confirmation


def _count(model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _notifications() -> int:
    try:
        from desk.notifications.models import Notification
    except ImportError:  # notifications not built yet: the history is the notification
        return 0
    return _count(Notification)


def test_friday_1630_zoom_request_due_monday_1630_warned_once(demo, login, monkeypatch):
    ticket, confirmation = _submit_zoom_request(login, monkeypatch, paris(2026, 11, 20, 16, 30))
    assert ticket.resolution_due_at == paris(2026, 11, 23, 16, 30)
    assert "Traitement sous 1 jour ouvré" in confirmation
    # and the date that makes, in the requester's words and time zone
    assert "d’ici le lundi 23 novembre 2026, 16:30." in confirmation
    for now in (paris(2026, 11, 23, 14, 16), paris(2026, 11, 23, 14, 20)):
        sweep_sla(now)
    warned = _notifications()
    assert _count(SlaEvent) == 1
    for now in (
        paris(2026, 11, 23, 16, 31),
        paris(2026, 11, 23, 16, 35),
        paris(2026, 11, 24, 9, 0),
    ):
        sweep_sla(now)
    assert [e.kind for e in db.session.scalars(select(SlaEvent).order_by(SlaEvent.id))] == [
        "resolution_warning",
        "resolution_breach",
    ]
    history = list(
        db.session.scalars(
            select(TicketEvent).where(TicketEvent.kind == EventKind.SYSTEM).order_by(TicketEvent.id)
        )
    )
    assert [h.new_value for h in history] == ["resolution_warning", "resolution_breach"]
    breached = _notifications()
    sweep_sla(paris(2026, 11, 25, 9, 0))
    assert _notifications() == breached >= warned


def test_across_whit_monday_it_is_due_tuesday(demo, login, monkeypatch):
    ticket, _page = _submit_zoom_request(login, monkeypatch, paris(2026, 5, 22, 16, 30))
    assert ticket.resolution_due_at == paris(2026, 5, 26, 16, 30)
