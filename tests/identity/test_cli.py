"""`flask desk break-glass` and `flask desk sync-directory`."""

from __future__ import annotations

from desk.auth.models import Role
from desk.extensions import db
from tests.support.factories import make_user


def test_break_glass_only_for_admins(app, app_ctx):
    admin = make_user("root@umontpellier.fr", role=Role.ADMIN)
    make_user("someone@umontpellier.fr")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["desk", "break-glass", "root@umontpellier.fr"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert admin.is_break_glass is True
    refused = runner.invoke(args=["desk", "break-glass", "someone@umontpellier.fr"])
    assert refused.exit_code == 1 and "administrators" in refused.output
    assert runner.invoke(args=["desk", "break-glass", "ghost@x.fr"]).exit_code == 1
    runner.invoke(args=["desk", "break-glass", "root@umontpellier.fr", "--off"])
    db.session.expire_all()
    assert admin.is_break_glass is False


def test_sync_directory_command(cas_app, slapd, app_ctx):
    make_user("claire.martin@umontpellier.fr", name="Old Name")
    result = cas_app.test_cli_runner().invoke(args=["desk", "sync-directory"])
    assert result.exit_code == 0, result.output
    assert "sync ok" in result.output and "linked 1" in result.output
    cas_app.config["LDAP_URL"] = ""
    result = cas_app.test_cli_runner().invoke(args=["desk", "sync-directory"])
    assert result.exit_code == 1 and "DESK_LDAP_URL" in result.output
