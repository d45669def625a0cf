"""A notification's log lines carry the request id of the change that wrote it.

One drain sends whatever is due, whoever wrote it: it runs under the id of the request (or
beat's task) that happened to kick it, so without this an e-mail's failure was logged under
another person's request."""

from __future__ import annotations

import json

from desk.core.logs import request_id_var
from desk.notifications import delivery
from tests.notifications.helpers import submit
from tests.support.factories import make_queue, make_user


def _lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_a_failed_e_mail_is_logged_under_the_request_that_wrote_it(db, smtp, capsys):
    queue = make_queue()
    left = make_user(email="parti@umontpellier.fr")
    smtp.reject.add("parti@umontpellier.fr")
    token = request_id_var.set("req-claire-submits")
    try:
        submit(left, queue=queue)  # the acknowledgement, refused by the server
    finally:
        request_id_var.reset(token)

    token = request_id_var.set("req-someone-else")  # the request whose commit kicked the drain
    try:
        capsys.readouterr()
        done, _more = delivery.drain(lambda: None)
        after = request_id_var.get()
    finally:
        request_id_var.reset(token)
    assert [outcome.status for _id, outcome in done] == ["failed"]
    failed = [e for e in _lines(capsys.readouterr().out) if "550" in e["message"]]
    assert [e["request_id"] for e in failed] == ["req-claire-submits"]
    assert after == "req-someone-else"  # the drain's own lines keep the drain's id
