"""Retention of accounts: a deactivated account is anonymised a retention period after it
ended, cannot be renamed or brought back, and reactivating one in time clears the day."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import update

from desk.auth.models import User
from desk.core.db import utcnow
from desk.extensions import db
from desk.identity.models import DirectoryLink
from desk.privacy import sweep
from desk.tickets.models import Ticket
from tests.support.factories import make_ticket, make_user


def test_a_deactivated_account_is_anonymised_a_retention_later(app, desk, login):
    leaver = make_user("leo.petit@etu.umontpellier.fr", name="Léo Petit")
    leaver.phone = "+33467141234"
    leaver.browser_locale = "en"
    db.session.add(DirectoryLink(user_id=leaver.id, login="lpetit", dn="uid=lpetit,ou=people"))
    db.session.commit()
    old = make_ticket(queue=desk.network, requester=leaver, subject="Wi-Fi", status="closed")
    admin = login(desk.admin)
    response = admin.submit(
        f"/admin/accounts/{leaver.id}/deactivate", {}, page=f"/admin/accounts/{leaver.id}"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, leaver.id).deactivated_at is not None
    assert sweep.erase_expired().accounts == 0  # ended today: kept for its period

    db.session.execute(
        update(User)
        .where(User.id == leaver.id)
        .values(deactivated_at=utcnow() - dt.timedelta(days=366))
    )
    db.session.commit()
    assert sweep.overdue()["account"] == 1
    assert sweep.erase_expired().accounts == 1
    db.session.expire_all()
    user = db.session.get(User, leaver.id)
    assert user.display_name == "—" and user.email == f"erased-{leaver.id}@desk.invalid"
    assert user.phone is None and user.password_hash == "" and user.erased_at is not None
    assert user.browser_locale is None
    assert db.session.get(DirectoryLink, leaver.id) is None
    assert db.session.get(Ticket, old.id).requester_id == leaver.id  # still counted, tied to nobody
    # The admin page says so; the account cannot be brought back.
    page = admin.get(f"/admin/accounts/{leaver.id}").text
    assert "<h1>Compte anonymisé</h1>" in page and "anonymisé le" in page
    assert "Réactiver" not in page and 'name="display_name"' not in page
    renamed = admin.submit(
        f"/admin/accounts/{leaver.id}",
        {"display_name": "Léo Petit", "role": "requester", "is_staff": "y"},
        page="/admin/accounts",
    )
    assert renamed.status_code == 400 and "Ce compte a été anonymisé" in renamed.text
    db.session.expire_all()
    assert db.session.get(User, leaver.id).display_name == "—"
    response = admin.submit(
        f"/admin/accounts/{leaver.id}/reactivate", {}, page=f"/admin/accounts/{leaver.id}"
    )
    db.session.expire_all()
    assert db.session.get(User, leaver.id).is_active_account is False
    assert "Ce compte a été anonymisé" in admin.get(response.location).text
    # Nobody signs in with the old address.
    assert not _can_sign_in(app, "leo.petit@etu.umontpellier.fr")


def _can_sign_in(app, email: str) -> bool:
    client = app.test_client()
    page = client.get("/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"email": email, "password": "password", "csrf_token": token}
    )
    return response.status_code == 302


def test_reactivating_clears_the_day_it_ended(desk, login):
    user = make_user("revient@umontpellier.fr")
    admin = login(desk.admin)
    admin.submit(f"/admin/accounts/{user.id}/deactivate", {}, page=f"/admin/accounts/{user.id}")
    admin.submit(f"/admin/accounts/{user.id}/reactivate", {}, page=f"/admin/accounts/{user.id}")
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.is_active_account and user.deactivated_at is None
