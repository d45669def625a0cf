"""A directory sync that an unexpected error stops is recorded as failed, not lost."""

from __future__ import annotations

import json

from sqlalchemy import select

from desk.auth.models import User
from desk.core.logs import request_id_var
from desk.extensions import db
from desk.identity import sync as sync_module
from desk.identity.models import DirectorySync
from desk.identity.sync import queue_sync
from tests.identity.conftest import cas_sign_in, new_browser

SECRET = "claire.martin@umontpellier.fr owes 42"


def _break_the_sync(monkeypatch):
    """No entry or mapping of the real directory makes the sync raise (each is handled), so
    the last resort: the function that applies an entry to its account raises, after the sync
    has changed things, with a message holding a person's data."""

    def broken(*args, **kwargs):
        raise LookupError(SECRET)

    monkeypatch.setattr(sync_module, "apply_person", broken)


def test_a_sync_an_unexpected_error_stops_is_recorded_as_failed(
    cas_app, cas, slapd, admin_client, app_ctx, monkeypatch, capsys
):
    assert cas_sign_in(new_browser(cas_app), cas, "cmartin").status_code == 302
    slapd.modify("cmartin", displayName="Claire Martin-Roux")
    _break_the_sync(monkeypatch)
    # "Sync now": queued by an admin, then run by the worker (here, in this process).
    admin = db.session.scalar(select(User).filter_by(email="root@umontpellier.fr"))
    queued = queue_sync(actor=admin).id
    db.session.commit()
    # The task as this app's Celery runs it (in this app's context): the module's name for
    # it is bound to the last app built in the process, which another test may have made.
    sync_directory_task = cas_app.extensions["celery"].tasks["desk.identity.sync_directory"]
    token = request_id_var.set("req-sync-now")
    try:
        assert sync_directory_task(queued) == "failed"
        # The nightly run (no run asked for) leaves a row too.
        assert sync_directory_task() == "failed"
    finally:
        request_id_var.reset(token)
    db.session.expire_all()
    runs = db.session.scalars(select(DirectorySync).order_by(DirectorySync.id)).all()
    assert [(r.status, r.reason, r.reason_data) for r in runs] == [
        ("failed", "error", {"error": "LookupError"})
    ] * 2
    assert runs[0].actor_id == admin.id and runs[1].actor_id is None
    assert all(r.finished_at is not None for r in runs)
    # Rolled back: nothing the broken sync did stays.
    claire = db.session.scalar(select(User).filter_by(email="claire.martin@umontpellier.fr"))
    assert claire.display_name == "Claire Martin"
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "{" in line]
    errors = [line for line in lines if line.get("level") == "ERROR"]
    assert errors and all(line["request_id"] == "req-sync-now" for line in errors)
    assert "directory sync failed" in errors[0]["message"]

    # French: fails until the lead translates the two new messages.
    page = admin_client.get("/admin/identity")
    assert 'data-sync-alert="failed"' in page.text
    assert SECRET not in page.text
    assert (
        "La dernière synchronisation a échoué : une erreur inattendue l’a interrompue ; "
        "consultez les journaux." in page.text
    )
    assert "échec : une erreur inattendue (LookupError) ; consultez les journaux" in page.text
    admin.locale = "en"
    db.session.commit()
    english = admin_client.get("/admin/identity").text
    assert "The last sync failed: an unexpected error stopped it; see the logs." in english
    assert "failed: an unexpected error (LookupError); see the logs" in english
