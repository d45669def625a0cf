"""`insert_row`: one INSERT, and then an object the session treats as if it had flushed it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, inspect, select
from sqlalchemy.orm.exc import StaleDataError

from desk.auth.models import Role, User
from desk.core.persist import attach_row, columns_of, insert_row
from desk.core.transactions import commit_keeping_state
from desk.tickets.models import EventKind, Status, Ticket, TicketEvent
from tests.support.factories import make_request_type, make_ticket, make_user


@pytest.fixture
def statements(db):
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement.split(None, 1)[0].upper())

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def _new_ticket(reference: str = "DEM-2026-900001") -> Ticket:
    request_type = make_request_type()
    requester = make_user()
    now = dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC)
    # Loaded, as a request's own objects are (the factories' commits expired them).
    _ = request_type.default_queue.id, requester.id
    return Ticket(
        reference=reference,
        kind=request_type.kind,
        request_type=request_type,
        domain_id=request_type.domain_id,
        category_id=request_type.category_id,
        queue=request_type.default_queue,
        requester=requester,
        subject="Prise murale B-12 sans réseau",
        data={"socket": "B-12"},
        created_at=now,
        updated_at=now,
    )


def test_one_insert_then_persistent_and_clean_with_its_defaults(db, statements):
    ticket = _new_ticket()
    db.session.connection()  # the transaction's BEGIN is not the INSERT's
    statements.clear()
    insert_row(db.session, ticket)
    assert statements == ["INSERT"]
    state = inspect(ticket)
    assert state.persistent and not db.session.dirty and not db.session.new
    # Many-to-one objects became foreign keys; column defaults came back with the row.
    assert ticket.id and ticket.queue_id == ticket.queue.id
    assert ticket.requester_id == ticket.requester.id
    assert (ticket.status, ticket.priority, ticket.version) == (Status.NEW, 2, 1)
    assert ticket.events == [] and ticket.assignee is None
    assert statements == ["INSERT"]  # reading them did not load anything
    db.session.commit()
    stored = db.session.execute(
        select(Ticket.reference, Ticket.subject, Ticket.data, Ticket.requester_id).where(
            Ticket.id == ticket.id
        )
    ).one()
    assert tuple(stored) == (
        "DEM-2026-900001",
        "Prise murale B-12 sans réseau",
        {"socket": "B-12"},
        ticket.requester_id,
    )


def test_later_changes_are_flushed_as_updates_under_the_version_check(db, statements):
    ticket = _new_ticket()
    insert_row(db.session, ticket)
    statements.clear()
    ticket.priority = 3
    db.session.flush()
    assert statements == ["UPDATE"]
    assert ticket.version == 2
    commit_keeping_state()
    # Another writer bumped the row: the version check refuses to overwrite it.
    with db.engine.begin() as other:
        other.execute(Ticket.__table__.update().values(version=Ticket.version + 1))
    ticket.priority = 4
    with pytest.raises(StaleDataError):
        db.session.flush()


def test_children_added_later_are_written_by_the_usual_flush(db):
    ticket = _new_ticket()
    insert_row(db.session, ticket)
    created = TicketEvent(ticket_id=ticket.id, kind=EventKind.CREATED, actor=ticket.requester)
    insert_row(db.session, created)
    reply = TicketEvent(ticket=ticket, kind=EventKind.COMMENT, body="Toujours en panne")
    db.session.add(reply)
    db.session.commit()
    kinds = db.session.scalars(
        select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    ).all()
    assert kinds == [EventKind.CREATED, EventKind.COMMENT]


def test_a_rolled_back_insert_leaves_nothing(db):
    ticket = _new_ticket()
    insert_row(db.session, ticket)
    ticket_id = ticket.id
    db.session.rollback()
    assert db.session.get(Ticket, ticket_id) is None


def test_refuses_an_object_a_session_already_holds(db):
    existing = make_ticket()
    with pytest.raises(ValueError, match="new object"):
        insert_row(db.session, existing)


def test_refuses_a_collection_it_cannot_write(db):
    ticket = _new_ticket()
    ticket.events.append(TicketEvent(kind=EventKind.CREATED))
    with pytest.raises(ValueError, match="events"):
        insert_row(db.session, ticket)


def test_attach_row_gives_a_clean_persistent_instance_of_a_core_row(db, statements):
    user = make_user(role=Role.TECHNICIAN)
    user_id = user.id
    db.session.expunge_all()
    row = db.session.connection().execute(columns_of(User).where(User.id == user_id)).one()
    statements.clear()
    attached = attach_row(db.session, User, row)
    assert statements == []
    assert inspect(attached).persistent and attached not in db.session.dirty
    assert (attached.id, attached.role, attached.is_active) == (user_id, Role.TECHNICIAN, True)
    assert db.session.get(User, user_id) is attached  # the identity map knows it
    attached.display_name = "Nouveau nom"
    db.session.commit()
    assert db.session.scalar(select(User.display_name).where(User.id == user_id)) == "Nouveau nom"


def test_attach_row_keeps_the_instance_the_session_already_holds(db):
    user = make_user()
    user.display_name = "Pas encore écrit"  # this request's change wins over the row
    row = db.session.connection().execute(columns_of(User).where(User.id == user.id)).one()
    assert attach_row(db.session, User, row) is user
    assert user.display_name == "Pas encore écrit"
