"""Rate limits on login (per address), search and form posts (per account); a 429 page.

The catalogue's budget of tickets created is tested with the catalogue
(tests/catalog/test_submit_limits.py); here its forms' POSTs, whatever they give."""

from __future__ import annotations

import pytest

from desk.auth.models import Role
from tests.support.factories import make_queue, make_user


@pytest.fixture
def low_limits(app):
    names = ("RATELIMIT_LOGIN", "RATELIMIT_SEARCH", "RATELIMIT_SUBMIT_ATTEMPTS")
    saved = {name: app.config[name] for name in names}
    app.config.update(dict.fromkeys(names, "3 per minute"))
    yield
    app.config.update(saved)


def test_login_attempts_past_the_limit_get_a_french_429(client, app_ctx, low_limits):
    env = {"REMOTE_ADDR": "203.0.113.50"}
    client.get("/login")
    token = client.last_csrf
    responses = [
        client.post(
            "/login",
            data={"email": f"u{i}@umontpellier.fr", "password": "x", "csrf_token": token},
            environ_base=env,
        )
        for i in range(4)
    ]
    assert [r.status_code for r in responses] == [401, 401, 401, 429]
    blocked = responses[-1]
    assert "Trop de requêtes" in blocked.text
    assert "Retour au formulaire" not in blocked.text  # only the catalogue's forms lead back
    assert int(blocked.headers["Retry-After"]) > 0
    # Another address is not affected, and showing the form is not counted.
    assert client.get("/login", environ_base=env).status_code == 200
    other = client.post(
        "/login",
        data={"email": "a@umontpellier.fr", "password": "x", "csrf_token": token},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert other.status_code == 401


def test_searches_share_one_budget_and_plain_lists_do_not_count(login, app_ctx, low_limits):
    queue = make_queue(code="reseau")
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    c = login(tech)
    for _ in range(5):
        assert c.get("/queues/reseau").status_code == 200
    assert c.get("/mes-demandes?q=wifi").status_code == 200
    assert c.get("/queues/reseau?q=wifi").status_code == 200
    assert c.get("/queues/reseau?q=zoom").status_code == 200
    blocked = c.get("/queues/reseau?q=imprimante")
    assert blocked.status_code == 429
    assert "instant avant de réessayer" in blocked.text
    assert c.get("/queues/reseau").status_code == 200


def test_catalogue_form_posts_are_limited(login, app_ctx, low_limits):
    c = login(make_user())
    # The form itself (GET) is not counted; each POST is, whatever its answer.
    statuses = [c.submit("/catalogue/no-such-form", {}).status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]


def test_refreshing_a_forms_place_lists_spends_no_submission(login, app_ctx, low_limits):
    """Without JavaScript, "Refresh lists" posts the form to narrow its lists: nothing is
    saved, so five of them leave the three posts of the budget untouched."""
    from tests.support.factories import make_request_type

    make_request_type(slug="reseau-panne", form_key="network_problem")
    c = login(make_user())
    for _ in range(5):
        answer = c.submit("/catalogue/reseau-panne", {"refresh": "1"})
        assert answer.status_code == 200, answer.status_code
    statuses = [c.submit("/catalogue/no-such-form", {}).status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]


def test_with_redis_unreachable_pages_still_answer(app, test_env):
    """A Redis outage must not turn every page into an error: limits are then skipped."""
    import os

    from config import TestingConfig
    from desk import create_app

    env = {**os.environ, "DESK_TEST_REDIS_URL": "redis://127.0.0.1:1/0"}  # nobody listens
    cut_off = create_app(TestingConfig(env))
    from tests.conftest import Client

    # create_app made its own Celery app current: put the session's back (tasks called in
    # process by later tests would run in the cut-off app's context).
    app.extensions["celery"].set_default()
    app.extensions["celery"].set_current()
    cut_off.test_client_class = Client
    c = cut_off.test_client()
    assert c.get("/login").status_code == 200
    # The login limit and the per-account throttling both need Redis; the answer is still
    # the ordinary one.
    response = c.submit("/login", {"email": "nobody@umontpellier.fr", "password": "x"})
    assert response.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect" in response.text


def test_people_behind_one_address_each_have_their_own_budget(login, app_ctx, low_limits):
    """A campus NAT (or the service centre's counter) puts many people behind one address:
    each signed-in account is counted as itself."""
    nat = {"REMOTE_ADDR": "192.0.2.80"}
    first, second = login(make_user()), login(make_user())
    for client in (first, second):
        statuses = [
            client.submit("/catalogue/no-such-form", {}, environ_base=nat).status_code
            for _ in range(3)
        ]
        assert statuses == [404, 404, 404]
    assert first.submit("/catalogue/no-such-form", {}, environ_base=nat).status_code == 429
    # Changing address does not reset an account's budget.
    other = {"REMOTE_ADDR": "198.51.100.81"}
    assert first.submit("/catalogue/no-such-form", {}, environ_base=other).status_code == 429
