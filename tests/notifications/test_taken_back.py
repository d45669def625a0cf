"""A worker that stalls past NOTIFY_SENDING_TIMEOUT has its claim taken back by the sweep,
and another worker sends the row. Whatever the first worker's server then answers must not
touch the new claim: only its owner records the row's outcome.

The case that sent a message twice: the second worker handed the whole message over and lost
the server's reply (an "uncertain" row, never sent again by itself), while the first one's
late answer, a greylisting 451 at RCPT from the real SMTP server, put the row back to pending:
it went out again. With a 550 instead, the row showed the first worker's "recipient refused"
for a message that had probably been delivered, and the admin's retry sent it again."""

from __future__ import annotations

import datetime as dt

import pytest

from desk.core.db import utcnow
from desk.notifications import delivery
from desk.notifications.mailer import DeliveryError
from desk.notifications.models import Channel, DeliveryStatus
from tests.notifications.helpers import rows, submit
from tests.support.factories import make_user


@pytest.mark.parametrize(
    "answer", ["451 4.7.1 Greylisted, try again later", "550 5.1.1 No such user"]
)
def test_a_late_answer_to_a_claim_taken_back_leaves_the_new_claim_alone(
    db, smtp, monkeypatch, answer
):
    user = make_user()
    submit(user)
    (row,) = rows(Channel.EMAIL)
    now = utcnow()
    ((payload, first),) = delivery.claim([row.id], now).values()  # worker A, which stalls
    later = now + dt.timedelta(seconds=1)
    assert delivery.sweep(now=later, stale_after=dt.timedelta(0)) == [row.id]
    ((_payload, second),) = delivery.claim([row.id], later).values()  # worker B
    assert second == first + 1

    async def refuse(server, session, envelope, address, rcpt_options):
        return answer

    smtp.handle_RCPT = refuse  # what the real server answers A
    real_send = delivery.send
    late = []

    def send(message, *, before_final_dot=None):
        if late:  # A, through the real server
            return real_send(message, before_final_dot=before_final_dot)
        before_final_dot()  # B's whole message is on the wire, but for the final dot
        late.append("A")
        late[0] = delivery._send_claimed(row.id, payload, first, now)  # A wakes up now
        # B's server received the dot, then the connection died before its reply.
        raise DeliveryError("no reply to the end of the message", permanent=False, uncertain=True)

    monkeypatch.setattr(delivery, "send", send)
    assert delivery._send_claimed(row.id, _payload, second, now).status == "failed"
    assert [outcome.status for outcome in late] == ["skipped"]  # not A's row any more
    monkeypatch.setattr(delivery, "send", real_send)
    (row,) = rows(Channel.EMAIL)
    assert row.status is DeliveryStatus.FAILED
    assert row.last_error.startswith(delivery.UNCERTAIN)  # B's word, not A's
    # Never sent again by itself, however late.
    assert delivery.deliver(row.id, now=utcnow() + dt.timedelta(days=1)).status == "skipped"
    assert smtp.messages == []
