"""RFC 3834's Auto-Submitted on what desk sends, read from the mails the SMTP sink received:
"auto-replied" on an answer to a message someone sent desk (the acknowledgement of a request
received by e-mail; the answers to an e-mail it could not take, in their own tests),
"auto-generated" on everything caused by no message sent to desk: the acknowledgement of a
web request, the staff's news of a new ticket, the admins' alert about a flooding sender
(tests/inbound/test_bad_input.py)."""

from __future__ import annotations

from desk.auth.models import Role
from desk.inbound.services import fetch_mail
from tests.inbound import samples
from tests.inbound.test_requests import ADDRESS, _queue_with_address
from tests.inbound.test_services import drop
from tests.notifications.helpers import deliver_all, submit
from tests.support.factories import make_user


def test_the_acknowledgement_of_a_request_by_email_is_an_auto_reply(db, inbound, smtp):
    queue, _entry = _queue_with_address()
    technician = make_user(role=Role.TECHNICIAN, queues=(queue,))
    user = make_user(email="claire.martin@umontpellier.fr")
    raw = samples.gmail(sender=user.email, to=ADDRESS, subject="Imprimante du 2e étage")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"created": 1}
    assert sorted(deliver_all()) == ["sent", "sent"]
    (acknowledgement,) = smtp.to(user.email)
    assert acknowledgement["Auto-Submitted"] == "auto-replied"
    assert acknowledgement["X-Auto-Response-Suppress"] == "All"
    # The technician's news of the new ticket answers nobody's message.
    (news,) = smtp.to(technician.email)
    assert news["Auto-Submitted"] == "auto-generated"


def test_the_acknowledgement_of_a_web_request_is_auto_generated(db, smtp):
    user = make_user()
    submit(user)
    assert deliver_all() == ["sent"]
    (acknowledgement,) = smtp.to(user.email)
    assert acknowledgement["Auto-Submitted"] == "auto-generated"
