"""Catalogue entries are data: the admin page and the reference file change them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from desk.auth.models import Role
from desk.catalog.models import MailingList, RequestType, RoutingRule
from desk.extensions import db
from tests.support.factories import make_queue, make_user

DEMO = Path(__file__).resolve().parents[2] / "desk/reference/data/demo.yaml"


@pytest.fixture
def admin(world):
    return make_user(role=Role.ADMIN)


def _form_data(rt, **values):
    data = {
        f"rt{rt.id}-is_active": "y" if rt.is_active else "",
        f"rt{rt.id}-default_queue": str(rt.default_queue_id),
        f"rt{rt.id}-position": str(rt.position),
    }
    data.update({f"rt{rt.id}-{k}": v for k, v in values.items()})
    return {k: v for k, v in data.items() if v != ""}


def test_disabling_an_entry_removes_it_from_the_catalogue(world, admin, staff, login):
    rt = world.types["zoom"]
    response = login(admin).submit(
        f"/admin/catalogue/{rt.id}", _form_data(rt, is_active=""), page="/admin/catalogue"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(RequestType, rt.id).is_active is False
    assert "Titre licence-zoom" not in login(staff).get("/catalogue").text


def test_changing_the_default_queue_routes_new_tickets_there(world, admin, staff, login):
    rt = world.types["zoom"]
    other = make_queue(world.it, code="visio-bis")
    client = login(admin)
    client.submit(
        f"/admin/catalogue/{rt.id}",
        _form_data(rt, default_queue=str(other.id)),
        page="/admin/catalogue",
    )
    login(staff).submit(
        "/catalogue/licence-zoom",
        {"zoom_email": "claire.martin@umontpellier.fr", "account_created": "y"},
    )
    from tests.catalog.world import only_ticket

    assert only_ticket().queue.code == "visio-bis"


def test_a_queue_of_another_domain_or_a_bad_order_is_refused(world, admin, login):
    rt = world.types["zoom"]
    client = login(admin)
    response = client.submit(
        f"/admin/catalogue/{rt.id}",
        _form_data(rt, default_queue=str(world.queues["rh-admin"].id)),
        page="/admin/catalogue",
    )
    assert response.status_code == 400 and "Choisissez une file du domaine" in response.text
    response = client.submit(
        f"/admin/catalogue/{rt.id}", _form_data(rt, position="-3"), page="/admin/catalogue"
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(RequestType, rt.id).default_queue.code == "visio"


@pytest.mark.parametrize("position", ["\u0665", "\uff15", "1_0"])
def test_an_order_in_other_digits_is_refused(world, admin, login, position):
    # int() reads "٥" and "５" as 5 and "1_0" as 10; the order reads ASCII digits only.
    rt = world.types["zoom"]
    before = rt.position
    response = login(admin).submit(
        f"/admin/catalogue/{rt.id}", _form_data(rt, position=position), page="/admin/catalogue"
    )
    assert response.status_code == 400 and "Saisissez un nombre entier." in response.text
    db.session.expire_all()
    assert db.session.get(RequestType, rt.id).position == before


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.TECHNICIAN])
def test_only_admins_reach_the_admin_page(world, login, role):
    client = login(make_user(role=role))
    assert client.get("/admin/catalogue").status_code == 403
    rt = world.types["zoom"]
    response = client.post(f"/admin/catalogue/{rt.id}", data=_form_data(rt, is_active=""))
    assert response.status_code in (400, 403)
    db.session.expire_all()
    assert db.session.get(RequestType, rt.id).is_active is True


def test_admin_page_lists_entries_and_rules(world, admin, login):
    page = login(admin).get("/admin/catalogue").text
    assert "Titre licence-zoom" in page and "Triolet" in page and "File reseau-triolet" in page


def test_the_demo_file_loads_the_catalogue_twice(app, app_ctx):
    runner = app.test_cli_runner()
    for expected in ("request_types: 10 created", "request_types: 0 created, 10 updated"):
        result = runner.invoke(args=["desk", "load-reference", str(DEMO)])
        assert result.exit_code == 0, result.output
        assert expected in result.output
    types = {rt.slug: rt for rt in db.session.scalars(select(RequestType))}
    assert types["changement-numero-telephone"].domain.code == "hr"
    assert types["changement-numero-telephone"].default_queue.code == "rh-admin"
    assert types["comptes-wifi-evenement"].is_staff_only
    assert types["probleme-connexion-reseau"].kind.value == "incident"
    # Accessibility problems with desk itself go to its own administrators.
    assert types["signaler-probleme-accessibilite"].default_queue.code == "centre-services"
    # The catch-alls: the IT one to the front desk, the HR one to HR.
    assert types["autre-demande-informatique"].default_queue.code == "support"
    assert types["autre-demande-rh"].default_queue.code == "rh-admin"
    assert {t.form_key for t in types.values()} >= {"general_request"}
    rules = db.session.scalars(select(RoutingRule).order_by(RoutingRule.position)).all()
    assert [r.queue.code for r in rules] == ["reseau-triolet", "reseau-richter"]
    assert db.session.scalar(select(MailingList).filter_by(name="dsin-info"))


def test_an_unknown_form_key_in_the_file_changes_nothing(app, app_ctx, tmp_path):
    text = DEMO.read_text(encoding="utf-8").replace("form: zoom_licence", "form: zoom_v2")
    path = tmp_path / "ref.yaml"
    path.write_text(text, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["desk", "load-reference", str(path)])
    assert result.exit_code != 0
    assert "unknown form 'zoom_v2'" in result.output
    assert db.session.scalar(select(RequestType)) is None


def test_an_entry_is_not_turned_on_with_a_closed_queue(world, admin, login):
    """An entry turned off, its queue closed since: turned on again as it is, it would send its
    new requests to that closed queue. Refused next to the queue; another queue is accepted."""
    rt = world.types["zoom"]
    rt.is_active = False
    world.queues["visio"].is_active = False
    admin.locale = "en"
    db.session.commit()
    client = login(admin)
    response = client.submit(
        f"/admin/catalogue/{rt.id}", _form_data(rt, is_active="y"), page="/admin/catalogue"
    )
    assert response.status_code == 400
    assert "This queue is closed: choose an open queue before turning the entry on." in (
        response.text
    )
    db.session.expire_all()
    assert db.session.get(RequestType, rt.id).is_active is False
    reseau = world.queues["reseau"]
    response = client.submit(
        f"/admin/catalogue/{rt.id}",
        _form_data(rt, is_active="y", default_queue=str(reseau.id)),
        page="/admin/catalogue",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(RequestType, rt.id).is_active is True


@pytest.mark.parametrize(
    ("queue", "where"), [("visio", "request_types"), ("reseau-triolet", "routing_rules")]
)
def test_the_file_sends_no_active_entry_or_rule_to_a_closed_queue(
    app, app_ctx, tmp_path, queue, where
):
    """A queue closed in the reference file while an active entry or rule of that file still
    sends it new requests: refused, naming the entry or rule, and nothing is loaded."""
    line = f"{{code: {queue}, domain: it,"
    text = DEMO.read_text(encoding="utf-8")
    assert text.count(line) == 1
    start = text.index(line)
    end = text.index("}", start)
    path = tmp_path / "ref.yaml"
    path.write_text(text[:end] + ", active: false" + text[end:], encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["desk", "load-reference", str(path)])
    assert result.exit_code != 0
    assert re.search(rf"{where}\[\d+\]: queue '{queue}' is closed", result.output)
    assert db.session.scalar(select(RequestType)) is None
