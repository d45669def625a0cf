"""Checked from outside, as the university states its Zoom-licence rule: one working day,
Monday to Friday 08:00–17:00 Paris time, French public holidays closed. Each request is filed
through the catalogue at a wall-clock time in Paris; its due date is read where people read it
(the requester's page, the staff page, the receipt e-mail) and compared, in Paris time, with
the date worked out by hand from the rule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from desk.extensions import db
from desk.reference.loader import load_reference
from desk.sla.sweep import sweep_sla
from desk.tickets.history import apply_status
from desk.tickets.models import Status, Ticket
from desk.tickets.workflow import Actor
from tests.notifications.conftest import smtp  # noqa: F401 - the real SMTP server fixture
from tests.notifications.helpers import deliver_all
from tests.sla.conftest import PARIS, paris
from tests.support.factories import make_user

DEMO = Path(__file__).resolve().parents[2] / "desk/reference/data/demo.yaml"
FRENCH_DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
FRENCH_MONTHS = [
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
]  # fmt: skip

# (filed, due) as Paris wall-clock times, the due date worked out by hand.
CASES = {
    # Friday 16:59: one minute on Friday, 8 h 59 on Monday.
    "friday-1659": ((2026, 11, 20, 16, 59), (2026, 11, 23, 16, 59)),
    # Filed at the closing time: nothing on Friday, the whole day on Monday.
    "friday-1700": ((2026, 11, 20, 17, 0), (2026, 11, 23, 17, 0)),
    # Summer time ends on Sunday 25 October 2026 (UTC+2 → UTC+1): still 16:59 on Monday.
    "dst-october-2026": ((2026, 10, 23, 16, 59), (2026, 10, 26, 16, 59)),
    # Summer time starts on Sunday 29 March 2026 (UTC+1 → UTC+2).
    "dst-march-2026": ((2026, 3, 27, 16, 59), (2026, 3, 30, 16, 59)),
    # Summer time starts on Easter Sunday 28 March 2027, and Easter Monday is closed.
    "dst-march-2027-easter-monday": ((2027, 3, 26, 16, 59), (2027, 3, 30, 16, 59)),
    # Summer time ends on Sunday 31 October 2027, and All Saints' Day is the Monday.
    "dst-october-2027-all-saints": ((2027, 10, 29, 16, 59), (2027, 11, 2, 16, 59)),
    "labour-day-2026": ((2026, 4, 30, 16, 59), (2026, 5, 4, 16, 59)),  # Friday 1 May
    "easter-monday-2026": ((2026, 4, 3, 16, 59), (2026, 4, 7, 16, 59)),
    "ascension-2026": ((2026, 5, 13, 10, 0), (2026, 5, 15, 10, 0)),  # Thursday 14 May
    "whit-monday-2027": ((2027, 5, 14, 16, 59), (2027, 5, 18, 16, 59)),
    "bastille-day-2026": ((2026, 7, 13, 12, 0), (2026, 7, 15, 12, 0)),  # Tuesday 14 July
    "assumption-2026-a-saturday": ((2026, 8, 14, 16, 59), (2026, 8, 17, 16, 59)),
    "armistice-2026": ((2026, 11, 10, 9, 0), (2026, 11, 12, 9, 0)),  # Wednesday 11 November
    "christmas-2026": ((2026, 12, 24, 16, 59), (2026, 12, 28, 16, 59)),  # Friday 25 December
    # Filed on a holiday (Friday 1 May): the day counts from Monday 08:00.
    "filed-on-labour-day": ((2026, 5, 1, 16, 59), (2026, 5, 4, 17, 0)),
    # Victory Day (Friday 8 May) and New Year's Day are French public holidays too.
    "victory-day-2026": ((2026, 5, 7, 16, 59), (2026, 5, 11, 16, 59)),
    "new-year-2027": ((2026, 12, 31, 16, 59), (2027, 1, 4, 16, 59)),
    # Due on the first of a month: « mardi 1er décembre ».
    "first-of-december": ((2026, 11, 30, 10, 0), (2026, 12, 1, 10, 0)),
    "first-of-march-2027": ((2027, 2, 26, 16, 59), (2027, 3, 1, 16, 59)),
    # Filed at night, on a Sunday: the day counts from Monday 08:00.
    "sunday-night": ((2026, 11, 22, 23, 30), (2026, 11, 23, 17, 0)),
}


@pytest.fixture
def demo(app_ctx):
    load_reference(DEMO)


def _submit(login, monkeypatch, at: dt.datetime):
    monkeypatch.setattr("desk.tickets.services.utcnow", lambda: at)
    user = make_user("nouvelle.arrivee@umontpellier.fr", locale="fr")
    client = login(user)
    response = client.submit(
        "/catalogue/licence-zoom", {"zoom_email": user.email, "account_created": "y"}
    )
    assert response.status_code == 302, response.text[:2000]
    confirmation = client.get(response.headers["Location"]).text
    db.session.rollback()
    return client, db.session.scalar(select(Ticket)), confirmation


def _short(at: dt.datetime) -> str:
    return at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def _long(at: dt.datetime) -> str:
    local = at.astimezone(PARIS)
    day = "1er" if local.day == 1 else str(local.day)
    return (
        f"{FRENCH_DAYS[local.weekday()]} {day} {FRENCH_MONTHS[local.month - 1]} {local.year}, "
        f"{local:%H:%M}"
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_due_date_shown_is_one_working_day_in_paris(demo, login, monkeypatch, smtp, case):  # noqa: F811
    filed, due = (paris(*parts) for parts in CASES[case])
    client, ticket, confirmation = _submit(login, monkeypatch, filed)
    assert ticket.resolution_due_at == due, ticket.resolution_due_at.astimezone(PARIS)
    assert f"d’ici le {_long(due)}." in confirmation
    detail = client.get(f"/mes-demandes/{ticket.reference}").text
    assert _short(due) in detail
    deliver_all()
    (receipt,) = smtp.to(ticket.requester.email)
    text = receipt.get_body(preferencelist=("plain",)).get_content()
    assert f"d’ici le {_long(due)}." in text, text
    html = receipt.get_body(preferencelist=("html",)).get_content()
    assert f"d’ici le {_long(due)}." in html


def test_the_staff_page_and_deadline_mails_say_paris_time(demo, login, monkeypatch, smtp):  # noqa: F811
    """Filed Friday 16:59 before the spring change and Easter Monday: due Tuesday 16:59 (UTC+2),
    warned at 75 % (1 minute on Friday, 6 h 44 on Tuesday: 14:44)."""
    filed, due = paris(2027, 3, 26, 16, 59), paris(2027, 3, 30, 16, 59)
    _client, ticket, _page = _submit(login, monkeypatch, filed)
    technician = make_user(role="technician", queues=(ticket.queue,), locale="fr")
    page = login(technician).get(f"/tickets/{ticket.reference}").text
    assert f'<time datetime="{due.isoformat()}">{_short(due)}</time>' in page
    assert ticket.resolution_warn_at == paris(2027, 3, 30, 14, 44)
    assert sweep_sla(paris(2027, 3, 30, 14, 43)) == 0
    assert sweep_sla(paris(2027, 3, 30, 14, 44)) == 1
    assert sweep_sla(due) == 1
    # The ticket's history tells both in Paris time too.
    page = login(technician).get(f"/tickets/{ticket.reference}").text
    assert f"Échéance de résolution proche : {_short(due)}." in page
    assert f"Objectif de résolution dépassé (échéance : {_short(due)})" in page
    # The e-mails are written now, at the real time, and wait for the queue's next opening
    # hour when the test runs after 17:00 Paris or on a weekend: sent as of then.
    deliver_all(held_too=True)
    texts = [m.get_body(preferencelist=("plain",)).get_content() for m in smtp.to(technician.email)]
    assert any(f"approche : {_long(due)}." in text for text in texts), texts
    assert any(f"dépassé son échéance de résolution ({_long(due)})" in t for t in texts), texts


# (filed, waiting from, answered, due) as Paris wall-clock times.
WAITS = {
    # Due Wednesday 10:00; waiting from Tuesday 16:00 with 3 business hours left (16–17,
    # 08–10); the requester answers at 09:00 the next morning: due 12:00.
    "next-morning": (
        "2026-11-24 10:00", "2026-11-24 16:00", "2026-11-25 09:00", "2026-11-25 12:00"
    ),
    # The same, answered at 22:00 the same evening: the clock starts again at 08:00.
    "same-evening": (
        "2026-11-24 10:00", "2026-11-24 16:00", "2026-11-24 22:00", "2026-11-25 11:00"
    ),
    # Waiting from Friday 16:00 to Monday 09:00, over the night summer time ends.
    "over-the-dst-weekend": (
        "2026-10-23 10:00", "2026-10-23 16:00", "2026-10-26 09:00", "2026-10-26 12:00"
    ),
}  # fmt: skip


def _wall(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=PARIS).astimezone(dt.UTC)


@pytest.mark.parametrize("case", sorted(WAITS))
def test_a_wait_across_a_night_moves_the_due_date_by_the_business_time_it_took(
    demo, login, monkeypatch, case
):
    filed, paused, answered, due = (_wall(text) for text in WAITS[case])
    client, ticket, _page = _submit(login, monkeypatch, filed)
    technician = make_user(role="technician", queues=(ticket.queue,), locale="fr")
    apply_status(ticket, Status.IN_PROGRESS, technician, Actor.STAFF, at=filed)
    apply_status(ticket, Status.WAITING_ON_REQUESTER, technician, Actor.STAFF, at=paused)
    db.session.commit()
    apply_status(ticket, Status.IN_PROGRESS, ticket.requester, Actor.REQUESTER, at=answered)
    db.session.commit()
    assert ticket.resolution_due_at == due, ticket.resolution_due_at.astimezone(PARIS)
    assert _short(due) in client.get(f"/mes-demandes/{ticket.reference}").text
    staff = login(technician).get(f"/tickets/{ticket.reference}").text
    assert f'<time datetime="{due.isoformat()}">{_short(due)}</time>' in staff


def test_the_business_time_left_is_counted_in_paris_hours_over_the_autumn_change(
    demo, login, monkeypatch
):
    """Filed Friday 23 October 2026 at 16:59, due Monday 16:59: over the weekend (25 hours on
    the Sunday) 8 h 59 are left, and at 09:00 on Monday 7 h 59."""
    _client, ticket, _page = _submit(login, monkeypatch, paris(2026, 10, 23, 16, 59))
    technician = make_user(role="technician", queues=(ticket.queue,), locale="fr")
    client = login(technician)
    for now, left in (
        (paris(2026, 10, 24, 12, 0), "8 h 59"),
        (paris(2026, 10, 25, 12, 0), "8 h 59"),
        (paris(2026, 10, 26, 9, 0), "7 h 59"),
    ):
        monkeypatch.setattr("desk.sla.views.utcnow", lambda now=now: now)
        page = client.get(f"/tickets/{ticket.reference}").text
        assert f'class="sla-remaining">{left}' in page, now
