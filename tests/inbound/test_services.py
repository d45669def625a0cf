"""Processing from a Maildir: matching, who may write, exactly once, robots, poison."""

from __future__ import annotations

import datetime as dt

from desk.core.db import utcnow
from desk.inbound.models import HoldReason, InboundStatus
from desk.inbound.services import fetch_mail
from desk.notifications.mailer import message_id
from desk.notifications.models import Notification, NotificationEvent
from desk.tickets.models import EventKind, Status
from tests.inbound import samples
from tests.inbound.helpers import attachments, events, ledger, people_and_ticket, signed


def drop(maildir, name: str, raw: bytes) -> None:
    (maildir / "new").mkdir(parents=True, exist_ok=True)
    (maildir / "new" / name).write_bytes(raw)


def subject_of(ticket) -> str:
    return f"[{ticket.reference}] Votre réponse est attendue : {ticket.subject}"


def test_requester_reply_to_signed_address_is_a_comment_and_resumes_work(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket("waiting_on_requester")
    raw = samples.outlook_fr(sender=requester.email, to=signed(ticket), subject=subject_of(ticket))
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.body == "Merci, cela fonctionne." and comment.actor_id == requester.id
    assert not comment.is_internal
    db.session.refresh(ticket)
    assert ticket.status is Status.IN_PROGRESS
    (original,) = attachments(ticket)
    assert original.is_internal and original.filename.endswith(".eml")
    assert original.content_type == "message/rfc822" and original.event_id == comment.id
    (row,) = ledger()
    assert row.status is InboundStatus.APPENDED and row.ticket_id == ticket.id
    assert (inbound / "processed" / "1.eml").exists() and not (inbound / "new" / "1.eml").exists()


def test_the_same_message_twice_is_appended_once(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    raw = samples.thunderbird(sender=requester.email, to=signed(ticket), subject=subject_of(ticket))
    drop(inbound, "a.eml", raw)
    drop(inbound, "b.eml", raw)  # a re-delivery
    assert fetch_mail().counts == {"appended": 1, "duplicate": 1}
    drop(inbound, "c.eml", raw)  # seen again after a crash before the move
    assert fetch_mail().counts == {"duplicate": 1}
    assert len(events(ticket, EventKind.COMMENT)) == 1 and len(ledger()) == 1
    assert sorted(p.name for p in (inbound / "processed").iterdir()) == ["a.eml", "b.eml", "c.eml"]


def test_technician_answer_by_in_reply_to_is_a_public_reply(db, inbound):
    _requester, tech, _stranger, ticket = people_and_ticket()
    notification = Notification(
        event=NotificationEvent.ASSIGNED,
        ticket_id=ticket.id,
        recipient_id=tech.id,
        channel="email",
        payload={},
        dedupe_key="t1",
    )
    db.session.add(notification)
    db.session.commit()
    in_reply_to = message_id(ticket.reference, notification.id)  # signed, sent to the tech
    raw = samples.gmail(
        sender=tech.email, to="desk@univ.example", subject="Re: X", in_reply_to=in_reply_to
    )
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    (reply,) = events(ticket, EventKind.REPLY)
    assert reply.body == "D'accord, je passe demain." and reply.actor_id == tech.id
    assert not reply.is_internal


def test_stranger_with_a_real_reply_address_is_held(db, inbound):
    _requester, _tech, stranger, ticket = people_and_ticket()
    raw = samples.thunderbird(sender=stranger.email, to=signed(ticket), subject=subject_of(ticket))
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    assert events(ticket, EventKind.COMMENT) == [] and events(ticket, EventKind.REPLY) == []
    (row,) = ledger()
    assert row.reason is HoldReason.NOT_PARTY and row.raw == raw


def test_bad_hmac_is_held(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    reference_part, _, rest = signed(ticket).partition(".")
    signature = rest.split("@")[0]
    wrong = "0" * 16 if signature != "0" * 16 else "1" * 16
    forged = f"{reference_part}.{wrong}@univ.example"
    raw = samples.thunderbird(sender=requester.email, to=forged, subject="Re: hello")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    assert ledger()[0].reason is HoldReason.BAD_SIGNATURE
    assert events(ticket, EventKind.COMMENT) == []


def test_forged_from_on_a_guessed_reference_is_held(db, inbound):
    _requester, _tech, stranger, ticket = people_and_ticket()
    guessed = f"<ticket-{ticket.reference}@{samples.DESK_HOST}>"  # the thread root, guessable
    raw = samples.thunderbird(
        sender=f"Marie Dupont <{stranger.email}>",
        to="desk@univ.example",
        subject=subject_of(ticket),
        in_reply_to=guessed,
    )
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    assert ledger()[0].reason is HoldReason.NO_TICKET
    assert events(ticket, EventKind.COMMENT) == []


def test_unknown_sender_on_a_signed_address_is_held(db, inbound):
    _requester, _tech, _stranger, ticket = people_and_ticket()
    raw = samples.thunderbird(sender="nobody@gmail.example", to=signed(ticket), subject="Re: x")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    assert ledger()[0].reason is HoldReason.UNKNOWN_SENDER


def test_subject_reference_from_the_requester_is_accepted(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    raw = samples.windows_1252(
        sender=requester.email, to="desk@univ.example", subject=subject_of(ticket)
    )
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.body == "Le problème persiste : l’écran reste noir… « urgent »"


def test_reply_to_a_resolved_ticket_reopens_it_within_the_window(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket(
        "resolved", resolved_at=utcnow() - dt.timedelta(days=1)
    )
    raw = samples.gmail(
        sender=requester.email, to=signed(ticket), subject="Re: x", words="Toujours en panne."
    )
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    db.session.refresh(ticket)
    assert ticket.status is Status.REOPENED
    assert any("Toujours en panne." in (e.body or "") for e in events(ticket))


def test_reply_to_a_closed_ticket_is_held_with_the_reason(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket("closed")
    raw = samples.gmail(sender=requester.email, to=signed(ticket), subject="Re: x")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    (row,) = ledger()
    assert row.reason is HoldReason.REFUSED and row.data["why"]["msgid"]
    assert row.ticket_id == ticket.id
    assert events(ticket, EventKind.COMMENT) == []


def test_out_of_office_adds_nothing_and_gets_no_answer(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket("waiting_on_requester")
    raw = samples.exchange_out_of_office(sender=requester.email, to=signed(ticket), subject="x")
    drop(inbound, "1.eml", raw)
    before = db.session.query(Notification).count()
    assert fetch_mail().counts == {"ignored": 1}
    assert ledger()[0].reason is HoldReason.AUTO_REPLY
    db.session.refresh(ticket)
    assert ticket.status is Status.WAITING_ON_REQUESTER
    assert db.session.query(Notification).count() == before
    assert len(events(ticket)) == 1  # only its creation


def test_poison_message_goes_to_failed_and_the_poll_goes_on(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    drop(inbound, "0-poison.eml", b"\x00\x01\x02 garbage")
    raw = samples.thunderbird(sender=requester.email, to=signed(ticket), subject="Re: x")
    drop(inbound, "1-good.eml", raw)
    counts = fetch_mail().counts
    assert counts == {"failed": 1, "appended": 1}
    assert (inbound / "failed" / "0-poison.eml").exists()
    assert "malformed" in (inbound / "failed" / "0-poison.eml.reason.txt").read_text()
    failed = [r for r in ledger() if r.status is InboundStatus.FAILED]
    assert len(failed) == 1 and failed[0].reason is HoldReason.MALFORMED
    assert failed[0].data == {"what": "headers"}
    assert len(events(ticket, EventKind.COMMENT)) == 1


def test_empty_reply_is_held(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    raw = samples.thunderbird(sender=requester.email, to=signed(ticket), subject="Re: x", words="")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    assert ledger()[0].reason is HoldReason.EMPTY


def test_the_kept_original_is_for_staff_only(db, inbound, login):
    requester, tech, _stranger, ticket = people_and_ticket()
    raw = samples.thunderbird(sender=requester.email, to=signed(ticket), subject="Re: x")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    (original,) = attachments(ticket)
    url = f"/attachments/{original.id}"
    assert login(requester).get(url).status_code == 404
    response = login(tech).get(url)
    assert response.status_code == 200 and response.data == raw


def test_a_source_dropping_mid_poll_keeps_what_was_done_and_the_other_sources_run(
    app, db, inbound, monkeypatch
):
    from desk.inbound import services
    from desk.inbound.sources import MaildirSource, Waiting

    requester, _tech, _stranger, ticket = people_and_ticket()
    first = samples.thunderbird(sender=requester.email, to=signed(ticket), subject="a")
    drop(inbound, "1.eml", samples.gmail(sender=requester.email, to=signed(ticket), subject="b"))

    class Dropping:
        name = "imap"
        moved: list[str] = []

        def pending(self):
            yield Waiting("1", first, len(first))
            raise ConnectionResetError("server went away")

        def done(self, key):
            self.moved.append(key)

        def failed(self, key, reason):
            raise AssertionError("nothing failed")

        def close(self):
            pass

    maildir = MaildirSource(str(inbound), max_bytes=10**6)
    monkeypatch.setattr(services, "configured_sources", lambda config: [Dropping, lambda: maildir])
    assert fetch_mail().counts == {"appended": 2, "source_error": 1}
    assert Dropping.moved == ["1"] and len(events(ticket, EventKind.COMMENT)) == 2


def test_a_second_poller_taking_the_files_stops_neither_poll(app, db, inbound):
    """`flask desk fetch-mail` while the worker polls (only the worker's polls share a lock):
    the files the other poll moved after this one listed them are skipped, a file it moved
    first is not one "left in the mailbox", and each reply is appended once."""
    from desk.inbound.sources import MaildirSource

    requester, _tech, _stranger, ticket = people_and_ticket()
    for number in range(3):
        words = f"Réponse numéro {number}."
        raw = samples.gmail(sender=requester.email, to=signed(ticket), subject="a", words=words)
        drop(inbound, f"{number}.eml", raw)
    source = MaildirSource(str(inbound), max_bytes=10**6)
    waiting = source.pending()
    first = next(waiting)  # this poll has listed the folder and read the first file...
    with app.app_context():  # ...when the other poll reads and moves all three
        assert fetch_mail().counts == {"appended": 3}
    # The other two went meanwhile: skipped (a FileNotFoundError here stopped the poll, its
    # source marked failing); the first's move finds it done (no "left in the mailbox").
    assert list(waiting) == []
    source.done(first.key)
    source.failed(first.key, "unused")
    assert len(events(ticket, EventKind.COMMENT)) == 3
    assert sorted(p.name for p in (inbound / "processed").iterdir()) == [
        "0.eml",
        "1.eml",
        "2.eml",
    ]
    assert not list((inbound / "failed").iterdir())
