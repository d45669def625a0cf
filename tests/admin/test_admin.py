"""Administration of queues, members, domains and categories: through the forms, bad input
answered next to the field, nothing deleted that is still in use."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from desk.auth.models import Role
from desk.catalog.models import RequestType, RoutingRule
from desk.extensions import db
from desk.reference.models import Category, Domain, Queue, QueueMembership
from desk.tickets.models import Ticket
from tests.support.factories import (
    make_category,
    make_domain,
    make_queue,
    make_request_type,
    make_ticket,
    make_user,
)


@pytest.fixture
def admin(app_ctx, login):
    return login(make_user(role=Role.ADMIN, name="Admin Desk"))


def test_create_and_edit_a_queue(admin):
    domain = make_domain("it")
    response = admin.submit(
        "/admin/queues/new",
        {
            "code": "reseau-triolet",
            "name_fr": "Réseau – Triolet",
            "name_en": "Network – Triolet",
            "domain": str(domain.id),
            "is_active": "y",
        },
    )
    assert response.status_code == 302
    queue = db.session.scalar(select(Queue).where(Queue.code == "reseau-triolet"))
    assert (queue.name_fr, queue.domain_id, queue.is_active) == (
        "Réseau – Triolet",
        domain.id,
        True,
    )
    response = admin.submit(
        f"/admin/queues/{queue.id}",
        {
            "code": "reseau-triolet",
            "name_fr": "Réseau Triolet",
            "name_en": "",
            "domain": str(domain.id),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    queue = db.session.get(Queue, queue.id)
    assert (queue.name_fr, queue.is_active) == ("Réseau Triolet", False)
    assert "Réseau Triolet" in admin.get("/admin/queues").text


@pytest.mark.parametrize(
    "data, message",
    [
        ({"code": "", "name_fr": "X"}, "Saisissez un code."),
        ({"code": "Réseau!", "name_fr": "X"}, "Utilisez des lettres minuscules"),
        ({"code": "ok", "name_fr": ""}, "Saisissez le nom en français."),
        ({"code": "ok", "name_fr": "x" * 121}, "120 caractères au maximum."),
        ({"code": "ok", "name_fr": "X", "domain": "999999"}, "Choisissez une valeur de la liste."),
        ({"code": "taken", "name_fr": "X"}, "Une autre file utilise déjà ce code."),
    ],
)
def test_queue_form_errors(admin, data, message):
    existing = make_queue(code="taken")
    payload = {"domain": str(existing.domain_id), **data}
    response = admin.submit("/admin/queues/new", payload)
    assert response.status_code == 400
    assert message in response.text
    assert db.session.scalar(select(Queue).where(Queue.code == "ok")) is None


def test_nul_bytes_are_refused_not_a_500(admin):
    """Refused for the whole app before any view (desk.core.input), nothing saved."""
    domain = make_domain()
    response = admin.submit("/admin/domains/new", {"code": "x\x00y", "name_fr": "Nom\x00"})
    assert response.status_code == 400
    assert "ne peut pas être enregistré" in response.text
    assert db.session.scalar(select(Domain).where(Domain.code == "xy")) is None
    assert domain.id


def test_queue_in_use_is_closed_not_deleted(admin):
    used = make_queue(code="used")
    # Its tickets only: an active entry sending it new requests would keep it open.
    make_ticket(queue=used, request_type=make_request_type(queue=used, is_active=False))
    unused = make_queue(used.domain, code="unused")
    unused_id = unused.id
    response = admin.submit(f"/admin/queues/{used.id}/delete", page="/admin/queues")
    assert response.status_code == 302
    assert "elle a été fermée au lieu d’être supprimée" in admin.get("/admin/queues").text
    admin.submit(f"/admin/queues/{unused_id}/delete", page="/admin/queues")
    assert "La file « File » a été supprimée." in admin.get("/admin/queues").text
    db.session.expire_all()
    assert db.session.get(Queue, used.id).is_active is False
    assert db.session.get(Queue, unused_id) is None


def test_members(admin):
    queue = make_queue(code="reseau")
    tech = make_user(role=Role.TECHNICIAN, name="Karim Benali")
    requester = make_user(name="Claire Martin")
    page = admin.get(f"/admin/queues/{queue.id}/members").text
    assert "Karim Benali" in page and "Claire Martin" not in page
    response = admin.submit(
        f"/admin/queues/{queue.id}/members", {"user": str(tech.id), "is_lead": "y"}
    )
    assert response.status_code == 302
    membership = db.session.get(QueueMembership, (queue.id, tech.id))
    assert membership.is_lead
    # A requester, a member already, a forged id: refused next to the field.
    for user_id in (requester.id, tech.id, 999_999, "x"):
        response = admin.submit(f"/admin/queues/{queue.id}/members", {"user": str(user_id)})
        assert response.status_code == 400
        assert "Choisissez une valeur de la liste." in response.text
    admin.submit(
        f"/admin/queues/{queue.id}/members/{tech.id}/lead",
        {"is_lead": "0"},
        page=f"/admin/queues/{queue.id}/members",
    )
    db.session.expire_all()
    assert db.session.get(QueueMembership, (queue.id, tech.id)).is_lead is False


def test_a_member_who_leaves_gives_back_the_queue_s_open_tickets(admin):
    queue, other = make_queue(code="reseau"), make_queue(code="visio")
    tech = make_user(role=Role.TECHNICIAN, queues=(queue, other), name="Karim Benali")
    held = make_ticket(queue=queue, assignee=tech, status="in_progress")
    done = make_ticket(queue=queue, assignee=tech, status="closed")
    elsewhere = make_ticket(queue=other, assignee=tech, status="in_progress")
    url = f"/admin/queues/{queue.id}/members/{tech.id}/remove"
    response = admin.submit(url, page=f"/admin/queues/{queue.id}/members", follow_redirects=True)
    assert "Karim Benali a quitté la file." in response.text
    assert "Son ticket ouvert dans cette file y est de retour, sans technicien." in response.text
    db.session.expire_all()
    assert db.session.get(QueueMembership, (queue.id, tech.id)) is None
    assert db.session.get(Ticket, held.id).assignee_id is None
    assert db.session.get(Ticket, done.id).assignee_id == tech.id  # finished: as it was
    assert db.session.get(Ticket, elsewhere.id).assignee_id == tech.id  # still his queue


def test_removing_the_last_technician_of_a_queue_with_open_tickets_warns_at_once(admin):
    queue = make_queue(code="visio")
    sophie = make_user(role=Role.TECHNICIAN, queues=(queue,), name="Sophie Durand")
    karim = make_user(role=Role.TECHNICIAN, queues=(queue,), name="Karim Benali")
    make_ticket(queue=queue, status="new")
    make_ticket(queue=queue, status="in_progress", assignee=sophie)
    make_ticket(queue=queue, status="closed")
    members = f"/admin/queues/{queue.id}/members"
    response = admin.submit(f"{members}/{karim.id}/remove", page=members, follow_redirects=True)
    assert "data-unattended" not in response.text  # Sophie still works it
    response = admin.submit(f"{members}/{sophie.id}/remove", page=members, follow_redirects=True)
    assert "Sophie Durand a quitté la file." in response.text
    assert (
        "Aucun technicien actif ne travaille sur cette file : ses 2 tickets ouverts attendent"
        in response.text
    )
    # A queue with nothing open needs no warning.
    empty = make_queue(code="vide")
    assert "data-unattended" not in admin.get(f"/admin/queues/{empty.id}/members").text


def test_missing_rows_are_404(admin):
    for url in (
        "/admin/queues/999999",
        "/admin/queues/999999/members",
        "/admin/domains/999999",
        "/admin/categories/999999",
        "/admin/domains/999999/categories/new",
        "/admin/queues/99999999999999999999",
        "/admin/categories/99999999999999999999",
    ):
        assert admin.get(url).status_code == 404
    admin.get("/admin")
    response = admin.post(
        "/admin/queues/1/members/999999/remove", data={"csrf_token": admin.last_csrf}
    )
    assert response.status_code == 404


def test_domains_and_categories(admin):
    response = admin.submit(
        "/admin/domains/new",
        {"code": "hr", "name_fr": "Ressources Humaines", "name_en": "HR", "position": "2"},
    )
    assert response.status_code == 302
    domain = db.session.scalar(select(Domain).where(Domain.code == "hr"))
    response = admin.submit(
        f"/admin/domains/{domain.id}/categories/new",
        {"code": "admin", "name_fr": "Gestion administrative"},
    )
    assert response.status_code == 302
    category = db.session.scalar(select(Category).where(Category.code == "admin"))
    assert category.domain_id == domain.id
    response = admin.submit(
        f"/admin/domains/{domain.id}/categories/new", {"code": "admin", "name_fr": "Doublon"}
    )
    assert response.status_code == 400
    assert "Une autre catégorie de ce domaine utilise déjà ce code." in response.text
    response = admin.submit(
        f"/admin/categories/{category.id}",
        {"code": "admin", "name_fr": "Administration", "position": "abc"},
    )
    assert response.status_code == 400
    assert "Saisissez un nombre entre 0 et 9\u202f999." in response.text
    # int() reads "５" (fullwidth) as 5: desk reads ASCII digits only.
    response = admin.submit(
        f"/admin/categories/{category.id}",
        {"code": "admin", "name_fr": "Administration", "position": "\uff15"},
    )
    assert response.status_code == 400
    assert "Saisissez un nombre entre 0 et 9\u202f999." in response.text
    assert "Gestion administrative" in admin.get("/admin/domains").text


def test_used_domain_and_category_are_not_deleted(admin):
    queue = make_queue()
    category = make_category(queue.domain)
    make_request_type(queue=queue, category=category)
    admin.submit(f"/admin/categories/{category.id}/delete", page="/admin/domains")
    assert (
        "« Réseau » : suppression impossible tant que ces éléments y sont rattachés : "
        "entrées du catalogue (1)."
    ) in admin.get("/admin/domains").text
    admin.submit(f"/admin/domains/{queue.domain_id}/delete", page="/admin/domains")
    assert "catégories (1), files (1), entrées du catalogue (1)" in admin.get("/admin/domains").text
    assert db.session.get(Category, category.id) is not None
    assert db.session.get(Domain, queue.domain_id) is not None


def test_unused_domain_and_category_are_deleted(admin):
    domain_id = make_domain().id
    category_id = make_category(db.session.get(Domain, domain_id)).id
    admin.submit(f"/admin/categories/{category_id}/delete", page="/admin/domains")
    admin.submit(f"/admin/domains/{domain_id}/delete", page="/admin/domains")
    db.session.expire_all()
    assert db.session.get(Category, category_id) is None
    assert db.session.get(Domain, domain_id) is None


def test_the_admin_page_warns_of_a_queue_that_nobody_works(admin):
    staffed, orphan = make_queue(code="reseau"), make_queue(code="visio")
    orphan.name_fr = "Visioconférence"
    karim = make_user(role=Role.TECHNICIAN, queues=(staffed, orphan), name="Karim Benali")
    make_ticket(queue=orphan, status="in_progress")
    make_ticket(queue=orphan, status="new")
    assert "Files que personne ne traite" not in admin.get("/admin").text
    # Karim's account is deactivated: the queue's two tickets are now nobody's.
    admin.submit(f"/admin/accounts/{karim.id}/deactivate", page=f"/admin/accounts/{karim.id}")
    page = admin.get("/admin").text
    assert "Files que personne ne traite" in page
    assert f'href="/admin/queues/{orphan.id}/members"' in page
    assert "Visioconférence : ajouter des membres" in page and "2 tickets ouverts" in page
    assert f'href="/admin/queues/{staffed.id}/members"' not in page  # nothing open there


def test_a_queue_in_use_keeps_its_domain(app_ctx, login):
    """Moved to HR with its IT entry and tickets, an IT queue would take new IT requests into
    HR (routing sends an entry's requests to its default queue) and hold tickets whose
    transfers offer another domain's queues: the move is refused, next to the field."""
    admin = login(make_user(role=Role.ADMIN, name="Admin Desk", locale="en"))
    it, hr = make_domain("it"), make_domain("rh", name_fr="Ressources humaines")
    visio = make_queue(it, code="visio")
    make_ticket(queue=visio, request_type=make_request_type(queue=visio))
    empty = make_queue(it, code="vide")
    form = {"name_fr": "File", "name_en": "", "domain": str(hr.id), "is_active": "y"}
    response = admin.submit(f"/admin/queues/{visio.id}", {**form, "code": "visio"})
    assert response.status_code == 400
    assert (
        "This queue cannot move to another domain while these still use it: tickets (1), "
        "catalogue entries (1)." in response.text
    )
    db.session.expire_all()
    assert db.session.get(Queue, visio.id).domain_id == it.id
    # A queue nothing uses yet may still be moved.
    response = admin.submit(f"/admin/queues/{empty.id}", {**form, "code": "vide"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Queue, empty.id).domain_id == hr.id


def test_a_queue_that_entries_or_rules_send_to_stays_open(app_ctx, login):
    """Closed (by its delete button or its form) while an active catalogue entry defaults to it
    or an active rule targets it, a queue would keep taking new requests nobody watches: both
    are refused, naming them, and nothing is saved; turned off, they no longer hold it."""
    admin = login(make_user(role=Role.ADMIN, name="Admin Desk", locale="en"))
    visio = make_queue(code="visio")
    entry = make_request_type(queue=visio)
    entry.title_en = "Zoom licence"
    make_request_type(queue=visio, is_active=False)  # an entry turned off sends nothing
    rule = RoutingRule(name="Visio Triolet", position=1, queue=visio)
    db.session.add(rule)
    db.session.commit()
    expected = (
        "This queue cannot be closed while these still send it new requests: catalogue entries "
        "“Zoom licence”; routing rules “Visio Triolet”. Give them another queue or turn them off "
        "first."
    )
    form = {"code": "visio", "name_fr": "File", "domain": str(visio.domain_id)}
    response = admin.submit(f"/admin/queues/{visio.id}", form)  # "Open" unticked
    assert response.status_code == 400
    assert expected in response.text
    admin.submit(f"/admin/queues/{visio.id}/delete", page="/admin/queues")
    assert f"“Queue”: {expected}" in admin.get("/admin/queues").text
    db.session.expire_all()
    assert db.session.get(Queue, visio.id).is_active is True
    # The entry and the rule turned off, the queue closes.
    db.session.get(RequestType, entry.id).is_active = False
    db.session.get(RoutingRule, rule.id).is_active = False
    db.session.commit()
    response = admin.submit(f"/admin/queues/{visio.id}", form)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Queue, visio.id).is_active is False
