"""The identity admin page: last sync and entry of each account, conflicts, "sync now"."""

from __future__ import annotations

import time

from sqlalchemy import select

from desk.auth.models import Role, User
from desk.extensions import db
from desk.identity.models import DirectoryConflict, DirectorySync
from tests.identity.conftest import cas_sign_in
from tests.support.factories import make_user
from tests.support.worker import WorkerProcess


def test_only_admins_see_the_page_or_start_a_sync(app, client, login, app_ctx):
    assert client.get("/admin/identity").status_code == 302
    tech = login(make_user(role=Role.TECHNICIAN))
    assert tech.get("/admin/identity").status_code == 403
    assert tech.post("/admin/identity/sync", data={"csrf_token": tech.last_csrf}).status_code == 403
    assert db.session.scalar(select(db.func.count(DirectorySync.id))) == 0


def test_page_shows_each_account_entry_last_sync_and_conflicts(cas_app, cas, admin_client, app_ctx):
    browser = type(cas_app.test_client())(cas_app, cas_app.response_class)
    assert cas_sign_in(browser, cas, "cmartin").status_code == 302
    claire = db.session.scalar(select(User).filter_by(email="claire.martin@umontpellier.fr"))
    db.session.add(
        DirectoryConflict(
            user_id=claire.id, field="role", local_value="admin", directory_value="requester"
        )
    )
    db.session.commit()
    page = admin_client.get("/admin/identity")
    assert page.status_code == 200
    assert 'data-account="claire.martin@umontpellier.fr"' in page.text
    assert "uid=cmartin,ou=people,dc=umontpellier,dc=fr" in page.text
    assert "<time datetime=" in page.text
    assert 'data-conflict="claire.martin@umontpellier.fr:role"' in page.text
    assert "Synchroniser maintenant" in page.text


def test_sync_now_needs_a_csrf_token(cas_app, admin_client, app_ctx):
    admin_client.get("/admin/identity")
    assert admin_client.post("/admin/identity/sync").status_code == 400
    assert db.session.scalar(select(db.func.count(DirectorySync.id))) == 0


def test_sync_now_runs_in_a_real_worker(cas_app, cas, slapd, admin_client, app_ctx, test_env):
    browser = type(cas_app.test_client())(cas_app, cas_app.response_class)
    assert cas_sign_in(browser, cas, "cmartin").status_code == 302
    slapd.modify("cmartin", displayName="Claire Martin-Roux")
    env = {
        **test_env,
        "DESK_LDAP_URL": slapd.url,
        "DESK_LDAP_BIND_DN": cas_app.config["LDAP_BIND_DN"],
        "DESK_LDAP_BIND_PASSWORD": cas_app.config["LDAP_BIND_PASSWORD"],
        "DESK_LDAP_PEOPLE_DN": cas_app.config["LDAP_PEOPLE_DN"],
        "DESK_LDAP_GROUPS_DN": cas_app.config["LDAP_GROUPS_DN"],
    }
    worker = WorkerProcess(env).start()
    try:
        response = admin_client.submit("/admin/identity/sync", page="/admin/identity")
        assert response.status_code == 302
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            db.session.expire_all()
            run = db.session.scalar(select(DirectorySync))
            if run.status not in ("queued", "running"):
                break
            time.sleep(0.2)
    finally:
        worker.stop()
    assert run.status == "ok", worker.output()
    assert run.actor.email == "root@umontpellier.fr"
    claire = db.session.scalar(select(User).filter_by(email="claire.martin@umontpellier.fr"))
    assert claire.display_name == "Claire Martin-Roux"
    page = admin_client.get("/admin/identity")
    assert f'data-run="{run.id}" data-status="ok"' in page.text


def test_a_stopped_sync_is_an_alert_on_the_page(cas_app, admin_client, app_ctx):
    db.session.add(DirectorySync(status="stopped", counts={"would_deactivate": 40, "active": 100}))
    db.session.commit()
    page = admin_client.get("/admin/identity")
    assert 'data-sync-alert="stopped"' in page.text
    assert "40 comptes sur 100" in page.text


def test_take_the_directory_value_of_a_conflict(cas_app, cas, admin_client, app_ctx):
    from desk.identity.directory import get_directory
    from desk.identity.sync import sync_directory

    browser = type(cas_app.test_client())(cas_app, cas_app.response_class)
    assert cas_sign_in(browser, cas, "kbenali").status_code == 302
    karim = db.session.scalar(select(User).filter_by(email="tech.reseau@umontpellier.fr"))
    karim.role = Role.ADMIN  # changed by hand in desk
    db.session.commit()
    sync_directory(get_directory(cas_app.config))
    db.session.commit()
    assert db.session.scalar(select(DirectoryConflict).filter_by(user_id=karim.id))
    url = f"/admin/identity/conflicts/{karim.id}/directory"
    assert admin_client.submit(url, page="/admin/identity").status_code == 302
    sync_directory(get_directory(cas_app.config))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, karim.id).role is Role.TECHNICIAN
    assert db.session.scalar(select(DirectoryConflict).filter_by(user_id=karim.id)) is None
    for bad in ("999999", "99999999999"):
        response = admin_client.submit(
            f"/admin/identity/conflicts/{bad}/directory", page="/admin/identity"
        )
        assert response.status_code == 404
