"""The admins' incoming-mail page: held and failed messages with their reason in the reader's
language, the original, and a retry (CSRF, admins only) that reprocesses."""

from __future__ import annotations

from desk.auth.models import Role, User
from desk.extensions import db as database
from desk.inbound.models import HoldReason, InboundMessage, InboundStatus
from desk.inbound.review import retry_message
from desk.inbound.services import fetch_mail
from desk.tickets.models import EventKind
from tests.inbound import samples
from tests.inbound.helpers import events, ledger, people_and_ticket, signed
from tests.inbound.test_services import drop
from tests.support.factories import make_user


def _admin(locale="fr"):
    return make_user(role=Role.ADMIN, locale=locale)


def test_held_and_failed_are_listed_with_the_reason_in_the_admins_language(db, inbound, login):
    _requester, _tech, _stranger, ticket = people_and_ticket()
    drop(
        inbound,
        "1.eml",
        samples.thunderbird(sender="x@gmail.example", to=signed(ticket), subject="a"),
    )
    drop(inbound, "2.eml", b"\x00 garbage")
    assert fetch_mail().counts == {"held": 1, "failed": 1}
    french = login(_admin("fr")).get("/admin/inbound")
    page = french.get_data(as_text=True)
    assert french.status_code == 200
    assert "Aucun compte actif n’a l’adresse de l’expéditeur x@gmail.example" in page
    assert ticket.reference in page  # matched by its reply address, linked
    failed = login(_admin("en")).get("/admin/inbound?show=failed").get_data(as_text=True)
    assert "The message cannot be read (headers)." in failed
    ignored = login(_admin("en")).get("/admin/inbound?show=ignored")
    assert ignored.status_code == 200 and "No message here." in ignored.get_data(as_text=True)


def test_user_text_is_escaped(db, inbound, login):
    raw = samples.thunderbird(
        sender="x@gmail.example", to="desk@univ.example", subject="<script>alert(1)</script>"
    )
    drop(inbound, "1.eml", raw)
    fetch_mail()
    page = login(_admin()).get("/admin/inbound").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_only_admins_see_it_and_retry_needs_csrf(db, inbound, login, client):
    requester, tech, _stranger, ticket = people_and_ticket()
    drop(inbound, "1.eml", samples.gmail(sender="x@gmail.example", to=signed(ticket), subject="a"))
    fetch_mail()
    (row,) = ledger()
    for user in (requester, tech):
        assert login(user).get("/admin/inbound").status_code == 403
        assert (
            login(user)
            .submit(f"/admin/inbound/{row.id}/retry", page="/preferences/notifications")
            .status_code
            == 403
        )
    assert client.get("/admin/inbound").status_code == 302  # to the login page
    admin = login(_admin())
    admin.get("/admin/inbound")
    assert admin.post(f"/admin/inbound/{row.id}/retry", data={}).status_code == 400  # no CSRF
    assert admin.submit("/admin/inbound/999999/retry", page="/admin/inbound").status_code == 404
    assert admin.get("/admin/inbound/999999/original").status_code == 404
    assert ledger()[0].retried_at is None


def test_retry_after_the_account_exists_appends_the_reply(db, inbound, login):
    _requester, _tech, _stranger, ticket = people_and_ticket()
    raw = samples.gmail(sender="Paul.Durand@Umontpellier.fr", to=signed(ticket), subject="a")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    (row,) = ledger()
    admin = login(_admin("en"))
    original = admin.get(f"/admin/inbound/{row.id}/original")
    assert original.data == raw and "attachment" in original.headers["Content-Disposition"]
    # Still unknown: retried, held again, said so.
    response = admin.submit(f"/admin/inbound/{row.id}/retry", page="/admin/inbound")
    assert response.status_code == 302
    assert "still held" in admin.get("/admin/inbound").get_data(as_text=True)
    # The admin adds the technician to the queue... here, makes the sender the requester.
    paul = make_user(email="paul.durand@umontpellier.fr")
    ticket.requester_id = paul.id
    db.session.commit()
    admin.submit(f"/admin/inbound/{row.id}/retry", page="/admin/inbound")
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.body == "D'accord, je passe demain." and comment.actor_id == paul.id
    (row,) = ledger()
    assert row.status is InboundStatus.APPENDED and row.retried_at is not None
    # Appended: no retry any more (the list no longer offers it, the URL is not found).
    assert admin.submit(f"/admin/inbound/{row.id}/retry", page="/admin/inbound").status_code == 404
    assert len(events(ticket, EventKind.COMMENT)) == 1


def test_retry_of_a_poison_message_fails_again_with_its_reason(db, inbound, login):
    drop(inbound, "1.eml", b"\x00 garbage")
    fetch_mail()
    (row,) = ledger()
    admin = login(_admin("en"))
    admin.submit(f"/admin/inbound/{row.id}/retry", page="/admin/inbound?show=failed")
    page = admin.get("/admin/inbound?show=failed").get_data(as_text=True)
    assert "failed again: The message cannot be read (headers)." in page
    (row,) = ledger()
    assert row.status is InboundStatus.FAILED and row.reason is HoldReason.MALFORMED


def test_two_admins_retrying_at_once_append_the_reply_once(app, db, inbound, login):
    """Two admins press "retry" on one held reply at the same moment: the second request had
    read the row (still held) before the first appended it; its locked read must see that."""
    _requester, _tech, _stranger, ticket = people_and_ticket()
    raw = samples.gmail(sender="paul.durand@umontpellier.fr", to=signed(ticket), subject="a")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    (row,) = ledger()
    ticket.requester_id = make_user(email="paul.durand@umontpellier.fr").id
    first, second = _admin(), _admin()
    db.session.commit()
    row_id, second_id = row.id, second.id
    admin = login(first)
    with app.app_context():  # the second admin's request, as far as its view reads the row
        seen = database.session.get(InboundMessage, row_id)
        assert seen is not None and seen.status is InboundStatus.HELD
        assert (
            admin.submit(f"/admin/inbound/{row_id}/retry", page="/admin/inbound").status_code == 302
        )
        assert retry_message(row_id, actor=database.session.get(User, second_id)) is None
    assert len(events(ticket, EventKind.COMMENT)) == 1
    (row,) = ledger()
    assert row.status is InboundStatus.APPENDED
