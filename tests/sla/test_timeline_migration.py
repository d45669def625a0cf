"""SLA timeline entries stored as French sentences before they were stored as data: the
migration gives them the data, so an English reader sees them in English."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from desk.auth.models import Role
from desk.extensions import db
from desk.sla.models import SlaEvent
from desk.tickets.models import EventKind, TicketEvent
from tests.support.factories import make_queue, make_ticket, make_user

MIGRATION = next(
    (Path(__file__).parents[2] / "migrations/versions").glob("*_sla_timeline_entries_as_data.py")
)
_spec = importlib.util.spec_from_file_location("sla_timeline_migration", MIGRATION)
migration = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(migration)

PARIS = ZoneInfo("Europe/Paris")
# What the sweep wrote before (the French catalogue, CLDR's short French date).
BREACH = (
    "Objectif de résolution dépassé (échéance : 01/12/2026 17:00). Priorité : Haute ; "
    "les responsables de la file sont alertés."
)
WARNING = "Échéance de première réponse proche : 02/12/2026 09:30."


def _old_entry(ticket, kind: str, body: str, at: dt.datetime) -> TicketEvent:
    event = TicketEvent(
        ticket=ticket,
        kind=EventKind.SYSTEM,
        field="sla",
        new_value=kind,
        body=body,
        is_internal=True,
        created_at=at,
    )
    db.session.add(event)
    return event


@pytest.fixture
def old_entries(app_ctx):
    queue = make_queue(code="reseau")
    tech = make_user("tech@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,), locale="en")
    ticket = make_ticket(queue=queue, priority=3)
    at = dt.datetime(2026, 12, 1, 16, 1, tzinfo=dt.UTC)
    breach = _old_entry(ticket, "resolution_breach", BREACH, at)
    warning = _old_entry(ticket, "first_response_warning", WARNING, at)
    # A sentence the migration cannot read: the sweep's own record gives the instant.
    unreadable = _old_entry(ticket, "first_response_breach", "Objectif manqué.", at)
    db.session.add(
        SlaEvent(
            ticket_id=ticket.id,
            kind="first_response_breach",
            due_at=dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC),
            created_at=at,
        )
    )
    db.session.commit()
    return tech, ticket, breach, warning, unreadable


def test_old_sentences_become_data_and_read_in_english(old_entries, login):
    tech, ticket, breach, warning, unreadable = old_entries
    assert migration.convert(db.session.connection()) == 3
    db.session.commit()
    db.session.expire_all()
    assert breach.body == warning.body == unreadable.body == ""
    assert breach.old_value == "2026-12-01T16:00:00+00:00|3"
    assert warning.old_value.startswith("2026-12-02T08:30:00+00:00|")
    assert unreadable.old_value == "2026-11-30T08:00:00+00:00|3"

    page = login(tech).get(f"/tickets/{ticket.reference}").text
    assert "Resolution target missed (due 1 Dec 2026, 17:00). Priority: High" in page
    assert "First-response deadline approaching: due 2 Dec 2026, 09:30." in page
    assert "First-response target missed (due 30 Nov 2026, 09:00)" in page
    for french in ("Objectif", "Échéance", "Priorité", "échéance"):
        assert french not in page

    # Run again (or on rows written since): nothing left to change.
    assert migration.convert(db.session.connection()) == 0


def test_dates_read_from_either_catalogue():
    assert migration.date_from_sentence(BREACH, PARIS) == dt.datetime(
        2026, 12, 1, 16, 0, tzinfo=dt.UTC
    )
    english = "Resolution target missed (due 12/1/26, 5:00\u202fPM). Priority: Critical; ..."
    assert migration.date_from_sentence(english, PARIS) == dt.datetime(
        2026, 12, 1, 16, 0, tzinfo=dt.UTC
    )
    assert migration.priority_from_sentence(english) == 4
    assert migration.date_from_sentence("31/02/2026 10:00", PARIS) is None
