"""The worker's kept SMTP connection, closed by the server while idle, as Postfix, Exim and
Sendmail close it: a "421 ... timeout" reply, then the end of the connection. The next
e-mail must go out at once over a new connection, not wait for a retry."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from tests.notifications.conftest import RecordingHandler, free_port, mail_sent_to
from tests.notifications.helpers import deliver_all, rows, submit
from tests.support.factories import make_user

IDLE_SECONDS = 0.5


class PostfixLikeSMTP(SMTP):
    """An aiosmtpd server that ends an idle session the way the usual MTAs do (Postfix's
    smtpd: "421 4.4.2 <host> Error: timeout exceeded"); aiosmtpd itself only closes."""

    def _timeout_cb(self):
        self.transport.write(b"421 4.4.2 relay.example Error: timeout exceeded\r\n")
        super()._timeout_cb()


class IdleClosingController(Controller):
    def factory(self):
        return PostfixLikeSMTP(self.handler, timeout=IDLE_SECONDS, **self.SMTP_kwargs)


@pytest.fixture
def idle_closing_smtp(app) -> Iterator[RecordingHandler]:
    handler = RecordingHandler()
    controller = IdleClosingController(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    with mail_sent_to(app, controller.port):
        yield handler
    controller.stop()


def test_a_connection_the_server_timed_out_is_reopened_at_once(db, idle_closing_smtp):
    submit(make_user(email="alice@umontpellier.fr"))
    assert deliver_all() == ["sent"]
    time.sleep(IDLE_SECONDS * 4)  # the server has said 421 and hung up meanwhile
    submit(make_user(email="bob@umontpellier.fr"))
    assert deliver_all() == ["sent"]  # not "retry" a minute later
    assert [m["To"] for m in idle_closing_smtp.messages] == [
        "alice@umontpellier.fr",
        "bob@umontpellier.fr",
    ]
    assert all(row.attempts == 1 and row.last_error == "" for row in rows())
