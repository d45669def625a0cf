"""The bell, the list, mark as read, e-mail preferences, and the admins' failed e-mails."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from desk.auth.models import Role
from desk.notifications.models import (
    Channel,
    DeliveryStatus,
    NotificationEvent,
    NotificationPreference,
)
from desk.notifications.services import unread_count
from desk.tickets.models import EventKind
from tests.notifications.helpers import assign, rows, submit, write
from tests.support.factories import make_queue, make_user
from tests.support.sql import statements_sent

E = NotificationEvent
BELL = re.compile(r'class="bell-count" data-unread="(\d+)"')


def _bell(response) -> int:
    match = BELL.search(response.text)
    return int(match.group(1)) if match else 0


def _setup():
    queue = make_queue()
    requester = make_user()
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    ticket = submit(requester, queue=queue, subject="Écran noir")
    return queue, requester, tech, ticket


def test_bell_counts_unread_and_the_list_marks_them_read(db, login):
    _queue, requester, tech, ticket = _setup()
    assign(ticket, tech, actor=tech)
    write(ticket, tech, EventKind.REPLY, "Redémarrez")
    db.session.commit()
    write(ticket, tech, EventKind.REPLY, "Et maintenant ?")
    db.session.commit()
    browser = login(requester)
    home = browser.get("/home")
    # Two replies; the acknowledgement of their own submission is not counted.
    assert _bell(home) == 2 and "Notifications : 2 non lue(s)" in home.text
    page = browser.get("/notifications")
    assert "Demande enregistrée" not in page.text
    assert "Nouvelle réponse du centre de services" in page.text
    assert ticket.reference in page.text
    # Unread, not "Nouveau": the ticket status of that name is on the same pages.
    assert page.text.count('<span class="badge">Non lue</span>') == 2
    first = rows(Channel.INAPP, recipient_id=requester.id)[0]
    response = browser.submit(
        f"/notifications/{first.id}/read",
        {"next": f"/mes-demandes/{ticket.reference}"},
        page="/notifications",
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/mes-demandes/{ticket.reference}")
    assert _bell(browser.get("/home")) == 1
    browser.submit("/notifications/read-all", page="/notifications")
    assert _bell(browser.get("/home")) == 0
    assert unread_count(requester) == 0


def _answered():
    """_setup, plus a reply: the requester has one bell entry."""
    from desk.extensions import db

    queue, requester, tech, ticket = _setup()
    write(ticket, tech, EventKind.REPLY, "Redémarrez")
    db.session.commit()
    return queue, requester, tech, ticket


def test_one_cannot_mark_someone_elses_notification(db, login):
    _queue, requester, tech, _ticket = _answered()
    (theirs,) = rows(Channel.INAPP, recipient_id=requester.id)
    login(tech).submit(f"/notifications/{theirs.id}/read", {"next": "/home"}, page="/notifications")
    assert rows(Channel.INAPP, recipient_id=requester.id)[0].read_at is None


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "/\\evil.example/x", "https://evil.example/", "/\t/evil"]
)
def test_open_redirect_is_refused(db, login, target):
    # A backslash is a slash to browsers: "/\\evil.example" leaves the site like "//".
    _queue, requester, _tech, _ticket = _answered()
    (row,) = rows(Channel.INAPP, recipient_id=requester.id)
    response = login(requester).submit(
        f"/notifications/{row.id}/read", {"next": target}, page="/notifications"
    )
    assert response.headers["Location"].endswith("/notifications")


def test_mark_read_without_csrf_is_refused(db, login):
    _queue, requester, _tech, _ticket = _answered()
    (row,) = rows(Channel.INAPP, recipient_id=requester.id)
    response = login(requester).post(f"/notifications/{row.id}/read", data={})
    assert response.status_code == 400
    assert rows(Channel.INAPP, recipient_id=requester.id)[0].read_at is None


def test_pages_need_a_login(client):
    for url in ("/notifications", "/preferences/notifications", "/admin/notifications"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_preferences_switch_optional_emails_but_not_mandatory_ones(db, login):
    queue = make_queue()
    requester = make_user()
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    browser = login(requester)
    page = browser.get("/preferences/notifications")
    assert page.status_code == 200
    assert re.search(r'value="submitted"[^>]*checked[^>]*disabled', page.text)
    assert re.search(r'value="waiting"[^>]*checked[^>]*disabled', page.text)
    assert 'value="assigned"' not in page.text  # staff-only switches are not shown
    # Untick everything, and forge the mandatory ones off too (they are simply absent).
    response = browser.submit("/preferences/notifications", {"email": ["bogus"]})
    assert response.status_code == 302
    stored = {p.event: p.email_enabled for p in db.session.query(NotificationPreference)}
    assert stored[E.REPLIED] is False and E.SUBMITTED not in stored and E.WAITING not in stored
    ticket = submit(requester, queue=queue)
    write(ticket, tech, EventKind.REPLY, "Une réponse")
    db.session.commit()
    emails = [r.event for r in rows(Channel.EMAIL, recipient_id=requester.id)]
    assert emails == [E.SUBMITTED]  # the reply is not mailed, the acknowledgement is
    assert [r.event for r in rows(Channel.INAPP, recipient_id=requester.id)] == [
        E.REPLIED,
    ]  # in-app stays


def test_saving_the_page_keeps_what_it_does_not_show(db, login):
    """The page has no switch for new tickets (their radio choice says it) nor, for a
    requester, for the staff's events: saving it leaves those as they were, so a technician
    who turned SLA warnings off still gets each new ticket by e-mail as chosen, and a
    requester made technician later gets the staff's e-mails."""
    queue = make_queue()
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    browser = login(tech)
    switches = re.findall(
        r'name="email" value="(\w+)"[^>]*checked', browser.get("/preferences/notifications").text
    )
    kept = [s for s in switches if s != "sla_warning"]
    response = browser.submit(
        "/preferences/notifications", {"email": kept, "new_ticket_mode": "each"}
    )
    assert response.status_code == 302
    submit(make_user(), queue=queue)
    assert [r.event for r in rows(Channel.EMAIL, recipient_id=tech.id)] == [E.NEW_TICKET]
    requester = make_user()
    login(requester).submit("/preferences/notifications", {"email": ["replied"]})
    stored = {
        p.event
        for p in db.session.query(NotificationPreference).filter_by(
            user_id=requester.id, email_enabled=False
        )
    }
    assert stored == {E.FOLLOWED_MESSAGE, E.RESOLVED, E.CLOSED, E.WATCHER_ADDED}


def test_preferences_turned_back_on(db, login):
    requester = make_user()
    browser = login(requester)
    browser.submit("/preferences/notifications", {"email": []})
    browser.submit("/preferences/notifications", {"email": ["replied", "resolved"]})
    page = browser.get("/preferences/notifications")
    assert re.search(r'value="replied"[^>]*checked', page.text)
    assert not re.search(r'value="closed"[^>]*checked', page.text)


def test_preferences_without_csrf_change_nothing(db, login):
    browser = login(make_user())
    assert browser.post("/preferences/notifications", data={}).status_code == 400
    assert db.session.query(NotificationPreference).count() == 0


def test_staff_see_their_switches(db, login):
    page = login(make_user(role=Role.TECHNICIAN)).get("/preferences/notifications")
    assert 'value="sla_warning"' in page.text and 'value="assigned"' in page.text


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.TECHNICIAN])
def test_failed_list_is_for_admins_only(db, login, role):
    assert login(make_user(role=role)).get("/admin/notifications").status_code == 403


def test_admin_sees_failed_mails_and_retries_them(db, login, smtp):
    from tests.notifications.helpers import deliver_all

    invalid = make_user(email="pas-une-adresse")
    submit(invalid)
    assert deliver_all() == ["failed"]
    admin = login(make_user(role=Role.ADMIN))
    page = admin.get("/admin/notifications")
    assert "pas-une-adresse" in page.text and "invalid recipient address" in page.text
    (row,) = rows(Channel.EMAIL)
    invalid.email = "corrige@umontpellier.fr"  # the admin fixes the account... and retries
    db.session.commit()
    response = admin.submit(f"/admin/notifications/{row.id}/retry", page="/admin/notifications")
    assert response.status_code == 302
    (row,) = rows(Channel.EMAIL)
    assert row.status is DeliveryStatus.PENDING and row.attempts == 0
    assert row.payload["to"] == "corrige@umontpellier.fr"
    assert deliver_all() == ["sent"] and smtp.messages[0]["To"] == "corrige@umontpellier.fr"
    assert (
        admin.submit("/admin/notifications/999999/retry", page="/admin/notifications").status_code
        == 404
    )


def test_bell_count_is_one_indexed_query(db):
    """The COUNT behind the bell is answered from the partial index alone (PostgreSQL)."""
    from sqlalchemy import func, select, text

    from desk.notifications.models import Notification
    from desk.notifications.services import _inbox

    if db.engine.dialect.name != "postgresql":
        pytest.skip("query plans checked on PostgreSQL")
    user = make_user()
    for i in range(60):  # a user's bell: mostly read, some not
        db.session.add(
            Notification(
                event=NotificationEvent.ASSIGNED,
                recipient_id=user.id,
                channel=Channel.INAPP,
                dedupe_key=f"bell-{i}",
                read_at=None if i % 4 else dt.datetime.now(dt.UTC),
            )
        )
    db.session.commit()
    db.session.execute(text("ANALYZE notification"))
    query = (
        select(func.count())
        .select_from(Notification)
        .where(_inbox(user), Notification.read_at.is_(None))
    )
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(db.session.scalars(text(f"EXPLAIN {sql}")))
    assert "Index Only Scan using ix_notification_inbox on" in plan, plan


# -- the bell's count, read with the signed-in user ---------------------------------------


def _statements_during(app, action):
    from desk.extensions import db as ext

    with statements_sent(ext.engine) as seen:
        result = action()
    return result, seen


def test_a_page_reads_the_bell_with_the_user_and_a_write_in_the_request_reads_it_again(app, db):
    from desk.auth.sessions import load_session_user, session_id

    _queue, requester, tech, ticket = _answered()
    cookie = session_id(requester)
    with app.test_request_context("/home", method="GET"):
        user, loading = _statements_during(app, lambda: load_session_user(cookie))
        assert len(loading) == 1 and "count(" in loading[0].lower()
        count, more = _statements_during(app, lambda: unread_count(user))
        assert count == 1 and more == []  # no statement of its own
        # A reply written and committed in this request notifies the requester (the outbox
        # writes at the commit): the count read with the user is stale, so the bell counts
        # again.
        write(ticket, tech, EventKind.REPLY, "Encore une question")
        db.session.commit()
        assert unread_count(user) == 2
    with app.test_request_context("/notifications/read-all", method="POST"):
        user = load_session_user(cookie)
        assert unread_count(user) == 2  # a POST reads the user alone, the bell by itself
        from desk.notifications.services import mark_read

        mark_read(user)
        assert unread_count(user) == 0
    with app.test_request_context("/home", method="GET"):
        user = load_session_user(cookie)
        count, more = _statements_during(app, lambda: unread_count(user))
        assert count == 0 and more == []
        # Someone else's count is never answered from the signed-in user's row.
        theirs = [n for n in rows(Channel.INAPP, recipient_id=tech.id) if n.read_at is None]
        assert len(theirs) >= 1 and unread_count(tech) == len(theirs)


def test_reading_a_ticket_s_page_reads_its_bell_entries(app, db, login):
    """A technician who takes a ticket from the queue's list, or opens it from an e-mail,
    has seen it: its bell entries no longer count, and only the others' do."""
    from desk.extensions import db as ext

    queue = make_queue()
    requester = make_user()
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    first = submit(requester, queue=queue, subject="Écran noir")
    second = submit(requester, queue=queue, subject="Clavier")
    staff = login(tech)
    assert _bell(staff.get("/queues")) == 2
    assert _bell(staff.get(f"/tickets/{first.reference}")) == 1  # its own bell knows already
    unread = [n.ticket_id for n in rows(Channel.INAPP, recipient_id=tech.id) if not n.read_at]
    assert unread == [second.id]
    # The requester reads the answer on their request's page.
    assign(first, tech, actor=tech)
    write(first, tech, EventKind.REPLY, "Redémarrez")
    db.session.commit()
    claire = login(requester)
    assert _bell(claire.get("/mes-demandes")) == 1
    assert _bell(claire.get(f"/mes-demandes/{first.reference}")) == 0
    assert unread_count(requester) == 0
    # Nothing unread: a page costs no write.
    with statements_sent(ext.engine) as seen:
        assert claire.get(f"/mes-demandes/{first.reference}").status_code == 200
    assert not [s for s in seen if s.lstrip().upper().startswith("UPDATE")]
