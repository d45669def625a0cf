"""Bounces mark the notification's delivery as failed with the reason, shown on the failed
e-mails page; nothing is added to a ticket and nothing is answered."""

from __future__ import annotations

import html

import pytest

from desk.auth.models import Role
from desk.inbound.models import HoldReason, InboundStatus
from desk.inbound.services import fetch_mail
from desk.notifications.mailer import message_id
from desk.notifications.models import DeliveryStatus
from tests.inbound import samples
from tests.inbound.helpers import events, ledger, people_and_ticket
from tests.inbound.test_services import drop
from tests.notifications.helpers import deliver_all, rows
from tests.support.factories import make_user


@pytest.mark.parametrize("shape", [samples.postfix_bounce, samples.exchange_ndr])
def test_bounce_marks_the_delivery_failed_and_adds_nothing(db, smtp, inbound, login, shape):
    from tests.notifications.helpers import submit

    requester, _tech, _stranger, _ticket = people_and_ticket()
    ticket = submit(requester, subject="Écran noir")
    assert deliver_all() == ["sent"]
    (sent,) = rows()
    original = message_id(ticket.reference, sent.id)
    drop(inbound, "1.eml", shape(original_message_id=original, recipient=requester.email))
    before = len(events(ticket))
    assert fetch_mail().counts == {"ignored": 1}
    (row,) = ledger()
    assert row.status is InboundStatus.IGNORED and row.reason is HoldReason.BOUNCE
    assert row.data["notification"] == sent.id and row.data["recipient"] == requester.email
    (failed,) = rows()
    assert failed.status is DeliveryStatus.FAILED
    assert failed.payload["bounce"]["status"] in ("5.1.1", "5.1.10")
    assert len(events(ticket)) == before and smtp.messages[1:] == []  # no answer
    page = login(make_user(role=Role.ADMIN, locale="en")).get("/admin/notifications")
    text = html.unescape(page.get_data(as_text=True))
    assert "Returned by the recipient's mail server (5.1." in text
    assert requester.email in text.partition("Returned by")[2]


def test_bounce_of_another_hosts_message_id_marks_nothing(db, smtp, inbound):
    from tests.notifications.helpers import submit

    requester, _tech, _stranger, _ticket = people_and_ticket()
    ticket = submit(requester)
    deliver_all()
    (sent,) = rows()
    forged = f"<ticket-{ticket.reference}.notif-{sent.id}@evil.example>"
    drop(inbound, "1.eml", samples.postfix_bounce(original_message_id=forged, recipient="x@y.z"))
    assert fetch_mail().counts == {"ignored": 1}
    assert rows()[0].status is DeliveryStatus.SENT
    assert ledger()[0].data["notification"] is None


def test_retrying_a_bounced_email_forgets_the_bounce(db, smtp, inbound, login):
    from tests.notifications.helpers import submit

    requester, _tech, _stranger, _ticket = people_and_ticket()
    ticket = submit(requester)
    deliver_all()
    (sent,) = rows()
    raw = samples.postfix_bounce(
        original_message_id=message_id(ticket.reference, sent.id), recipient=requester.email
    )
    drop(inbound, "1.eml", raw)
    fetch_mail()
    admin = login(make_user(role=Role.ADMIN))
    admin.submit(f"/admin/notifications/{sent.id}/retry", page="/admin/notifications")
    (again,) = rows()
    assert again.status is DeliveryStatus.PENDING and "bounce" not in again.payload


def test_bounce_of_a_digest_marks_it_failed(db, smtp, inbound):
    from desk.notifications.models import Channel, Notification, NotificationEvent

    admin = make_user(role=Role.ADMIN)
    row = Notification(
        event=NotificationEvent.NEW_TICKET,
        ticket_id=None,
        recipient_id=admin.id,
        channel=Channel.EMAIL,
        payload={"digest": True, "to": admin.email},
        dedupe_key="digest:test",
        status=DeliveryStatus.SENT,
    )
    db.session.add(row)
    db.session.commit()
    original = f"<ticket-digest.notif-{row.id}@{samples.DESK_HOST}>"
    drop(inbound, "1.eml", samples.postfix_bounce(original_message_id=original, recipient="a@b.c"))
    assert fetch_mail().counts == {"ignored": 1}
    db.session.refresh(row)
    assert row.status is DeliveryStatus.FAILED and row.payload["bounce"]["status"] == "5.1.1"
