"""Delivery to a real SMTP server: content, language, threading, retries, failures."""

from __future__ import annotations

import datetime as dt

import jinja2

from desk.auth.models import Role
from desk.notifications import delivery
from desk.notifications.models import Channel, DeliveryStatus, NotificationEvent
from desk.tickets.history import apply_status
from desk.tickets.models import EventKind, Status
from desk.tickets.workflow import Actor
from tests.notifications.helpers import assign, deliver_all, rows, submit, write
from tests.support.factories import make_queue, make_user

E = NotificationEvent
S = DeliveryStatus


def _bodies(message) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def test_acknowledgement_is_a_french_multipart_mail_with_reference_and_link(db, smtp, app):
    requester = make_user(email="alice@umontpellier.fr", name="Alice Martin")
    ticket = submit(requester, subject="Wi-Fi du bâtiment 16")
    assert deliver_all() == ["sent"]
    (message,) = smtp.messages
    assert message["To"] == "alice@umontpellier.fr"
    assert message["Subject"] == (
        f"[{ticket.reference}] Demande enregistrée : Wi-Fi du bâtiment 16"
    )
    text, html = _bodies(message)
    assert "Bonjour Alice Martin," in text
    assert ticket.reference in text
    link = f"{app.config['BASE_URL']}/mes-demandes/{ticket.reference}"
    assert link in text and f'href="{link}"' in html
    (row,) = rows(Channel.EMAIL)
    assert row.status is S.SENT and row.sent_at is not None and row.attempts == 1


def test_english_recipient_gets_english(db, smtp):
    requester = make_user(locale="en", name="Bob")
    ticket = submit(requester, subject="Printer")
    deliver_all()
    (message,) = smtp.messages
    assert message["Subject"] == f"[{ticket.reference}] Request received: Printer"
    assert "Hello Bob," in _bodies(message)[0]


def test_mails_of_one_ticket_are_threaded(db, smtp):
    queue = make_queue()
    requester = make_user()
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    ticket = submit(requester, queue=queue)
    assign(ticket, tech, actor=tech)
    write(ticket, tech, EventKind.REPLY, "Bonjour, c'est réglé ?")
    db.session.commit()
    deliver_all()
    first, second = smtp.to(requester.email)
    root = f"<ticket-{ticket.reference}@127.0.0.1>"
    for message in (first, second):
        assert message["In-Reply-To"] == root and message["References"] == root
        assert message["Message-ID"].startswith(f"<ticket-{ticket.reference}.notif-")
        assert message["Auto-Submitted"] == "auto-generated"
    assert first["Message-ID"] != second["Message-ID"]
    assert "Bonjour, c'est réglé ?" in _bodies(second)[0]
    assert "&#39;" in _bodies(second)[1] or "&#x27;" in _bodies(second)[1]  # escaped in HTML


def test_user_text_is_escaped_in_html(db, smtp):
    queue = make_queue()
    requester = make_user()
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    ticket = submit(requester, queue=queue, subject="<b>gras</b>")
    write(ticket, tech, EventKind.REPLY, "<script>alert(1)</script>")
    db.session.commit()
    deliver_all()
    html = _bodies(smtp.messages[-1])[1]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>gras</b>" not in html


def test_resolved_mail_carries_the_reopen_link(db, smtp, app):
    queue = make_queue()
    requester = make_user()
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    ticket = submit(requester, queue=queue)
    assign(ticket, tech, actor=tech)
    apply_status(ticket, Status.RESOLVED, tech, Actor.STAFF)
    db.session.commit()
    deliver_all()
    message = smtp.to(requester.email)[-1]
    assert "résolue" in message["Subject"]
    assert f"/mes-demandes/{ticket.reference}#reopen" in _bodies(message)[0]
    # The new ticket only: the technician assigned and resolved it themselves.
    assert [m["Subject"] for m in smtp.to(tech.email)] == [
        f"[{ticket.reference}] Nouveau ticket dans votre file : Imprimante"
    ]


def test_a_second_delivery_of_the_same_row_sends_nothing(db, smtp):
    submit(make_user())
    (row,) = rows(Channel.EMAIL)
    assert delivery.deliver(row.id).status == "sent"
    assert delivery.deliver(row.id).status == "skipped"
    assert len(smtp.messages) == 1


def test_temporary_refusal_is_retried_with_backoff_then_sent(db, smtp, app):
    submit(make_user())
    (row,) = rows(Channel.EMAIL)
    smtp.refuse_next = 2
    first = delivery.deliver(row.id)
    assert first.status == "retry"
    (row,) = rows(Channel.EMAIL)
    assert row.status is S.PENDING and "451" in row.last_error
    base = app.config["NOTIFY_RETRY_BASE_SECONDS"]
    assert dt.timedelta(seconds=base - 5) < row.next_attempt_at - row.claimed_at
    assert delivery.deliver(row.id).status == "skipped"  # not due yet
    second = delivery.deliver(row.id, now=first.retry_at)
    assert second.status == "retry"
    assert second.retry_at - first.retry_at > dt.timedelta(seconds=base * 2 - 5)  # doubled
    assert delivery.deliver(row.id, now=second.retry_at).status == "sent"
    assert len(smtp.messages) == 1 and smtp.refused == 2


def test_gives_up_after_max_attempts(db, smtp, app, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_MAX_ATTEMPTS", 2)
    submit(make_user())
    (row,) = rows(Channel.EMAIL)
    smtp.refuse_next = 5
    retry = delivery.deliver(row.id)
    assert delivery.deliver(row.id, now=retry.retry_at).status == "failed"
    (row,) = rows(Channel.EMAIL)
    assert row.status is S.FAILED and row.attempts == 2 and "451" in row.last_error


def test_unreachable_server_is_a_temporary_failure(db, app, monkeypatch):
    from tests.notifications.conftest import free_port

    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nobody listens there
    submit(make_user())
    (row,) = rows(Channel.EMAIL)
    assert delivery.deliver(row.id).status == "retry"
    assert "connection" in rows(Channel.EMAIL)[0].last_error.lower()


def test_bad_input_fails_its_row_only(db, smtp, app, monkeypatch):
    """5xx, an invalid address and a broken template: failed with the reason, others go on."""
    queue = make_queue()
    refused = make_user(email="parti@umontpellier.fr")
    smtp.reject.add("parti@umontpellier.fr")
    invalid = make_user(email="pas-une-adresse")
    fine = make_user(email="ok@umontpellier.fr")
    tickets = [submit(u, queue=queue) for u in (refused, invalid, fine)]
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))  # joins after the new tickets
    # A template that raises while rendering, for the "resolved" mail only.
    broken = jinja2.DictLoader({"emails/resolved.txt": "{{ 1 // 0 }}"})
    monkeypatch.setattr(
        app.jinja_env, "loader", jinja2.ChoiceLoader([broken, app.jinja_env.loader])
    )
    app.jinja_env.cache.clear()
    # The e-mails' environments (one per language) took the loader when built: new ones.
    monkeypatch.setitem(app.extensions, "desk.email_languages", {})
    assign(tickets[2], tech, actor=tech)
    apply_status(tickets[2], Status.RESOLVED, tech, Actor.STAFF)
    db.session.commit()
    outcomes = deliver_all()
    app.jinja_env.cache.clear()
    assert sorted(outcomes) == ["failed", "failed", "failed", "sent"]
    reasons = {
        r.recipient_id: (r.event, r.last_error) for r in rows(Channel.EMAIL, status=S.FAILED)
    }
    assert "550" in reasons[refused.id][1]
    assert "invalid recipient address" in reasons[invalid.id][1]
    assert reasons[fine.id][0] is E.RESOLVED and "template error" in reasons[fine.id][1]
    assert [m["To"] for m in smtp.messages] == ["ok@umontpellier.fr"]
    assert all(t.status in (Status.NEW, Status.RESOLVED) for t in tickets)  # nothing undone
    db.session.refresh(tickets[2])
    assert tickets[2].status is Status.RESOLVED


def test_a_task_claims_its_rows_in_one_statement_and_sends_each_once(db, smtp):
    from sqlalchemy import event

    from desk.notifications import ledger

    first, second = submit(make_user()), submit(make_user())
    ids = [r.id for r in rows(Channel.EMAIL)]
    assert len(ids) == 2
    claims: list[str] = []

    def count(conn, cursor, statement, *args):
        if "claimed_at" in statement:
            claims.append(statement)

    event.listen(ledger.engine(), "before_cursor_execute", count)
    try:
        # an id given twice (two publishes in one task) is sent once
        outcomes = delivery.deliver_many([ids[0], ids[1], ids[0]])
    finally:
        event.remove(ledger.engine(), "before_cursor_execute", count)
    assert [o.status for o in outcomes] == ["sent", "sent", "skipped"]
    assert len(claims) == 1
    assert sorted(m["To"] for m in smtp.messages) == sorted(
        [first.requester.email, second.requester.email]
    )
    # a redelivered task finds nothing left to send
    assert [o.status for o in delivery.deliver_many(ids)] == ["skipped", "skipped"]
    assert len(smtp.messages) == 2


def test_a_row_that_cannot_be_recorded_leaves_the_others_sent_then_fails_the_task(
    db, smtp, monkeypatch
):
    from sqlalchemy.exc import OperationalError

    from desk.notifications import tasks

    submit(make_user()), submit(make_user())
    broken, fine = (r.id for r in rows(Channel.EMAIL))
    real = delivery._handed_over

    def handed_over(notification_id: int, attempts: int) -> None:
        if notification_id == broken:
            raise OperationalError("UPDATE", {}, Exception("server closed the connection"))
        real(notification_id, attempts)

    monkeypatch.setattr(delivery, "_handed_over", handed_over)
    try:
        tasks.deliver(broken, fine)
    except OperationalError:
        pass
    else:
        raise AssertionError("the task must fail so that Celery logs it")
    by_id = {r.id: r for r in rows(Channel.EMAIL)}
    # the broken row was never handed over: left 'sending' for the sweep to send again
    assert by_id[broken].status is S.SENDING and by_id[broken].data_at is None
    assert by_id[fine].status is S.SENT
    assert len(smtp.messages) == 1


def test_a_refused_e_mail_shows_in_the_retrying_gauges(db, smtp, app, client, monkeypatch):
    # The relay refuses: the row waits for a retry due later, which the "oldest due" gauge
    # cannot see; the operator's alert reads desk_outbox_retrying instead.
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "t0ken-for-this-test")
    submit(make_user())
    (row,) = rows(Channel.EMAIL)
    smtp.refuse_next = 1
    assert delivery.deliver(row.id).status == "retry"
    auth = {"Authorization": "Bearer t0ken-for-this-test"}
    text = client.get("/metrics", headers=auth).text
    assert "\ndesk_outbox_retrying 1.0\n" in text
    assert "\ndesk_outbox_oldest_pending_age_seconds 0.0\n" in text
