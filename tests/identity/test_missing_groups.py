"""A group of the role mapping missing from the directory, while the others are there."""

from __future__ import annotations

import logging
import re

from sqlalchemy import select

from desk.auth.models import Role
from desk.extensions import db
from desk.identity.directory import get_directory
from desk.identity.sync import sync_directory
from tests.identity.conftest import (
    cas_sign_in,
    new_browser,
    run_sync,
    sign_in_everyone,
    user_by_email,
)
from tests.support.slapd import GROUPS, GROUPS_DN

KARIM = "tech.reseau@umontpellier.fr"
TOKEN = {"Authorization": "Bearer missing-groups-token"}


def _failing(app) -> float:
    text = app.test_client().get("/metrics", headers=TOKEN).text
    match = re.search(r"^desk_directory_sync_failing (\S+)$", text, re.M)
    assert match, text
    return float(match.group(1))


def _alert(page: str) -> str:
    match = re.search(r'<div [^>]*data-sync-alert="failed"[^>]*>(.*?)</div>', page, re.S)
    assert match, page
    return match.group(1)


def test_one_group_renamed_demotes_nobody_and_names_it(
    cas_app, cas, slapd, admin_client, app_ctx, caplog
):
    """The directory's team renames desk-reseau (or deletes it by mistake) and keeps
    desk-admins: the sync read the missing group as "nobody is in it" and, overnight, Karim
    was a requester, out of his queue, his ticket given back unassigned; a sign-in did the
    same. Such a run now fails and changes nothing, its ERROR line and the admin page name
    the group, and the failing metric shows it until a sync sees the group again."""
    from desk.reference.models import Queue
    from desk.tickets.models import Ticket
    from tests.support.factories import make_ticket

    cas_app.config["METRICS_TOKEN"] = "missing-groups-token"
    sign_in_everyone(cas_app, cas)
    karim = user_by_email(KARIM)
    network = db.session.scalar(select(Queue).filter_by(code="reseau"))
    claire = user_by_email("claire.martin@umontpellier.fr")
    held = make_ticket(queue=network, requester=claire, assignee=karim, status="in_progress")
    with slapd.admin() as conn:
        assert conn.delete(f"cn=desk-reseau,{GROUPS_DN}"), conn.result
    slapd.modify("cmartin", displayName="Claire Martin-Roux")
    with caplog.at_level(logging.ERROR, logger="desk.identity.sync"):
        run = run_sync(cas_app)
    assert run.status == "failed"
    assert (run.reason, run.reason_data) == ("groups_missing", {"groups": ["desk-reseau"]})
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("desk-reseau" in line and "desk-admins" not in line for line in errors), errors
    karim = user_by_email(KARIM)
    assert karim.role is Role.TECHNICIAN and "reseau" in {m.queue.code for m in karim.memberships}
    assert db.session.get(Ticket, held.id).assignee_id == karim.id
    assert user_by_email("claire.martin@umontpellier.fr").display_name == "Claire Martin"
    assert _failing(cas_app) == 1
    alert = _alert(admin_client.get("/admin/identity").text)
    assert "desk-reseau" in alert and "desk-admins" not in alert

    # Karim signs in meanwhile: still a technician in his queue.
    assert cas_sign_in(new_browser(cas_app), cas, "kbenali").status_code == 302
    karim = user_by_email(KARIM)
    assert karim.role is Role.TECHNICIAN and "reseau" in {m.queue.code for m in karim.memberships}

    slapd.add_group("desk-reseau", GROUPS["desk-reseau"])
    assert run_sync(cas_app).status == "ok"
    assert user_by_email(KARIM).role is Role.TECHNICIAN
    assert user_by_email("claire.martin@umontpellier.fr").display_name == "Claire Martin-Roux"
    assert _failing(cas_app) == 0
    assert 'data-sync-alert="failed"' not in admin_client.get("/admin/identity").text


def test_the_command_names_the_missing_group(cas_app, cas, slapd, app_ctx):
    sign_in_everyone(cas_app, cas)
    with slapd.admin() as conn:
        assert conn.delete(f"cn=desk-admins,{GROUPS_DN}"), conn.result
    result = cas_app.test_cli_runner().invoke(args=["desk", "sync-directory"])
    assert result.exit_code == 1
    assert "no group desk-admins of the role mapping" in result.output
    assert user_by_email("admin.annuaire@umontpellier.fr").role is Role.ADMIN


def test_a_failed_run_keeps_no_stale_reason(cas_app, cas, slapd, app_ctx):
    """A queued run (an admin's "sync now") that fails then succeeds is one row each time."""
    sign_in_everyone(cas_app, cas)
    with slapd.admin() as conn:
        assert conn.delete(f"cn=desk-reseau,{GROUPS_DN}"), conn.result
    run = sync_directory(get_directory(cas_app.config))
    db.session.commit()
    assert run.reason == "groups_missing"
    slapd.add_group("desk-reseau", GROUPS["desk-reseau"])
    again = sync_directory(get_directory(cas_app.config), run_id=run.id)
    db.session.commit()
    assert (again.status, again.reason, again.reason_data) == ("ok", None, None)


ENGLISH = {"Accept-Language": "en"}


def _result(page: str, run_id: int) -> str:
    match = re.search(rf'data-run="{run_id}".*?<td data-result>(.*?)</td>', page, re.S)
    assert match, page
    return match.group(1)


def test_the_page_says_why_a_run_failed_in_the_reader_s_language(
    cas_app, cas, slapd, admin_client, app_ctx
):
    """Every failed run read "failed: directory unreachable", the one it failed on missing
    groups too, and the admin went looking for a network fault. The run keeps its reason as
    a kind and its data; the page words it in the reader's language."""
    sign_in_everyone(cas_app, cas)
    with slapd.admin() as conn:
        assert conn.delete(f"cn=desk-reseau,{GROUPS_DN}"), conn.result
    missing = run_sync(cas_app)
    page = admin_client.get("/admin/identity", headers=ENGLISH).text
    result = _result(page, missing.id)
    assert "desk-reseau" in result and "unreachable" not in result
    assert "injoignable" not in _result(admin_client.get("/admin/identity").text, missing.id)

    slapd.stop()
    down = run_sync(cas_app)
    assert down.reason == "unreachable"
    assert _result(admin_client.get("/admin/identity").text, down.id) == (
        "échec : annuaire injoignable"
    )
    page = admin_client.get("/admin/identity", headers=ENGLISH).text
    assert _result(page, down.id) == "failed: directory unreachable"
    assert "could not be reached" in _alert(page)
    # The groups' run below is still told as it was.
    assert "desk-reseau" in _result(page, missing.id)


def test_a_listing_cut_short_and_an_old_run_are_told_apart(cas_app, admin_client, app_ctx):
    from desk.identity.models import DirectorySync

    old = DirectorySync(status="failed", counts={})  # failed before desk kept reasons
    db.session.add(old)
    db.session.commit()
    page = admin_client.get("/admin/identity", headers=ENGLISH).text
    assert _result(page, old.id) == "failed: directory unreachable"
    cut = DirectorySync(status="failed", counts={}, reason="cut_short")
    db.session.add(cut)
    db.session.commit()
    page = admin_client.get("/admin/identity", headers=ENGLISH).text
    assert _result(page, cut.id) == "failed: the directory cut its answer short"
    assert "size or time limit" in _alert(page)
