"""Staff notifications end to end: a real Celery worker process, a real SMTP server, the bell.

Counts exact messages per recipient: each person is told once of what is meant for them.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from desk.auth.models import Role
from desk.notifications import digest
from desk.notifications.models import Channel, DeliveryStatus, NewTicketMode
from desk.notifications.outbox import enqueue_delivery
from desk.notifications.services import set_new_ticket_mode
from desk.tickets.models import Status
from desk.tickets.services import add_requester_comment, reopen_ticket
from tests.notifications.helpers import assign, rows, submit
from tests.notifications.test_worker_faults import wait_for
from tests.support.factories import make_queue, make_user

pytestmark = pytest.mark.worker


def _settled(smtp, expected: int) -> None:
    wait_for(lambda: len(smtp.messages) >= expected, what=f"{expected} messages")
    wait_for(
        lambda: (
            not rows(Channel.EMAIL, status=DeliveryStatus.PENDING)
            or all(
                r.next_attempt_at > dt.datetime.now(dt.UTC)
                for r in rows(Channel.EMAIL)
                if r.status is DeliveryStatus.PENDING
            )
        ),
        what="outbox drained",
    )
    time.sleep(0.5)  # anything extra (a duplicate) would arrive now
    assert len(smtp.messages) == expected, [(m["To"], m["Subject"]) for m in smtp.messages]


def _bell(client) -> int:
    import re

    match = re.search(r'data-unread="(\d+)"', client.get("/home").text)
    return int(match.group(1)) if match else 0


def test_each_staff_member_learns_of_each_ticket_and_reply_once(db, smtp, worker, login, app):
    queue = make_queue()
    tech = make_user("tech@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    mate = make_user("mate@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,), locale="en")
    lead = make_user("lead@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    requester = make_user("claire@umontpellier.fr")
    set_new_ticket_mode(lead, NewTicketMode.DIGEST, actor=lead)

    ticket = submit(requester, queue=queue, subject="Imprimante bloquée")
    _settled(smtp, 3)  # acknowledgement, tech, mate; the lead waits for the digest
    assert len(smtp.to(requester.email)) == 1
    (to_tech,) = smtp.to(tech.email)
    # Compared word by word: a long Subject header may be folded.
    assert " ".join(to_tech["Subject"].split()) == (
        f"[{ticket.reference}] Nouveau ticket dans votre file : Imprimante bloquée"
    )
    (to_mate,) = smtp.to(mate.email)
    assert to_mate["Subject"].startswith(f"[{ticket.reference}] New ticket in your queue")
    assert smtp.to(lead.email) == []

    assign(ticket, tech, actor=mate)
    db.session.commit()
    _settled(smtp, 4)
    assert len(smtp.to(tech.email)) == 2  # the assignment; mate (the actor) is not told

    add_requester_comment(ticket, requester, "Toujours bloquée")
    _settled(smtp, 5)
    assert len(smtp.to(tech.email)) == 3  # the assignee only
    ticket.status, ticket.resolved_at = Status.RESOLVED, dt.datetime.now(dt.UTC)
    db.session.commit()
    reopen_ticket(ticket, requester, reason="Encore")
    _settled(smtp, 6)
    assert len(smtp.to(tech.email)) == 4
    assert len(smtp.to(mate.email)) == 1 and len(smtp.to(requester.email)) == 1

    # The digest, written by the beat task's code and sent by the worker; once.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=app.config["NOTIFY_DIGEST_MINUTES"] + 2)
    assert digest.send_digests(now=later) == 1
    assert digest.send_digests(now=later) == 0
    _settled(smtp, 7)
    (to_lead,) = smtp.to(lead.email)
    assert "1 nouveau ticket" in to_lead["Subject"]
    assert ticket.reference in to_lead.get_body(("plain",)).get_content()
    # A task published twice is still one e-mail.
    enqueue_delivery([r.id for r in rows(Channel.EMAIL)])
    _settled(smtp, 7)

    # The bell: the tech saw new ticket + assignment + comment + reopening (4 entries), the
    # digest subscriber the new ticket, the requester nothing (only their own receipt).
    assert _bell(login(tech)) == 4
    assert _bell(login(lead)) == 1
    assert _bell(login(requester)) == 0
