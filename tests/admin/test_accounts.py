"""Account administration: list/search/paging, create, role, queues, (de)activation; bad
input answered next to the field with nothing saved; non-admins refused; changes logged."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from desk.admin import accounts as accounts_module
from desk.auth.models import Role, User
from desk.extensions import db
from desk.notifications.content import render_email
from desk.notifications.models import Channel, NotificationEvent
from desk.reference.models import QueueMembership
from desk.tickets.models import Ticket, TicketEvent
from tests.catalog.world import field_errors
from tests.notifications.helpers import rows
from tests.support.factories import make_queue, make_ticket, make_user


@pytest.fixture
def admin_user(app_ctx):
    return make_user("admin@umontpellier.fr", role=Role.ADMIN, name="Admin Desk")


@pytest.fixture
def admin(admin_user, login):
    return login(admin_user)


def _user(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


URLS = [
    ("get", "/admin/accounts"),
    ("get", "/admin/accounts/new"),
    ("post", "/admin/accounts/new"),
    ("get", "/admin/accounts/{id}"),
    ("post", "/admin/accounts/{id}"),
    ("post", "/admin/accounts/{id}/deactivate"),
    ("post", "/admin/accounts/{id}/reactivate"),
]


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.TECHNICIAN])
@pytest.mark.parametrize(("method", "url"), URLS)
def test_non_admins_are_refused(app_ctx, login, role, method, url):
    target = make_user("cible@umontpellier.fr")
    client = login(make_user(role=role))
    client.get("/home")
    response = getattr(client, method)(
        url.format(id=target.id), data={"csrf_token": client.last_csrf or ""}
    )
    assert response.status_code == 403
    assert _user("cible@umontpellier.fr").is_active_account


@pytest.mark.parametrize(("method", "url"), URLS)
def test_anonymous_goes_to_login(client, app_ctx, method, url):
    response = getattr(client, method)(url.format(id=1))
    if method == "post":  # no session, so no CSRF token: refused before the view
        assert response.status_code in (302, 400)
    else:
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_list_search_and_pages(admin, monkeypatch):
    make_user("claire.martin@umontpellier.fr", name="Claire Martin")
    make_user("leo.petit@etu.umontpellier.fr", name="Léo Petit")
    make_user("x_y@umontpellier.fr", name="Under Score")
    page = admin.get("/admin/accounts").text
    assert "claire.martin@umontpellier.fr" in page and "leo.petit" in page
    found = admin.get("/admin/accounts?q=Petit").text
    assert "leo.petit" in found and "claire.martin" not in found
    # % and _ are searched literally, not as wildcards; NUL and huge input are no 5xx.
    literal = admin.get("/admin/accounts?q=_").text
    assert "x_y@umontpellier.fr" in literal and "claire.martin" not in literal
    assert admin.get("/admin/accounts?q=%25").status_code == 200
    assert admin.get("/admin/accounts?q=a%00b").status_code in (200, 400)  # NUL: refused app-wide
    assert admin.get("/admin/accounts?q=" + "a" * 100_000).status_code == 200
    monkeypatch.setattr(accounts_module, "PER_PAGE", 2)
    first = admin.get("/admin/accounts").text
    assert "Page suivante" in first
    after = "claire.martin@umontpellier.fr"
    second = admin.get(f"/admin/accounts?after={after}").text
    assert "leo.petit" in second and "claire.martin@" not in second


def test_create_an_account(admin, caplog):
    caplog.set_level(logging.INFO, logger="desk.admin.accounts")
    response = admin.submit(
        "/admin/accounts/new",
        {
            "email": "Nouveau.Tech@umontpellier.fr",
            "display_name": "Nouveau Tech",
            "role": "technician",
            "is_staff": "y",
            "password": "un-mot-de-passe",
        },
    )
    assert response.status_code == 302
    user = _user("nouveau.tech@umontpellier.fr")
    assert user.role is Role.TECHNICIAN and user.check_password("un-mot-de-passe")
    (record,) = [r for r in caplog.records if getattr(r, "action", None) == "created"]
    assert record.user_id == user.id and record.actor_id is not None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": ""}, "Saisissez une adresse e-mail."),
        ({"email": "pas-une-adresse"}, "Saisissez une adresse e-mail valide."),
        ({"email": "admin@umontpellier.fr"}, "Un compte avec cette adresse existe déjà."),
        ({"display_name": ""}, "Saisissez le nom de la personne."),
        ({"role": "superuser"}, "Choisissez une valeur de la liste."),
        ({"password": "court"}, "Entre 8 et 200 caractères."),
    ],
)
def test_create_refuses_bad_input(admin, overrides, message):
    data = {
        "email": "x@umontpellier.fr",
        "display_name": "X",
        "role": "requester",
        "password": "un-mot-de-passe",
        **overrides,
    }
    before = db.session.scalar(select(db.func.count()).select_from(User))
    response = admin.submit("/admin/accounts/new", data)
    assert response.status_code == 400
    assert message in response.text and 'aria-invalid="true"' in response.text
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count()).select_from(User)) == before


def test_a_taken_address_is_told_with_the_other_mistakes(admin):
    """One round: the taken address (in other capitals) and the short password together."""
    response = admin.submit(
        "/admin/accounts/new",
        {
            "email": "ADMIN@umontpellier.fr",
            "display_name": "X",
            "role": "requester",
            "password": "abc",
        },
    )
    assert response.status_code == 400
    assert field_errors(response.text, "email") == ["Un compte avec cette adresse existe déjà."]
    assert field_errors(response.text, "password") == ["Entre 8 et 200 caractères."]


def test_change_role_and_queues(admin):
    network, mail = make_queue(code="reseau"), make_queue(code="messagerie")
    user = make_user("t@umontpellier.fr")
    url = f"/admin/accounts/{user.id}"
    response = admin.submit(
        url,
        {
            "display_name": "Tech",
            "role": "technician",
            "is_staff": "y",
            "queue": [str(network.id), str(mail.id)],
            "lead": [str(network.id)],
        },
    )
    assert response.status_code == 302
    user = _user("t@umontpellier.fr")
    assert user.role is Role.TECHNICIAN
    assert {(m.queue.code, m.is_lead) for m in user.memberships} == {
        ("reseau", True),
        ("messagerie", False),
    }
    # Back to requester: no queue kept.
    admin.submit(url, {"display_name": "Tech", "role": "requester", "queue": [str(network.id)]})
    assert _user("t@umontpellier.fr").memberships == []


def test_a_requester_made_technician_gets_the_staff_s_e_mails(admin):
    """Saving the notification page as a requester before 0f92c43 stored every staff event as
    'no e-mail'; made technician here, the person heard of nothing they were given. A
    promotion now starts from the staff's defaults, their choices about their own requests
    kept; a technician's role change keeps theirs."""
    from desk.notifications.services import email_preferences
    from tests.support.promotion import (
        assert_staff_defaults_and_own_choices,
        requester_saved_every_e_mail_off,
        technician_turns_sla_warnings_off,
    )

    network = make_queue(code="reseau")
    user = make_user("t@umontpellier.fr")
    requester_saved_every_e_mail_off(user)
    url = f"/admin/accounts/{user.id}"
    form = {"display_name": "Tech", "is_staff": "y", "queue": [str(network.id)]}
    assert admin.submit(url, {**form, "role": "technician"}).status_code == 302
    user = _user("t@umontpellier.fr")
    assert_staff_defaults_and_own_choices(user)
    technician_turns_sla_warnings_off(user)
    assert admin.submit(url, {**form, "role": "admin"}).status_code == 302
    assert email_preferences(_user("t@umontpellier.fr"))[NotificationEvent.SLA_WARNING] is False


def test_bad_queue_values_change_nothing(admin):
    user = make_user("t@umontpellier.fr", role=Role.TECHNICIAN)
    for bad in ("abc", "999999", "-1"):
        response = admin.submit(
            f"/admin/accounts/{user.id}",
            {"display_name": "Renamed", "role": "admin", "queue": [bad]},
        )
        assert response.status_code == 400
        assert "Choisissez des files dans la liste." in response.text
    user = _user("t@umontpellier.fr")
    assert user.display_name != "Renamed" and user.role is Role.TECHNICIAN
    assert db.session.scalar(select(db.func.count()).select_from(QueueMembership)) == 0


def test_an_admin_cannot_lock_themselves_out(admin, admin_user):
    response = admin.submit(
        f"/admin/accounts/{admin_user.id}", {"display_name": "Moi", "role": "requester"}
    )
    assert response.status_code == 400
    assert "Vous ne pouvez pas retirer votre propre rôle" in response.text
    admin.submit(
        f"/admin/accounts/{admin_user.id}/deactivate", page=f"/admin/accounts/{admin_user.id}"
    )
    assert _user(admin_user.email).is_active_account and _user(admin_user.email).is_admin


def test_deactivation_ends_sessions_and_reactivation_lets_back_in(admin, login):
    user = make_user("t@umontpellier.fr", role=Role.TECHNICIAN)
    session = login(user)
    assert session.get("/queues").status_code == 200
    page = f"/admin/accounts/{user.id}"
    assert admin.submit(f"{page}/deactivate", page=page).status_code == 302
    assert not _user(user.email).is_active_account
    gone = session.get("/queues")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]
    assert session.login(user.email).status_code != 302  # refused while deactivated
    assert admin.submit(f"{page}/reactivate", page=page).status_code == 302
    assert login(user).get("/queues").status_code == 200


def test_a_deactivated_technician_s_open_tickets_go_back_to_their_queues(admin, admin_user, login):
    """Held by someone who can no longer sign in, a ticket would wait unseen and its
    requester's messages would reach nobody: it goes back to its queue, unassigned."""
    queue = make_queue(code="reseau")
    karim = make_user("karim@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,), name="Karim")
    sophie = make_user("sophie@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    claire = make_user("claire@umontpellier.fr", name="Claire Martin")
    held = [
        make_ticket(queue=queue, requester=claire, assignee=karim, status=status)
        for status in ("assigned", "in_progress", "waiting_on_requester")
    ]
    done = make_ticket(queue=queue, requester=claire, assignee=karim, status="resolved")
    theirs = make_ticket(queue=queue, requester=claire, assignee=sophie, status="in_progress")
    versions = {t.id: t.version for t in held}

    page = f"/admin/accounts/{karim.id}"
    response = admin.submit(f"{page}/deactivate", page=page, follow_redirects=True)
    assert "Ses 3 tickets ouverts sont de retour dans leurs files, sans technicien." in (
        response.text
    )
    db.session.expire_all()
    for ticket in held:
        fresh = db.session.get(Ticket, ticket.id)
        assert fresh.assignee_id is None and fresh.version > versions[ticket.id]
        assert fresh.status.value == ticket.status.value  # only the assignee changed
    assert db.session.get(Ticket, done.id).assignee_id == karim.id  # finished: kept as it was
    assert db.session.get(Ticket, theirs.id).assignee_id == sophie.id
    # Sophie hears of the three in ONE e-mail listing them (a bell entry each), why they came
    # back, and a link to each one's staff page.
    returned = NotificationEvent.RETURNED
    assert [r.event for r in rows(Channel.INAPP, recipient_id=sophie.id)] == [returned] * 3
    (mail,) = [r for r in rows(Channel.EMAIL, recipient_id=sophie.id) if r.event is returned]
    assert mail.ticket_id is None and mail.payload["alert"] == "back_in_queue"
    assert {(t["reason"], t["former"]) for t in mail.payload["tickets"]} == {
        ("deactivated", "Karim")
    }
    _subject, text, _html = render_email(mail.payload, mail.id)
    for ticket in held:
        assert f"/tickets/{ticket.reference}" in text
    # The staff history says why; the requester's page does not show it.
    line = "De retour dans la file, sans technicien : le compte de Karim a été désactivé."
    staff_page = login(sophie).get(f"/tickets/{held[0].reference}").text
    assert line in staff_page.replace("&#39;", "’")
    assert ">Interne<" in staff_page  # a line of the history, not a note
    assert line not in login(claire).get(f"/mes-demandes/{held[0].reference}").text
    event = db.session.scalar(select(TicketEvent).where(TicketEvent.field == "released"))
    assert event.is_internal and event.actor_id == admin_user.id

    # Claire's next message reaches the queue, not the deactivated account.
    assert _told_of_a_message(login(claire), held[1]) == {sophie.id}


def test_messages_on_a_ticket_held_by_an_already_deactivated_account_reach_the_queue(
    app_ctx, login
):
    """An account deactivated before its tickets were given back (or by a script): the
    requester's message goes to the queue rather than to nobody."""
    queue = make_queue(code="reseau")
    gone = make_user("gone@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    sophie = make_user("sophie@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    claire = make_user("claire@umontpellier.fr")
    ticket = make_ticket(queue=queue, requester=claire, assignee=gone, status="in_progress")
    gone.is_active_account = False
    db.session.commit()
    assert _told_of_a_message(login(claire), ticket) == {sophie.id}


def _told_of_a_message(requester, ticket) -> set[int]:
    """Who is e-mailed when the requester writes on `ticket`."""
    page = f"/mes-demandes/{ticket.reference}"
    requester.submit(f"{page}/commentaire", {"body": "Toujours en panne."}, page=page)
    return {r.recipient_id for r in rows(Channel.EMAIL, event=NotificationEvent.COMMENTED)}


def test_leaving_a_queue_or_the_staff_gives_its_tickets_back(admin, login):
    network, mail = make_queue(code="reseau"), make_queue(code="messagerie")
    karim = make_user(
        "karim@umontpellier.fr", role=Role.TECHNICIAN, queues=(network, mail), name="Karim"
    )
    in_network = make_ticket(queue=network, assignee=karim, status="in_progress")
    in_mail = make_ticket(queue=mail, assignee=karim, status="assigned")
    page = f"/admin/accounts/{karim.id}"
    form = {"display_name": "Karim", "role": "technician", "is_staff": "y"}
    # Out of the mail queue: its ticket goes back; the network one stays his.
    response = admin.submit(page, {**form, "queue": [str(network.id)]}, follow_redirects=True)
    assert "Son ticket ouvert est de retour dans sa file, sans technicien." in response.text
    db.session.expire_all()
    assert db.session.get(Ticket, in_mail.id).assignee_id is None
    assert db.session.get(Ticket, in_network.id).assignee_id == karim.id
    event = db.session.scalar(select(TicketEvent).where(TicketEvent.ticket_id == in_mail.id))
    line = "De retour dans la file, sans technicien : Karim ne traite plus cette file."
    assert line in admin.get(f"/tickets/{in_mail.reference}").text.replace("&#39;", "’")
    assert event is not None
    # Saved again unchanged: nothing more moves.
    response = admin.submit(page, {**form, "queue": [str(network.id)]}, follow_redirects=True)
    assert "de retour dans" not in response.text
    # Made a requester: he holds nothing any more.
    admin.submit(page, {**form, "role": "requester"})
    db.session.expire_all()
    assert db.session.get(Ticket, in_network.id).assignee_id is None
