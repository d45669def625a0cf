"""`flask desk break-glass` and `flask desk sync-directory`."""

from __future__ import annotations

from desk.auth.models import Role
from desk.extensions import db
from tests.identity.conftest import sign_in_everyone
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


def test_sync_directory_command_says_why_it_changed_nothing(cas_app, cas, slapd, app_ctx):
    """A failed or stopped sync printed "sync failed: " and nothing after it, or raw counts:
    the admin running it by hand read no reason. It now says what happened; exit 1."""
    sign_in_everyone(cas_app, cas)
    cas_app.config["DIRECTORY_MAX_DEACTIVATE_PERCENT"] = 30
    slapd.delete("lpetit")
    slapd.delete("cmartin")
    result = cas_app.test_cli_runner().invoke(args=["desk", "sync-directory"])
    assert result.exit_code == 1
    assert (
        "sync stopped: it would deactivate 2 of 4 active accounts, more than "
        "DESK_DIRECTORY_MAX_DEACTIVATE_PERCENT=30 allows; nothing was changed "
        "(2 directory entries read)"
    ) in result.output
    slapd.stop()
    result = cas_app.test_cli_runner().invoke(args=["desk", "sync-directory"])
    assert result.exit_code == 1
    assert "sync failed: the directory did not answer" in result.output
