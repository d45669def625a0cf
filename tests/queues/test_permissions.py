"""Every queue, staff-ticket and admin route, for every role: anonymous → login, requester →
403, a technician → their own queues only (another queue's ticket or list is 404), admin → all."""

from __future__ import annotations

import pytest

from desk.auth.models import Role
from tests.support.factories import make_category, make_ticket, make_user

TICKET_ACTIONS = ("claim", "assign", "transfer", "priority", "status", "duplicate", "reply", "note")

# endpoint -> (method, url template); {queue}/{ticket} are filled with the queue under test.
QUEUE_ROUTES = {
    "queues.overview": ("GET", "/queues"),
    "queues.queue_list": ("GET", "/queues/{queue}"),
    "queues.bulk": ("POST", "/queues/{queue}/bulk"),
    "queues.export_list": ("GET", "/queues/{queue}/export.csv"),
    "queues.ticket": ("GET", "/tickets/{ticket}"),
    **{f"queues.{a}": ("POST", f"/tickets/{{ticket}}/{a}") for a in TICKET_ACTIONS},
    "queues.give_back": ("POST", "/tickets/{ticket}/give-back"),
    "queues.followup": ("POST", "/tickets/{ticket}/reminder"),
}
ADMIN_ROUTES = {
    "admin.index": ("GET", "/admin"),
    "admin.queues": ("GET", "/admin/queues"),
    "admin.queue_new": ("GET", "/admin/queues/new"),
    "admin.queue_edit": ("GET", "/admin/queues/{queue_id}"),
    "admin.queue_delete": ("POST", "/admin/queues/{queue_id}/delete"),
    "admin.members": ("GET", "/admin/queues/{queue_id}/members"),
    "admin.member_add": ("POST", "/admin/queues/{queue_id}/members"),
    "admin.member_lead": ("POST", "/admin/queues/{queue_id}/members/{user_id}/lead"),
    "admin.member_remove": ("POST", "/admin/queues/{queue_id}/members/{user_id}/remove"),
    "admin.domains": ("GET", "/admin/domains"),
    "admin.domain_new": ("GET", "/admin/domains/new"),
    "admin.domain_edit": ("GET", "/admin/domains/{domain_id}"),
    "admin.domain_delete": ("POST", "/admin/domains/{domain_id}/delete"),
    "admin.category_new": ("GET", "/admin/domains/{domain_id}/categories/new"),
    "admin.category_edit": ("GET", "/admin/categories/{category_id}"),
    "admin.category_delete": ("POST", "/admin/categories/{category_id}/delete"),
    "admin.accounts": ("GET", "/admin/accounts"),
    "admin.account_new": ("GET", "/admin/accounts/new"),
    "admin.account_edit": ("GET", "/admin/accounts/{user_id}"),
    "admin.account_deactivate": ("POST", "/admin/accounts/{user_id}/deactivate"),
    "admin.account_reactivate": ("POST", "/admin/accounts/{user_id}/reactivate"),
    "admin.account_cas_link": ("POST", "/admin/accounts/{user_id}/cas-link"),
}
ROUTES = {**QUEUE_ROUTES, **ADMIN_ROUTES}
SCOPED = {name for name, (_m, url) in QUEUE_ROUTES.items() if "{" in url}


def test_the_table_lists_every_route_of_the_blueprints(app):
    endpoints = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if r.endpoint.split(".")[0] in ("queues", "admin")
    }
    assert endpoints == set(ROUTES)


@pytest.fixture
def world(desk):
    tech = desk.tech
    return {
        "desk": desk,
        "own": {"queue": desk.network.code, "ticket": desk.ticket.reference},
        "other": {"queue": desk.mail.code, "ticket": desk.mail_ticket.reference},
        "ids": {
            "queue_id": desk.network.id,
            "user_id": tech.id,
            "domain_id": desk.network.domain_id,
            "category_id": make_category(desk.network.domain).id,
        },
    }


def _call(client, method, url):
    if method == "GET":
        return client.get(url)
    client.get("/home")  # a page, for its CSRF token
    return client.post(url, data={"csrf_token": client.last_csrf})


def _url(world, name, scope):
    return ROUTES[name][1].format(**world[scope], **world["ids"])


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_anonymous_goes_to_login(world, client, name):
    response = _call(client, ROUTES[name][0], _url(world, name, "own"))
    assert response.status_code in (302, 400)  # 400: no CSRF session yet for a POST
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_requester_is_refused(world, login, name):
    client = login(world["desk"].requester)
    response = _call(client, ROUTES[name][0], _url(world, name, "own"))
    if name == "queues.ticket":
        # The ticket is theirs: a staff link to it leads to their own page of it (another's
        # ticket: tests/portal/test_staff_link.py).
        assert response.status_code == 302
        assert response.headers["Location"] == f"/mes-demandes/{world['own']['ticket']}"
        response = _call(login(make_user()), "GET", _url(world, name, "own"))
    assert response.status_code == 403
    assert "Accès refusé" in response.text


@pytest.mark.parametrize("name", sorted(QUEUE_ROUTES))
def test_technician_works_their_own_queue(world, login, name):
    client = login(world["desk"].tech)
    response = _call(client, ROUTES[name][0], _url(world, name, "own"))
    assert response.status_code in (200, 302, 400), response.text[:300]


@pytest.mark.parametrize("name", sorted(SCOPED))
def test_technician_of_another_queue_gets_404(world, login, name):
    client = login(world["desk"].tech)
    response = _call(client, ROUTES[name][0], _url(world, name, "other"))
    assert response.status_code == 404


@pytest.mark.parametrize("name", sorted(ADMIN_ROUTES))
def test_technician_is_refused_the_admin_pages(world, login, name):
    client = login(world["desk"].tech)
    response = _call(client, ROUTES[name][0], _url(world, name, "own"))
    assert response.status_code == 403


@pytest.mark.parametrize("name", sorted(ROUTES))
@pytest.mark.parametrize("scope", ["own", "other"])
def test_admin_may_use_everything(world, login, name, scope):
    client = login(world["desk"].admin)
    response = _call(client, ROUTES[name][0], _url(world, name, scope))
    assert response.status_code in (200, 302, 400), response.text[:300]


def test_deactivated_technician_is_logged_out(world, login, app_ctx):
    from desk.extensions import db

    tech = make_user(role=Role.TECHNICIAN, queues=(world["desk"].network,))
    client = login(tech)
    assert client.get("/queues").status_code == 200
    tech.is_active_account = False
    db.session.commit()
    assert client.get("/queues/reseau").status_code == 302


def test_a_technician_added_to_a_queue_sees_it_at_once(world, login, app_ctx):
    from desk.extensions import db
    from desk.reference.models import QueueMembership

    desk = world["desk"]
    client = login(desk.tech)
    assert client.get(f"/tickets/{desk.mail_ticket.reference}").status_code == 404
    db.session.add(QueueMembership(queue_id=desk.mail.id, user_id=desk.tech.id))
    db.session.commit()
    assert client.get(f"/tickets/{desk.mail_ticket.reference}").status_code == 200
    make_ticket(queue=desk.mail)
