"""The break-glass login (passwords are off, the CAS signs people in) is for emergency
administrators only: anyone else's right password is a failed login like a wrong one.

It used to be a sign-in the page then refused: the account's last login was written and its
failures for that address were wiped, so a right guess made the next tries from that address
answer past the lock (each failure then costs a scrypt check, a throttled one does not), which
a guesser could time, for a password that cannot sign in here anyway.
"""

from __future__ import annotations

from desk.auth.models import Role
from desk.extensions import db
from tests.support.factories import make_user


def test_a_right_password_of_a_plain_account_counts_as_a_failure(app, client, app_ctx):
    saved = {key: app.config[key] for key in ("AUTH", "CAS_URL", "LOGIN_MAX_FAILURES")}
    # The CAS owns sign-in (its server is not needed: the break-glass page never asks it).
    app.config.update(AUTH="cas", CAS_URL="https://cas.example.org/cas", LOGIN_MAX_FAILURES=3)
    try:
        user = make_user("legacy@umontpellier.fr", role=Role.ADMIN)  # not flagged break-glass
        flagged = make_user("rescue@umontpellier.fr", role=Role.ADMIN)
        flagged.is_break_glass = True
        db.session.commit()
        for attempt in range(3):
            response = client.submit("/login/local", {"email": user.email, "password": "password"})
            assert response.status_code == 401, attempt
        db.session.refresh(user)
        assert user.last_login_at is None  # nobody signed in
        # An emergency account from the same address is not concerned by that account's lock.
        rescue = client.submit("/login/local", {"email": flagged.email, "password": "password"})
        assert rescue.status_code == 302
        # Passwords on again: three failures locked the pair, right password or not (the
        # same address, another browser).
        app.config["AUTH"] = "local"
        other = app.test_client()
        locked = other.submit("/login", {"email": user.email, "password": "password"})
        assert locked.status_code == 429
    finally:
        app.config.update(saved)


def test_break_glass_attempts_share_the_login_limit_of_the_address(app, client, app_ctx):
    """With the CAS on, /login/local is desk's one password form, for administrators: it had
    no limit per address, so a guesser could try password after password over every account
    (each one's own lock only stops five tries on that one) while /login answered 429."""
    keys = ("AUTH", "CAS_URL", "RATELIMIT_LOGIN")
    saved = {key: app.config[key] for key in keys}
    app.config.update(
        AUTH="cas", CAS_URL="https://cas.example.org/cas", RATELIMIT_LOGIN="3 per minute"
    )
    try:
        env = {"REMOTE_ADDR": "203.0.113.60"}
        client.get("/login/local", headers={"Accept-Language": "en"})
        statuses = [
            client.post(
                "/login/local",
                data={"email": f"u{i}@umontpellier.fr", "password": "x"}
                | {"csrf_token": client.last_csrf},
                environ_base=env,
                headers={"Accept-Language": "en"},
            )
            for i in range(4)
        ]
        assert [r.status_code for r in statuses] == [401, 401, 401, 429]
        assert "Too many requests" in statuses[-1].text
        assert int(statuses[-1].headers["Retry-After"]) > 0
        # The same budget as /login's, whichever page the tries were made on.
        app.config["AUTH"] = "local"
        form = client.post(
            "/login",
            data={"email": "a@umontpellier.fr", "password": "x", "csrf_token": client.last_csrf},
            environ_base=env,
        )
        assert form.status_code == 429
    finally:
        app.config.update(saved)


def _signed_in(client) -> bool:
    return client.get("/preferences/notifications").status_code == 200


def test_a_break_glass_session_ends_with_the_flag_or_the_administrator_role(app, app_ctx):
    """A session opened on the break-glass page held on after the account lost what let it
    open there (the flag, removed from the command line; the administrator role, from the
    admin page, the directory or the reference file): its holder stayed signed in with a
    password that signs nobody in any more. Deactivation already ended it (kept here)."""
    from desk.admin.accounts import update_account
    from desk.auth.services import deactivate_user
    from desk.identity.services import set_break_glass

    saved = {key: app.config[key] for key in ("AUTH", "CAS_URL")}
    app.config.update(AUTH="cas", CAS_URL="https://cas.example.org/cas")
    try:
        chief = make_user("chief-bg@umontpellier.fr", role=Role.ADMIN)
        changes = {
            "flag removed": lambda user: set_break_glass(user, False, actor=chief),
            "no longer an administrator": lambda user: update_account(
                user,
                display_name=user.display_name,
                role=Role.TECHNICIAN,
                is_staff=True,
                actor=chief,
            ),
            "deactivated": lambda user: deactivate_user(user, actor=chief),
        }
        still_signed_in = []
        for name, change in changes.items():
            rescue = make_user(f"rescue-{len(still_signed_in)}@umontpellier.fr", role=Role.ADMIN)
            rescue.is_break_glass = True
            bystander = make_user(role=Role.ADMIN)  # flagged, untouched: stays signed in
            bystander.is_break_glass = True
            db.session.commit()
            client, other = app.test_client(), app.test_client()
            for who, browser in ((rescue, client), (bystander, other)):
                sent = browser.submit("/login/local", {"email": who.email, "password": "password"})
                assert sent.status_code == 302, name
                assert _signed_in(browser), name
            change(db.session.get(type(rescue), rescue.id))
            db.session.commit()
            still_signed_in.append((name, _signed_in(client), _signed_in(other)))
        assert still_signed_in == [(name, False, True) for name in changes]
    finally:
        app.config.update(saved)


def test_a_password_session_outlives_the_flag_when_passwords_sign_in(app, app_ctx):
    """Without the CAS, /login is the password form for everyone: its sessions never
    depended on the break-glass flag, and removing the flag leaves them alone."""
    from desk.identity.services import set_break_glass

    rescue = make_user("rescue-local@umontpellier.fr", role=Role.ADMIN)
    rescue.is_break_glass = True
    db.session.commit()
    client = app.test_client()
    assert client.login(rescue.email).status_code == 302
    set_break_glass(db.session.get(type(rescue), rescue.id), False, actor=None)
    db.session.commit()
    assert _signed_in(client)


def test_a_break_glass_session_still_ends_with_the_flag_after_a_password_change(app, app_ctx):
    """Changing the password on a break-glass session started that browser's session again
    as an ordinary one: it then held on after the flag or the administrator role went, which
    ended every other break-glass session (above)."""
    from desk.identity.services import set_break_glass

    saved = {key: app.config[key] for key in ("AUTH", "CAS_URL")}
    app.config.update(AUTH="cas", CAS_URL="https://cas.example.org/cas")
    try:
        rescue = make_user("rescue-pw@umontpellier.fr", role=Role.ADMIN)
        rescue.is_break_glass = True
        db.session.commit()
        client = app.test_client()
        sent = client.submit("/login/local", {"email": rescue.email, "password": "password"})
        assert sent.status_code == 302
        new = "a-new-passphrase"
        changed = client.submit(
            "/account/password",
            {"current_password": "password", "new_password": new, "confirm": new},
        )
        assert changed.status_code == 302
        assert _signed_in(client)  # the password change keeps this browser signed in
        set_break_glass(db.session.get(type(rescue), rescue.id), False, actor=None)
        db.session.commit()
        assert not _signed_in(client)
    finally:
        app.config.update(saved)
