"""A transfer costs what the transfer needs: with no deadline e-mail held for its ticket
(almost every move), the hand-over of held deadlines (desk.notifications) is one look, not
the members, leads (and holder's absences) of each ticket read for nothing: hundreds of
wasted statements on a bulk transfer of hundreds of tickets."""

from __future__ import annotations

from desk.extensions import db
from desk.tickets.actions import bulk_apply, transfer_ticket
from tests.support.factories import make_ticket
from tests.support.sql import statements_sent

HELD_LOOK = "SELECT notification.payload FROM notification"


def _bulk_transfer(desk, n: int, *, held_by=None) -> list[str]:
    """The statements of a bulk transfer of `n` new tickets of the network queue to the mail
    queue (each its own transaction), those held by `held_by` unassigned on the way."""
    tickets = [
        make_ticket(queue=desk.network, requester=desk.requester, assignee=held_by)
        for _ in range(n)
    ]
    db.session.commit()
    selection = [(t.id, t.version) for t in tickets]
    actor = desk.tech

    def move(ticket, version):
        transfer_ticket(
            ticket, desk.mail, reason="Pour la messagerie", actor=actor, expected_version=version
        )

    db.session.expire_all()
    with statements_sent(db.engine) as seen:
        result = bulk_apply(selection, move, actor=actor)
    assert len(result.changed) == n
    return seen


def _per_ticket(desk, **kwargs) -> tuple[int, list[str]]:
    _bulk_transfer(desk, 1, **kwargs)  # warm-up: what is read once per process or page
    one, six = _bulk_transfer(desk, 1, **kwargs), _bulk_transfer(desk, 6, **kwargs)
    assert (len(six) - len(one)) % 5 == 0
    return (len(six) - len(one)) // 5, six


def test_a_transfer_with_nothing_held_looks_once_and_reads_nobody_for_it(desk):
    per_ticket, statements = _per_ticket(desk)
    # One look a ticket for held deadline e-mails, and nothing more read for them.
    assert sum(" ".join(s.split()).startswith(HELD_LOOK) for s in statements) == 6
    # Each ticket: the ticket (expired by the previous one's commit), may the actor work it,
    # the mail queue, its members and their absences (told of the transfer), the look for
    # held deadline e-mails, the UPDATE and its history line, the search document (4), the
    # e-mail's preferences, request type and reader, the notification INSERT. Was 2 more on
    # every ticket (the mail queue's members again and its leads, read before that look),
    # and the holder's absences when they stay in charge.
    assert per_ticket == 17


def test_a_transfer_that_unassigns_looks_once_too(desk):
    per_ticket, statements = _per_ticket(desk, held_by=desk.tech)
    assert sum(" ".join(s.split()).startswith(HELD_LOOK) for s in statements) == 6
    # As above, and the absences of the technician it leaves (told where it went); its two
    # history lines in one INSERT on PostgreSQL, two on SQLite. Was 2 more here too.
    assert per_ticket == (18 if db.engine.dialect.name == "postgresql" else 19)
