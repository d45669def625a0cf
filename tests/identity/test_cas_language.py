"""A CAS sign-in remembers the language the browser asks for, as a password login does: the
e-mails have no browser to ask (desk.auth.language)."""

from __future__ import annotations

from sqlalchemy import select

from desk.auth.models import User
from desk.extensions import db
from tests.identity.conftest import cas_sign_in


def test_the_browser_s_language_is_remembered_at_sign_in(cas_app, client, cas, app_ctx):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"
    assert cas_sign_in(client, cas, "lpetit").status_code == 302
    db.session.expire_all()
    user = db.session.scalar(select(User).filter_by(email="leo.petit@etu.umontpellier.fr"))
    assert user.browser_locale == "en"
