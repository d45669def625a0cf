"""Every view declares who may use it; anonymous users go to login, others get 403/404 pages."""

from __future__ import annotations

from flask import Blueprint

from desk import create_app
from desk.auth.models import Role
from desk.core.access import access
from tests.support.factories import make_user


def test_every_view_carries_the_access_decorator(app):
    missing = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and not hasattr(app.view_functions[rule.endpoint], "desk_access")
    ]
    assert missing == []


def _app_with_probe(test_env):
    from config import TestingConfig

    application = create_app(TestingConfig())
    bp = Blueprint("probe", __name__)

    @bp.get("/probe/staff")
    @access(Role.TECHNICIAN, Role.ADMIN)
    def staff_only():
        return "staff page"

    @bp.get("/probe/boom")
    @access("public")
    def boom():
        raise RuntimeError("secret internals")

    application.register_blueprint(bp)
    return application


def test_requester_on_a_technician_page_gets_a_french_403(app, test_env):
    probe = _app_with_probe(test_env)
    from tests.conftest import Client

    probe.test_client_class = Client
    with app.app_context():
        make_user("req@umontpellier.fr")
        make_user("tech@umontpellier.fr", role=Role.TECHNICIAN)
    requester = probe.test_client()
    requester.login("req@umontpellier.fr")
    response = requester.get("/probe/staff")
    assert response.status_code == 403
    assert "Accès refusé" in response.text
    technician = probe.test_client()
    technician.login("tech@umontpellier.fr")
    assert technician.get("/probe/staff").text == "staff page"


def test_anonymous_is_sent_to_login(test_env, app):
    probe = _app_with_probe(test_env)
    response = probe.test_client().get("/probe/staff")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_unexpected_error_shows_a_page_without_internals(test_env, app):
    probe = _app_with_probe(test_env)
    response = probe.test_client().get("/probe/boom", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


def test_404_page_in_both_languages(client):
    fr = client.get("/nowhere")
    assert fr.status_code == 404
    assert "Page introuvable" in fr.text
    en = client.get("/nowhere", headers={"Accept-Language": "en"})
    assert "Page not found" in en.text


def test_404_is_json_for_api_clients(client):
    response = client.get("/nowhere", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["error"] == "Page introuvable"


def test_user_language_preference_beats_the_browser(login, app_ctx):
    user = make_user(locale="en")
    c = login(user)
    response = c.get("/home", headers={"Accept-Language": "fr"})
    assert 'lang="en"' in response.text
    assert "Hello," in response.text


def test_home_is_role_specific(login, app_ctx):
    for role in Role:
        response = login(make_user(role=role)).get("/home")
        assert f'data-role="{role.value}"' in response.text
