"""Both deadlines of a ticket missed by one sweep (beat or the workers down for a while, a
target shortened): its people get one e-mail naming both, the priority raised once; they got
two, the second saying the priority had been raised again (normal to critical)."""

from __future__ import annotations

from desk.auth.models import Role
from desk.sla.sweep import sweep_sla
from desk.tickets.models import Priority, Ticket
from tests.notifications.helpers import deliver_all
from tests.notifications.test_schedule import _calendar
from tests.sla.conftest import add_policy, new_ticket
from tests.sla.conftest import paris as at
from tests.support.factories import make_request_type, make_user


def _plain(message) -> str:
    return " ".join(message.get_body(preferencelist=("plain",)).get_content().split())


def test_both_deadlines_missed_at_once_make_one_mail_naming_both(db, smtp):
    network = make_request_type(kind="incident")
    add_policy(network, _calendar("Ouvré", [["08:00", "17:00"]]), first=240, resolution=540)
    queue = network.default_queue
    karim = make_user(role=Role.TECHNICIAN, queues=(queue,), locale="en")
    lead = make_user(role=Role.TECHNICIAN, queues=(queue,), leads=(queue,), locale="en")
    ticket = new_ticket(network, at(2026, 12, 4, 16, 0))  # a Friday
    # Monday 17:01: first answer due 11:00, resolution 16:00, both missed, none warned.
    assert sweep_sla(at(2026, 12, 7, 17, 1)) == 2
    deliver_all()
    for person in (karim, lead):
        mails = [m for m in smtp.to(person.email) if "Deadline" in m["Subject"]]
        assert len(mails) == 1, [m["Subject"] for m in mails]
        body = _plain(mails[0])
        assert "missed its first-response deadline" in body
        assert "and its resolution deadline" in body
        assert body.count("Its priority has been raised.") == 1
    assert db.session.get(Ticket, ticket.id).priority == Priority.HIGH


def test_both_warnings_at_once_make_one_mail_naming_both(db, smtp):
    network = make_request_type(kind="incident")
    add_policy(network, _calendar("Ouvré", [["08:00", "17:00"]]), first=240, resolution=300)
    karim = make_user(role=Role.TECHNICIAN, queues=(network.default_queue,), locale="en")
    new_ticket(network, at(2026, 12, 4, 16, 0))  # a Friday
    # Monday 10:50: the first answer warned at 10:00 (due 11:00), the resolution at 10:45
    # (due 12:00).
    assert sweep_sla(at(2026, 12, 7, 10, 50)) == 2
    deliver_all()
    mails = [m for m in smtp.to(karim.email) if "Deadline" in m["Subject"]]
    assert len(mails) == 1, [m["Subject"] for m in mails]
    body = _plain(mails[0])
    assert "The first-response and resolution deadlines of this ticket are near" in body
    assert "Monday 7 December 2026, 11:00 and Monday 7 December 2026, 12:00" in body
