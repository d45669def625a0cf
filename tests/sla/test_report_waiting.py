"""A ticket past its due date stays 'missed' in the SLA report while it waits on the
requester: its deadline passed before the clock stopped."""

from __future__ import annotations

import datetime as dt

from desk.auth.models import Role
from desk.extensions import db
from desk.sla.report import sla_report
from desk.sla.sweep import sweep_sla
from desk.tickets.history import apply_status
from desk.tickets.models import Status
from desk.tickets.workflow import Actor
from tests.sla.conftest import new_ticket, paris
from tests.support.factories import make_user


def _resolution(admin, now: dt.datetime) -> tuple[int, int]:
    """(met, missed) of November's resolutions."""
    total = sla_report(
        admin, dt.date(2026, 11, 1), dt.date(2026, 11, 30), timezone="Europe/Paris", now=now
    )["total"][0]
    return total.resolution_met, total.resolution_missed


def test_a_late_ticket_waiting_on_its_requester_is_still_missed(zoom, technician):
    admin = make_user(role=Role.ADMIN)
    late = new_ticket(zoom, paris(2026, 11, 16, 9, 0), status="in_progress")  # due Tue 09:00
    early = new_ticket(zoom, paris(2026, 11, 17, 16, 0), status="in_progress")  # due Wed 16:00
    assert sweep_sla(paris(2026, 11, 17, 9, 1)) == 1  # the first one's breach
    for ticket in (late, early):
        apply_status(
            ticket, Status.WAITING_ON_REQUESTER, technician, Actor.STAFF,
            at=paris(2026, 11, 18, 10, 0),
        )  # fmt: skip
    db.session.commit()
    # Waiting since Wednesday 10:00: the first was late by then, the second was not (and is
    # not while its clock is stopped, however long the requester takes).
    for now in (paris(2026, 11, 18, 11, 0), paris(2026, 11, 25, 11, 0)):
        assert _resolution(admin, now) == (0, 1)
    apply_status(
        late, Status.IN_PROGRESS, late.requester, Actor.REQUESTER, at=paris(2026, 11, 25, 11, 0)
    )
    db.session.commit()
    assert _resolution(admin, paris(2026, 11, 25, 12, 0)) == (0, 1)
