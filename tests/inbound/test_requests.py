"""New requests by e-mail: a known user writing to a queue's address opens a ticket of that
queue's "e-mail request" entry, with its SLA and the acknowledgement; strangers are held."""

from __future__ import annotations

from sqlalchemy import select

from desk.auth.models import Role
from desk.catalog.services import catalogue
from desk.extensions import db
from desk.inbound.models import HoldReason, InboundStatus
from desk.inbound.services import fetch_mail
from desk.notifications.models import Notification, NotificationEvent
from desk.tickets.models import Ticket
from tests.inbound import samples
from tests.inbound.helpers import attachments, ledger
from tests.inbound.test_services import drop
from tests.sla.conftest import add_policy, workday  # noqa: F401 - the calendar fixture
from tests.support.factories import make_queue, make_request_type, make_user

ADDRESS = "support@univ.example"


def _queue_with_address(form_key: str = "email_request"):
    routed_elsewhere = make_queue()
    queue = make_queue(domain=routed_elsewhere.domain)
    queue.inbound_address = ADDRESS
    # The entry defaults to another queue of the domain: the address's queue wins.
    entry = make_request_type(form_key=form_key, queue=routed_elsewhere)
    return queue, entry


def _tickets() -> list[Ticket]:
    db.session.expire_all()
    return list(db.session.scalars(select(Ticket).order_by(Ticket.id)))


def test_known_user_writing_to_a_queue_opens_a_ticket_with_sla_and_acknowledgement(
    inbound,
    workday,  # noqa: F811 - the fixture
):
    queue, entry = _queue_with_address()
    add_policy(entry, workday, first=240, resolution=1080)
    user = make_user(email="claire.martin@umontpellier.fr")
    raw = samples.with_files(
        sender="Claire Martin <Claire.Martin@UMontpellier.fr>",
        to=f"Support <{ADDRESS.upper()}>",
        subject="Imprimante du 2e étage",
        words="L’imprimante affiche une erreur 50.2.",
    )
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"created": 1}
    (ticket,) = _tickets()
    assert ticket.queue_id == queue.id and ticket.request_type_id == entry.id
    assert ticket.requester_id == user.id and ticket.subject == "Imprimante du 2e étage"
    assert ticket.data == {"message": "L’imprimante affiche une erreur 50.2.", "address": ADDRESS}
    assert ticket.resolution_due_at is not None and ticket.first_response_due_at is not None
    acknowledgement = db.session.scalars(
        select(Notification).where(
            Notification.ticket_id == ticket.id, Notification.recipient_id == user.id
        )
    ).all()
    assert [n.event for n in acknowledgement] == [NotificationEvent.SUBMITTED]
    files = {a.filename: a for a in attachments(ticket)}
    assert set(files) == {
        "image-3.png",
        "devis.pdf",
        f"message-{ledger()[0].content_hash[:12]}.eml",
    }
    assert not files["devis.pdf"].is_internal and not files["image-3.png"].is_internal
    assert [a.is_internal for a in files.values() if a.filename.endswith(".eml")] == [True]
    (row,) = ledger()
    assert row.status is InboundStatus.APPENDED and row.ticket_id == ticket.id


def test_a_subject_s_invisible_characters_are_dropped_as_the_catalogue_drops_them(app_ctx, inbound):
    """A right-to-left override in a Subject would turn round what follows the subject on
    the same line of desk's own e-mails (the digest's "(queue; requester: …)", the
    acknowledgement's reference): the ticket's subject keeps the visible text only."""
    _queue_with_address()
    make_user(email="claire.martin@umontpellier.fr")
    raw = samples.gmail(
        sender="claire.martin@umontpellier.fr",
        to=ADDRESS,
        subject="Imprimante \u202egnp.exe\u202c \x1b[2J\u2066bloqu\u00e9e\u2069",
    )
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"created": 1}
    (ticket,) = _tickets()
    assert ticket.subject == "Imprimante gnp.exe [2Jbloquée"
    (row,) = db.session.scalars(select(Notification)).all()
    assert row.payload["ticket"]["subject"] == ticket.subject


def test_unknown_address_is_held_and_gets_no_answer(app_ctx, inbound):
    _queue_with_address()
    raw = samples.gmail(sender="someone@gmail.example", to=ADDRESS, subject="Bonjour")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    assert _tickets() == [] and db.session.query(Notification).count() == 0
    (row,) = ledger()
    assert row.reason is HoldReason.UNKNOWN_SENDER and row.data == {
        "sender": "someone@gmail.example"
    }


def test_inactive_account_is_held_too(app_ctx, inbound):
    _queue_with_address()
    make_user(email="parti@umontpellier.fr", is_active=False)
    drop(inbound, "1.eml", samples.gmail(sender="parti@umontpellier.fr", to=ADDRESS, subject="x"))
    assert fetch_mail().counts == {"held": 1}
    assert ledger()[0].reason is HoldReason.UNKNOWN_SENDER and _tickets() == []


def test_without_an_email_request_entry_the_message_is_held_for_the_admin(app_ctx, inbound):
    queue, _entry = _queue_with_address(form_key="generic")
    make_user(email="claire.martin@umontpellier.fr")
    raw = samples.gmail(sender="claire.martin@umontpellier.fr", to=ADDRESS, subject="x")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    (row,) = ledger()
    assert row.reason is HoldReason.NO_REQUEST_TYPE and row.data == {"queue": queue.code}


def test_a_reply_to_a_ticket_also_sent_to_the_queue_joins_the_ticket(app_ctx, inbound):
    from tests.inbound.helpers import events, people_and_ticket, signed

    _queue_with_address()
    requester, _tech, _stranger, ticket = people_and_ticket()
    raw = samples.gmail(sender=requester.email, to=f"{signed(ticket)}, {ADDRESS}", subject="x")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    assert len(_tickets()) == 1 and len(events(ticket)) == 2


def test_empty_message_with_only_a_reference_in_the_subject_is_held(app_ctx, inbound):
    _queue_with_address()
    make_user(email="claire.martin@umontpellier.fr")
    raw = samples.thunderbird(
        sender="claire.martin@umontpellier.fr", to=ADDRESS, subject="[DEM-2026-999999]", words=""
    )
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    assert ledger()[0].reason is HoldReason.EMPTY and _tickets() == []


def test_the_email_entry_is_not_offered_in_the_catalogue(app_ctx, login):
    _queue, entry = _queue_with_address()
    slugs = [e.slug for d in catalogue() for c in d.categories for e in c.entries]
    assert entry.slug not in slugs
    user = make_user()
    assert login(user).get(f"/catalogue/{entry.slug}").status_code == 404


def _queue_form(queue) -> dict[str, str]:
    """The admin's queue form as it stands, but for the address."""
    return {
        "code": queue.code,
        "name_fr": "File",
        "name_en": "Queue",
        "domain": str(queue.domain_id),
        "is_active": "y",
    }


def test_admin_sets_a_queue_address_unique_and_valid(app_ctx, login):
    queue = make_queue()
    other = make_queue(domain=queue.domain)
    admin = login(make_user(role=Role.ADMIN, locale="en"))
    form = _queue_form(queue)
    url = f"/admin/queues/{queue.id}"
    bad = admin.submit(url, {**form, "inbound_address": "pas une adresse"})
    assert bad.status_code == 400 and "Enter a valid e-mail address." in bad.get_data(as_text=True)
    assert admin.submit(url, {**form, "inbound_address": "Aide@Univ.example"}).status_code == 302
    db.session.refresh(queue)
    assert queue.inbound_address == "aide@univ.example"
    taken = admin.submit(
        f"/admin/queues/{other.id}",
        {**form, "code": other.code, "inbound_address": "aide@univ.example"},
    )
    assert taken.status_code == 400
    assert "Another queue already uses this address." in taken.get_data(as_text=True)


def test_admin_cannot_give_a_queue_desks_own_address(app, app_ctx, login, monkeypatch):
    # Mail to desk's reply address (or a plus address of it) or to its From is answers to its
    # e-mails: a queue with one would also open a new request from each.
    monkeypatch.setitem(app.config, "REPLY_ADDRESS", "desk@univ.example")
    monkeypatch.setitem(app.config, "MAIL_FROM", "Centre <centre@univ.example>")
    queue = make_queue()
    admin = login(make_user(role=Role.ADMIN, locale="en"))
    form = _queue_form(queue)
    url = f"/admin/queues/{queue.id}"
    owns = ("desk@univ.example", "Desk+DEM-2026-000001.abc@univ.example", "centre@univ.example")
    for own in owns:
        refused = admin.submit(url, {**form, "inbound_address": own})
        assert refused.status_code == 400
        assert "This is desk&#39;s own address" in refused.get_data(as_text=True)
        db.session.refresh(queue)
        assert queue.inbound_address is None
    assert admin.submit(url, {**form, "inbound_address": "aide@univ.example"}).status_code == 302


def test_a_request_without_a_subject_is_titled_in_its_own_language(app_ctx, inbound):
    """No subject of its own ("", "RE:", a reference alone): the entry's title, in the
    language of the ticket (declared by the mail program, else its requester's)."""
    _queue, entry = _queue_with_address()
    make_user(email="john.smith@umontpellier.fr", locale="en")
    make_user(email="claire.martin@umontpellier.fr", locale="fr")
    sent = [
        ("john.smith@umontpellier.fr", "", "My laptop does not start."),
        ("claire.martin@umontpellier.fr", "RE:", "Mon portable ne démarre plus."),
        ("claire.martin@umontpellier.fr", "[DEM-2026-999999]", "The printer is jammed."),
    ]
    for number, (sender, subject, words) in enumerate(sent):
        raw = samples.gmail(sender=sender, to=ADDRESS, subject=subject, words=words)
        if number == 2:  # Outlook declares the language the message is written in
            raw = b"Content-Language: en-GB\r\n" + raw
        drop(inbound, f"{number}.eml", raw)
    assert fetch_mail().counts == {"created": 3}
    assert [(t.subject, t.language) for t in _tickets()] == [
        (entry.title_en, "en"),
        (entry.title_fr, "fr"),
        (entry.title_en, "en"),
    ]
