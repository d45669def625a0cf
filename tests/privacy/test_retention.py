"""Retention of a finished ticket's content: erased a retention period after its last change;
what counts (reference, type, queue, dates, statuses, score) stays; nothing else is touched;
the erased ticket says so and can no longer be worked, reopened or rated."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from desk.extensions import db
from desk.followups.models import FollowUp
from desk.notifications.models import Notification
from desk.privacy import sweep
from desk.satisfaction.models import Rating
from desk.tickets.history import apply_status
from desk.tickets.models import Attachment, AttachmentContent, EventKind, Status, Ticket
from desk.tickets.workflow import Actor
from desk.watchers.models import TicketWatcher
from tests.privacy.lives import LONG_AGO, age, count_rows, events_of
from tests.support.factories import make_ticket, make_user


def test_a_finished_ticket_is_erased_after_its_retention_and_only_it(app, desk, lived, login):
    recent = make_ticket(
        queue=desk.network, requester=desk.requester, subject="Écran noir", status="closed"
    )
    still_open = make_ticket(queue=desk.network, requester=desk.requester, subject="Imprimante HS")
    age(still_open, LONG_AGO)  # open for three years: never erased while open
    before = {e.id: e.kind for e in events_of(lived)}
    assert {EventKind.REPLY, EventKind.COMMENT, EventKind.NOTE} <= set(before.values())
    updated_at = db.session.get(Ticket, lived.id).updated_at
    files = list(db.session.scalars(select(Attachment.id).where(Attachment.ticket_id == lived.id)))
    assert len(files) == 2
    runner = app.test_cli_runner()

    result = runner.invoke(args=["desk", "erase-expired", "--dry-run"])
    assert result.output.strip() == "due: 1 tickets, 0 accounts"
    assert db.session.get(Ticket, lived.id).erased_at is None  # a dry run erases nothing

    result = runner.invoke(args=["desk", "erase-expired"])
    assert (
        result.exit_code == 0
        and result.output.splitlines()[-1] == "erased: 1 tickets, 0 accounts, 0 other records"
    )
    db.session.expire_all()
    ticket = db.session.get(Ticket, lived.id)
    assert ticket.erased_at is not None
    assert ticket.subject == ticket.request_type.title_fr and ticket.data == {}
    # What counts stays: reference, status, dates, the score; its last change is not moved.
    assert ticket.status is Status.CLOSED and ticket.closed_at and ticket.resolved_at
    assert ticket.updated_at == updated_at
    rating = db.session.scalar(select(Rating).where(Rating.ticket_id == ticket.id))
    assert (rating.score, rating.comment) == (4, "")
    left = events_of(ticket)
    assert {e.kind for e in left} <= {EventKind.CREATED, EventKind.CHANGE, EventKind.SYSTEM}
    assert all(e.body == "" for e in left)
    assert {e.field for e in left if e.kind is EventKind.CHANGE} == {"status"}
    assert all(e.actor_id != desk.requester.id for e in left)
    assert any(e.actor_id == desk.tech.id for e in left)  # who handled it stays
    assert count_rows(Attachment, ticket_id=ticket.id) == 0
    # Their bytes too (SQLite, for `make run`, enforces no ON DELETE CASCADE).
    for file_id in files:
        assert count_rows(AttachmentContent, attachment_id=file_id) == 0
    assert count_rows(TicketWatcher, ticket_id=ticket.id) == 0
    assert count_rows(FollowUp, ticket_id=ticket.id) == 0
    assert count_rows(Notification, ticket_id=ticket.id) == 0
    # The others are as they were.
    for kept in (recent, still_open):
        row = db.session.get(Ticket, kept.id)
        assert row.erased_at is None and row.subject in {"Écran noir", "Imprimante HS"}
    # Nothing is left to find by what was written.
    tech = login(desk.tech)
    found = tech.get("/recherche", query_string={"q": "PC-LAB-42"}).text
    assert ticket.reference not in found
    # A second run has nothing to do.
    assert (
        runner.invoke(args=["desk", "erase-expired"]).output.strip()
        == "erased: 0 tickets, 0 accounts, 0 other records"
    )


def test_the_erased_ticket_says_so_and_can_no_longer_be_worked(desk, lived, login):
    tech = login(desk.tech)
    # A closed ticket still takes internal notes: not once erased.
    forms = [f'action="/tickets/{lived.reference}/note"']
    assert all(f in tech.get(f"/tickets/{lived.reference}").text for f in forms)
    sweep.erase_expired()
    page = tech.get(f"/tickets/{lived.reference}").text
    assert "data-erased" in page and "a été effacé le" in page
    assert "Prise murale" not in page and "Mot de passe" not in page and "PC-LAB-42" not in page
    assert not any(f in page for f in forms)
    response = tech.post(
        f"/tickets/{lived.reference}/note",
        data={"version": "99", "csrf_token": tech.last_csrf, "body": "Encore un mot"},
    )
    assert response.status_code == 409 and "Ce ticket a été effacé." in response.text
    assert not any(e.body == "Encore un mot" for e in events_of(lived))
    claire = login(desk.requester)
    mine = claire.get(f"/mes-demandes/{lived.reference}")
    assert mine.status_code == 200 and "data-erased" in mine.text
    assert "Merci Karim" not in mine.text and "Noter" not in mine.text
    english = login(make_user("en@umontpellier.fr", locale="en"))
    assert english.get("/donnees-personnelles").status_code == 200


def test_a_resolved_ticket_once_erased_is_neither_reopened_nor_rated(app, desk, login):
    ticket = db.session.get(Ticket, desk.ticket.id)
    apply_status(ticket, Status.IN_PROGRESS, desk.tech, Actor.STAFF)
    apply_status(ticket, Status.RESOLVED, desk.tech, Actor.STAFF)
    db.session.commit()
    claire = login(desk.requester)
    url = f"/mes-demandes/{ticket.reference}"
    page = claire.get(url).text
    assert f'action="{url}/reouverture"' in page and f'action="{url}/evaluation"' in page
    saved = app.config["TICKET_RETENTION_DAYS"]
    app.config["TICKET_RETENTION_DAYS"] = 1  # shorter than the reopening window
    try:
        age(ticket, dt.timedelta(days=2))
        assert sweep.erase_expired().tickets == 1
    finally:
        app.config["TICKET_RETENTION_DAYS"] = saved
    page = claire.get(url).text
    assert f'action="{url}/reouverture"' not in page and f'action="{url}/evaluation"' not in page
    claire.submit(f"{url}/reouverture", {"reason": "Toujours en panne"}, page=url)
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status is Status.RESOLVED
    claire.submit(f"{url}/evaluation", {"score": "5", "comment": "Bravo"}, page=url)
    assert count_rows(Rating, ticket_id=ticket.id) == 0


def test_no_staff_action_changes_an_erased_ticket_whatever_the_way_in(desk, lived):
    from desk.tickets.actions import ActionError, bulk_apply, change_status

    sweep.erase_expired()
    ticket = db.session.get(Ticket, lived.id)
    version = ticket.version
    with pytest.raises(ActionError, match="Ce ticket a été effacé"):
        change_status(ticket, Status.REOPENED, actor=desk.tech)
    # The queue list's bulk bar goes through the same services.
    result = bulk_apply(
        [(ticket.id, None)],
        lambda t, v: change_status(t, Status.REOPENED, actor=desk.tech, expected_version=v),
        actor=desk.tech,
    )
    assert result.changed == [] and result.refused == [
        (ticket.reference, "Ce ticket a été effacé.")
    ]
    db.session.expire_all()
    assert db.session.get(Ticket, lived.id).version == version
