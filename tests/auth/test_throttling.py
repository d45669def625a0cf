"""Login failures slow down one login from one address, never the account's owner."""

from __future__ import annotations

from tests.support.factories import make_user

ATTACKER = {"REMOTE_ADDR": "203.0.113.9"}
OWNER = {"REMOTE_ADDR": "198.51.100.20"}


def _try(client, email, password, env):
    client.get("/login")
    data = {"email": email, "password": password, "csrf_token": client.last_csrf}
    return client.post("/login", data=data, environ_base=env)


def test_five_failures_make_that_address_wait_even_with_the_right_password(client, app_ctx):
    user = make_user("carol@umontpellier.fr")
    for _ in range(5):
        assert _try(client, user.email, "bad", ATTACKER).status_code == 401
    blocked = _try(client, user.email, "password", ATTACKER)
    assert blocked.status_code == 429
    assert "Trop de tentatives" in blocked.text
    assert 'id="email-error"' in blocked.text
    assert 0 < int(blocked.headers["Retry-After"]) <= 900


def test_the_owner_logs_in_from_elsewhere_while_an_attacker_is_blocked(client, app, app_ctx):
    user = make_user("dan@umontpellier.fr")
    for _ in range(6):
        _try(client, user.email, "bad", ATTACKER)
    assert _try(client, user.email, "password", OWNER).status_code == 302


def test_unknown_and_blocked_logins_get_the_same_answers(client, app_ctx):
    user = make_user("erin@umontpellier.fr")
    real = [_try(client, user.email, "bad", ATTACKER) for _ in range(6)]
    ghost = [_try(client, "ghost@umontpellier.fr", "bad", ATTACKER) for _ in range(6)]
    assert [r.status_code for r in real] == [r.status_code for r in ghost] == [401] * 5 + [429]
    assert _body(real[-1], user.email) == _body(ghost[-1], "ghost@umontpellier.fr")
    assert _body(real[0], user.email) == _body(ghost[0], "ghost@umontpellier.fr")


def _body(response, email):
    import re

    text = response.text.replace(email, "X")
    return re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", text)


def test_inactive_accounts_answer_like_a_wrong_password(client, app_ctx):
    user = make_user("frank@umontpellier.fr", is_active=False)
    response = _try(client, user.email, "password", OWNER)
    assert response.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect" in response.text


def test_success_resets_the_count(client, app_ctx):
    user = make_user("gina@umontpellier.fr")
    for _ in range(4):
        _try(client, user.email, "bad", OWNER)
    assert _try(client, user.email, "password", OWNER).status_code == 302
    client.get("/home")
    client.post("/logout", data={"csrf_token": client.last_csrf})
    for _ in range(4):
        assert _try(client, user.email, "bad", OWNER).status_code == 401
    assert _try(client, user.email, "password", OWNER).status_code == 302


def test_a_frozen_redis_holds_one_sign_in_not_each(app, test_env, app_ctx):
    """A hung Redis (SIGSTOP: connections accepted, never answered) cost each sign-in two to
    three timeouts (the count read, then counted or cleared): at the morning's rush every web
    worker waited on it. Now the first waits; the next ones skip the count at once, and it is
    kept again once Redis answers."""
    import time

    from desk import create_app
    from desk.auth.services import THROTTLE_REST_SECONDS
    from tests.conftest import Client
    from tests.support.redis_server import RedisServer

    server = RedisServer().start()
    try:
        application = create_app({"REDIS_URL": server.url})
        # create_app made its own Celery app current: put the session's back for later tests.
        app.extensions["celery"].set_default()
        app.extensions["celery"].set_current()
        application.test_client_class = Client
        client = application.test_client()
        user = make_user("hugo@umontpellier.fr")
        timeout = application.config["REDIS_TIMEOUT"]

        def timed(password: str) -> tuple[int, float]:
            client.get("/login")
            started = time.monotonic()
            response = _try(client, user.email, password, ATTACKER)
            return response.status_code, time.monotonic() - started

        server.freeze()
        try:
            first, *others = [timed("bad") for _ in range(6)] + [timed("password")]
        finally:
            server.thaw()
        assert first[0] == 401 and first[1] >= timeout * 0.9
        # Six wrong passwords in all, none counted, and no wait for Redis.
        assert [status for status, _ in others] == [401] * 5 + [302], others
        assert max(seconds for _, seconds in others) < timeout / 2, others

        client = application.test_client()  # signed out
        time.sleep(THROTTLE_REST_SECONDS)  # Redis answers again: failures count again
        assert [timed("bad")[0] for _ in range(5)] == [401] * 5
        assert timed("password")[0] == 429
    finally:
        server.stop()
