"""The same new person's two first sign-ins at the same moment (two tabs, two browsers)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from desk.auth.models import Role, User
from desk.extensions import db
from desk.identity.models import CasSession, DirectoryLink
from tests.identity.conftest import callback_path, cas_ticket, desk_service, new_browser

LEO = "leo.petit@etu.umontpellier.fr"


def test_two_first_sign_ins_at_once_end_in_one_account(cas_app, cas, slapd, app_ctx, monkeypatch):
    """Léo, who never signed in, opens desk in two tabs and signs in to both at once: both
    found no account and made one; the second's insert waited for the first's commit, met
    the unique address and got "Someone else changed this item" (409). It now takes the
    account the first made: both end signed in to the one account, each with its session."""
    import desk.identity.views as views

    together = threading.Barrier(2, timeout=30)
    make = views.account_for_identity

    def after_both_identified(found):
        # Each tab has found no account for Léo before either makes it: the race, every time.
        together.wait()
        return make(found)

    monkeypatch.setattr(views, "account_for_identity", after_both_identified)
    browsers = [new_browser(cas_app) for _ in range(2)]
    callbacks = []
    for browser in browsers:
        service = desk_service(browser, cas)
        callbacks.append(callback_path(service, cas_ticket(cas, service, "lpetit")))

    def sign_in(i: int) -> int:
        return browsers[i].get(callbacks[i]).status_code

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(sign_in, range(2))) == [302, 302]
    db.session.expire_all()
    users = db.session.scalars(select(User).filter_by(email=LEO)).all()
    assert len(users) == 1 and users[0].role is Role.REQUESTER
    leo = users[0]
    assert db.session.get(DirectoryLink, leo.id).login == "lpetit"
    assert db.session.scalar(select(func.count(CasSession.ticket)).filter_by(user_id=leo.id)) == 2
    for browser in browsers:
        home = browser.get("/home")
        assert home.status_code == 200 and "Léo Petit" in home.text
