"""`flask desk create-user`."""

from __future__ import annotations

from sqlalchemy import select

from desk.auth.models import Role, User
from desk.extensions import db
from tests.support.factories import make_domain, make_queue


def test_create_technician_in_a_queue_who_can_then_log_in(app, app_ctx, client):
    make_queue(make_domain("it"), "reseau")
    result = app.test_cli_runner().invoke(
        args=[
            "desk",
            "create-user",
            "Tech@Umontpellier.fr",
            "--role",
            "technician",
            "--queue",
            "reseau",
            "--password",
            "s3cret-pass",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).filter_by(email="tech@umontpellier.fr"))
    assert user.role is Role.TECHNICIAN
    assert [m.queue.code for m in user.memberships] == ["reseau"]
    assert user.password_hash.startswith("scrypt:")
    assert client.login("tech@umontpellier.fr", "s3cret-pass").status_code == 302


def test_unknown_queue_is_an_error(app, app_ctx):
    result = app.test_cli_runner().invoke(
        args=[
            "desk",
            "create-user",
            "x@umontpellier.fr",
            "--role",
            "technician",
            "--queue",
            "ghost",
            "--password",
            "s3cret-pass",
        ]
    )
    assert result.exit_code != 0
    assert "unknown queue(s): ghost" in result.output
    assert db.session.scalar(select(User)) is None


def test_requester_cannot_join_a_queue(app, app_ctx):
    make_queue(make_domain("it"), "reseau")
    result = app.test_cli_runner().invoke(
        args=[
            "desk",
            "create-user",
            "x@umontpellier.fr",
            "--queue",
            "reseau",
            "--password",
            "abcdefgh",
        ]
    )
    assert result.exit_code != 0
    assert "requester cannot be a member" in result.output


def test_short_password_is_refused(app, app_ctx):
    result = app.test_cli_runner().invoke(
        args=["desk", "create-user", "x@umontpellier.fr", "--password", "short"]
    )
    assert result.exit_code != 0
    assert db.session.scalar(select(User)) is None
