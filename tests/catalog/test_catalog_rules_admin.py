"""Routing rules edited by admins in the catalogue settings: services through the web pages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from desk.auth.models import Role
from desk.catalog.models import RoutingRule
from desk.catalog.services import route, routing_rules
from desk.extensions import db
from tests.catalog.world import field_errors, only_ticket
from tests.support.factories import make_queue, make_user

NEW = "/admin/catalogue/rules/new"


@pytest.fixture
def admin(world):
    return make_user(role=Role.ADMIN)


def _rules() -> list[tuple[str, str, bool]]:
    db.session.expire_all()
    return [(r.name, r.queue.code, r.is_active) for r in routing_rules()]


def _data(queue, **values) -> dict[str, str]:
    data = {"name": "Visio spéciale", "queue": str(queue.id)}
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def test_create_a_rule_and_see_it_listed_last(world, admin, login):
    visio2 = make_queue(world.it, code="visio-2")
    client = login(admin)
    response = client.submit(NEW, _data(visio2, request_type=str(world.types["zoom"].id)))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "Règle « Visio spéciale » créée." in page
    assert _rules() == [
        ("Triolet", "reseau-triolet", True),
        ("Richter", "reseau-richter", True),
        ("Visio spéciale", "visio-2", True),
    ]
    rule = routing_rules()[-1]
    assert rule.request_type_id == world.types["zoom"].id and rule.site_id is None
    assert f'href="/admin/catalogue/rules/{rule.id}"' in page


def test_a_rule_created_in_the_ui_routes_new_tickets(world, admin, staff, login):
    visio2 = make_queue(world.it, code="visio-2")
    assert route(world.types["zoom"]).code == "visio"
    login(admin).submit(NEW, _data(visio2, request_type=str(world.types["zoom"].id)))
    assert route(world.types["zoom"]).code == "visio-2"
    response = login(staff).submit(
        "/catalogue/licence-zoom",
        {"zoom_email": "claire.martin@umontpellier.fr", "account_created": "y"},
    )
    assert response.status_code == 302
    assert only_ticket().queue.code == "visio-2"


def test_edit_a_rule(world, admin, login):
    rule = world.rules[1]
    url = f"/admin/catalogue/rules/{rule.id}"
    client = login(admin)
    form = client.get(url).text
    assert 'value="Richter"' in form
    response = client.submit(
        url,
        {
            "name": "Richter et Saint-Priest",
            "kind": "incident",
            "category": str(world.cats["network"].id),
            "site": str(world.stpriest[0].id),
            "queue": str(world.queues["reseau-richter"].id),
        },
    )
    assert response.status_code == 302
    assert "Règle « Richter et Saint-Priest » enregistrée." in client.get("/admin/catalogue").text
    db.session.expire_all()
    assert rule.name == "Richter et Saint-Priest" and rule.site_id == world.stpriest[0].id
    network = world.types["network"]
    assert route(network, site_id=world.stpriest[0].id).code == "reseau-richter"
    assert route(network, site_id=world.richter[0].id).code == "reseau"


def test_move_rules_up_and_down(world, admin, login):
    client = login(admin)
    triolet, richter = world.rules
    response = client.submit(
        f"/admin/catalogue/rules/{richter.id}/move/up", page="/admin/catalogue"
    )
    assert response.status_code == 302
    assert [name for name, _, _ in _rules()] == ["Richter", "Triolet"]
    assert "Règle « Richter » déplacée." in client.get("/admin/catalogue").text
    # Already last: nothing changes.
    client.submit(f"/admin/catalogue/rules/{triolet.id}/move/down", page="/admin/catalogue")
    assert [name for name, _, _ in _rules()] == ["Richter", "Triolet"]
    client.submit(f"/admin/catalogue/rules/{triolet.id}/move/up", page="/admin/catalogue")
    assert [name for name, _, _ in _rules()] == ["Triolet", "Richter"]


def test_moving_decides_which_rule_wins(world, admin, login):
    catch_all = make_queue(world.it, code="reseau-tous")
    client = login(admin)
    client.submit(NEW, _data(catch_all, name="Tous les incidents", kind="incident"))
    site = world.triolet[0].id
    assert route(world.types["network"], site_id=site).code == "reseau-triolet"
    rule = routing_rules()[-1]
    for _ in range(2):
        client.submit(f"/admin/catalogue/rules/{rule.id}/move/up", page="/admin/catalogue")
    assert _rules()[0][0] == "Tous les incidents"
    assert route(world.types["network"], site_id=site).code == "reseau-tous"


def test_deactivate_and_reactivate(world, admin, login):
    client = login(admin)
    rule = world.rules[0]
    site = world.triolet[0].id
    client.submit(f"/admin/catalogue/rules/{rule.id}/deactivate", page="/admin/catalogue")
    assert _rules()[0] == ("Triolet", "reseau-triolet", False)
    assert route(world.types["network"], site_id=site).code == "reseau"
    assert "Règle « Triolet » désactivée." in client.get("/admin/catalogue").text
    client.submit(f"/admin/catalogue/rules/{rule.id}/activate", page="/admin/catalogue")
    assert _rules()[0][2] is True
    assert route(world.types["network"], site_id=site).code == "reseau-triolet"


def test_delete_a_rule(world, admin, login):
    client = login(admin)
    rule = world.rules[0]
    page = f"/admin/catalogue/rules/{rule.id}"
    response = client.submit(f"{page}/delete", page=page)
    assert response.status_code == 302
    assert [name for name, _, _ in _rules()] == ["Richter"]
    assert "Règle « Triolet » supprimée." in client.get("/admin/catalogue").text


def test_actions_need_the_csrf_token(world, admin, login):
    client = login(admin)
    rule = world.rules[0]
    response = client.post(f"/admin/catalogue/rules/{rule.id}/delete", data={})
    assert response.status_code == 400
    assert len(_rules()) == 2


def _rule_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(RoutingRule))


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": ""}, "name", "Saisissez un nom."),
        ({"name": "x" * 121}, "name", "120 caractères au plus."),
        ({"name": "Triolet"}, "name", "Une autre règle porte déjà ce nom."),
        ({"queue": None}, "queue", "Choisissez une file."),
        ({"queue": "999999"}, "queue", "Choisissez un élément de la liste."),
        ({"queue": "abc"}, "queue", "Choisissez un élément de la liste."),
        ({"request_type": "999999"}, "request_type", "Choisissez un élément de la liste."),
        ({"request_type": "1 OR 1=1"}, "request_type", "Choisissez un élément de la liste."),
        ({"category": "-4"}, "category", "Choisissez un élément de la liste."),
        ({"site": "999999"}, "site", "Choisissez un élément de la liste."),
        # Past PostgreSQL's integer, a superscript digit, past int()'s 4,300 digits.
        ({"site": "2147483648"}, "site", "Choisissez un élément de la liste."),
        ({"queue": "²"}, "queue", "Choisissez un élément de la liste."),
        ({"category": "9" * 5000}, "category", "Choisissez un élément de la liste."),
        ({"kind": "problem"}, "kind", "Choisissez un élément de la liste."),
    ],
)
def test_invalid_input_is_shown_next_to_the_field(world, admin, login, values, field, message):
    visio = world.queues["visio"]
    data = _data(visio, request_type=str(world.types["zoom"].id))
    data.update(values)
    data = {k: v for k, v in data.items() if v is not None}
    response = login(admin).submit(NEW, data)
    assert response.status_code == 400
    assert message in field_errors(response.text, field)
    assert _rule_count() == 2


def test_an_inactive_queue_is_refused(world, admin, login):
    closed = make_queue(world.it, code="visio-fermee")
    closed.is_active = False
    db.session.commit()
    response = login(admin).submit(NEW, _data(closed, request_type=str(world.types["zoom"].id)))
    assert response.status_code == 400
    [error] = field_errors(response.text, "queue")
    assert "Cette file est inactive" in error and "ignore les règles" in error
    assert _rule_count() == 2


def test_a_queue_of_another_domain_is_refused(world, admin, login):
    hr_queue = world.queues["rh-admin"]
    client = login(admin)
    for condition in (
        {"request_type": str(world.types["zoom"].id)},
        {"category": str(world.cats["videoconf"].id)},
    ):
        response = client.submit(NEW, _data(hr_queue, **condition))
        assert response.status_code == 400
        [error] = field_errors(response.text, "queue")
        assert "ne déplace jamais un ticket vers un autre domaine" in error
    assert _rule_count() == 2


def test_editing_refuses_bad_input_and_keeps_the_rule(world, admin, login):
    rule = world.rules[0]
    response = login(admin).submit(
        f"/admin/catalogue/rules/{rule.id}",
        {
            "name": "",
            "category": str(world.cats["network"].id),
            "queue": str(world.queues["rh-admin"].id),
        },
    )
    assert response.status_code == 400
    assert field_errors(response.text, "name") == ["Saisissez un nom."]
    assert "ne déplace jamais" in field_errors(response.text, "queue")[0]
    db.session.expire_all()
    assert (rule.name, rule.queue.code, rule.kind) == ("Triolet", "reseau-triolet", "incident")


def test_inconsistent_conditions_are_refused(world, admin, login):
    client = login(admin)
    zoom = world.types["zoom"]
    response = client.submit(
        NEW,
        _data(
            world.queues["visio"], request_type=str(zoom.id), category=str(world.cats["network"].id)
        ),
    )
    assert "L’entrée choisie n’appartient pas à cette catégorie." in field_errors(
        response.text, "category"
    )
    response = client.submit(
        NEW, _data(world.queues["visio"], request_type=str(zoom.id), kind="incident")
    )
    assert "L’entrée choisie n’est pas de ce type." in field_errors(response.text, "kind")
    assert _rule_count() == 2


def test_a_rule_without_condition_needs_the_confirmation(world, admin, login):
    client = login(admin)
    queue = world.queues["reseau"]
    response = client.submit(NEW, _data(queue, name="Tout le réseau"))
    assert response.status_code == 400
    [error] = field_errors(response.text, "applies_to_all")
    assert "aucune condition" in error
    assert _rule_count() == 2
    response = client.submit(NEW, _data(queue, name="Tout le réseau", applies_to_all="y"))
    assert response.status_code == 302
    assert _rule_count() == 3
    # As route() guarantees, it takes every IT ticket but never an HR one.
    assert route(world.types["zoom"]).code == "reseau"
    assert route(world.types["phone"]).code == "rh-admin"


def test_unknown_rule_answers_404(world, admin, login):
    client = login(admin)
    assert client.get("/admin/catalogue/rules/999999").status_code == 404
    response = client.submit("/admin/catalogue/rules/999999/delete", page="/admin/catalogue")
    assert response.status_code == 404


def test_anonymous_users_are_sent_to_login(world, client):
    rule = world.rules[0]
    for url in (NEW, f"/admin/catalogue/rules/{rule.id}"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.submit(f"/admin/catalogue/rules/{rule.id}/delete", page="/login")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _rule_count() == 2


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.TECHNICIAN])
def test_requesters_and_technicians_are_refused(world, login, role):
    client = login(make_user(role=role))
    rule = world.rules[0]
    assert client.get(NEW).status_code == 403
    assert client.get(f"/admin/catalogue/rules/{rule.id}").status_code == 403
    page = "/"
    queue = str(world.queues["reseau"].id)
    posts = [
        (NEW, {"name": "x", "queue": queue, "applies_to_all": "y"}),
        (f"/admin/catalogue/rules/{rule.id}", {"name": "x", "queue": queue}),
        (f"/admin/catalogue/rules/{rule.id}/move/down", {}),
        (f"/admin/catalogue/rules/{rule.id}/deactivate", {}),
        (f"/admin/catalogue/rules/{rule.id}/delete", {}),
    ]
    for url, data in posts:
        assert client.submit(url, data, page=page).status_code == 403
    assert _rules() == [
        ("Triolet", "reseau-triolet", True),
        ("Richter", "reseau-richter", True),
    ]


def test_a_rule_to_a_closed_queue_is_not_turned_on(world, admin, login):
    """Turned off, then its queue closed: turned on again, the rule would look effective while
    routing skips it. Refused, as its form refuses to save it, and it stays off."""
    client = login(admin)
    rule = world.rules[0]
    client.submit(f"/admin/catalogue/rules/{rule.id}/deactivate", page="/admin/catalogue")
    world.queues["reseau-triolet"].is_active = False
    db.session.commit()
    client.submit(f"/admin/catalogue/rules/{rule.id}/activate", page="/admin/catalogue")
    assert _rules()[0] == ("Triolet", "reseau-triolet", False)
    page = client.get("/admin/catalogue").text
    assert "« Triolet » : Cette file est inactive : l’aiguillage ignore" in page, page[:3000]
