"""The e-mails of someone in copy, end to end: a real worker process delivers them to a real
SMTP server, in their own language and words."""

from __future__ import annotations

import time

import pytest

from desk.tickets.actions import add_reply
from tests.notifications.conftest import smtp  # noqa: F401 - the real SMTP server fixture
from tests.notifications.helpers import wait_for
from tests.support.worker import WorkerProcess


@pytest.mark.worker
def test_someone_in_copy_is_mailed_by_the_worker(world, login, smtp, test_env):  # noqa: F811
    worker = WorkerProcess(
        {**test_env, "DESK_MAIL_HOST": "127.0.0.1", "DESK_MAIL_PORT": str(smtp.port)}
    ).start()
    try:
        claire = login(world.claire)
        claire.submit(f"/demandes/{world.ticket.reference}/en-copie", {"email": world.john.email})
        wait_for(lambda: len(smtp.to(world.john.email)) >= 1, what="the copy notice")
        add_reply(world.ticket, "We replaced the socket.", actor=world.tech)
        wait_for(lambda: len(smtp.to(world.john.email)) >= 2, what="the reply")
        time.sleep(0.5)  # a duplicate would arrive now
        notice, reply = smtp.to(world.john.email)
        reference = world.ticket.reference
        assert notice["Subject"].startswith(f"[{reference}] You are in copy of a request")
        assert reply["Subject"].startswith(f"[{reference}] New reply on a request you follow")
        body = reply.get_body(preferencelist=("plain",)).get_content()
        assert "We replaced the socket." in body
        assert f"/mes-demandes/{reference}" in body
        (to_claire,) = smtp.to(world.claire.email)  # the reply, in French
        assert "Nouvelle réponse du centre de services" in to_claire["Subject"]
    finally:
        worker.stop()
