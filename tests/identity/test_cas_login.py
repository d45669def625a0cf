"""CAS login end to end (test client ↔ the CAS test server ↔ slapd): who gets in, as whom."""

from __future__ import annotations

from sqlalchemy import select

from desk.auth.models import Role, User
from desk.extensions import db
from desk.identity.models import CasSession, DirectoryLink
from tests.identity.conftest import CAS_PASSWORD, cas_sign_in
from tests.support.factories import make_user


def _user(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).filter_by(email=email))


def test_local_passwords_stay_the_default(client, app):
    assert app.config["AUTH"] == "local"
    page = client.get("/login")
    assert 'name="password"' in page.text
    assert client.get("/cas/login").status_code == 404
    assert client.get("/login/local").status_code == 302  # nothing special without CAS


def test_login_page_offers_the_cas_and_refuses_passwords(cas_app, client, app_ctx):
    page = client.get("/login?next=/catalogue")
    assert page.status_code == 200
    assert 'name="password"' not in page.text
    assert 'href="/cas/login?next=/catalogue"' in page.text
    assert "Se connecter" in page.text
    # A local account's right password is refused while CAS is on.
    make_user("claire.martin@umontpellier.fr")
    response = client.submit(
        "/login",
        {"email": "claire.martin@umontpellier.fr", "password": "password"},
        page="/login/local",
    )
    assert response.status_code == 200
    assert "Connectez-vous par le service d’authentification centralisé" in response.text
    assert client.get("/home").status_code == 302


def test_staff_member_lands_with_directory_identity(cas_app, client, cas, app_ctx):
    local = make_user("claire.martin@umontpellier.fr", name="Claire (local)", is_staff=False)
    local.password_hash = ""  # a requester made before sign-in, without a password
    db.session.commit()
    response = cas_sign_in(client, cas, "cmartin", next_path="/catalogue")
    assert response.status_code == 302
    assert response.headers["Location"] == "/catalogue"
    user = _user("claire.martin@umontpellier.fr")
    assert user.display_name == "Claire Martin"
    assert user.phone == "+33467141234"  # from telephoneNumber, stored in E.164
    assert user.is_staff is True
    link = db.session.get(DirectoryLink, user.id)
    assert link.dn == "uid=cmartin,ou=people,dc=umontpellier,dc=fr"
    assert link.entity == "DSIN"
    assert link.last_synced_at is not None
    home = client.get("/home")
    assert "Claire Martin" in home.text
    # The local account with the same e-mail was taken over, not duplicated.
    assert db.session.scalar(select(db.func.count(User.id)).where(User.email.like("claire%"))) == 1


def test_student_is_not_staff_and_sees_no_staff_only_entry(cas_app, client, cas, app_ctx):
    assert cas_sign_in(client, cas, "lpetit").status_code == 302
    user = _user("leo.petit@etu.umontpellier.fr")
    assert user.is_staff is False
    assert user.display_name == "Léo Petit"
    catalogue = client.get("/catalogue").text
    assert "licence-zoom" in catalogue
    assert "comptes-wifi-evenement" not in catalogue  # staff only
    assert client.get("/catalogue/comptes-wifi-evenement").status_code in (403, 404)


def test_directory_groups_make_technicians_with_their_queues(cas_app, client, cas, app_ctx):
    assert cas_sign_in(client, cas, "kbenali").status_code == 302
    user = _user("tech.reseau@umontpellier.fr")
    assert user.role is Role.TECHNICIAN
    memberships = {m.queue.code: m.is_lead for m in user.memberships}
    assert memberships == {
        "reseau": True,
        "reseau-triolet": False,
        "reseau-richter": False,
        "support": False,
    }


def test_new_person_gets_a_new_account(cas_app, client, cas, slapd, app_ctx):
    from tests.support.slapd import person

    slapd.add_person(
        "nmoreau",
        person("nmoreau", "Nina Moreau", "nina.moreau@umontpellier.fr", ["faculty"]),
    )
    cas.add_account("nmoreau", CAS_PASSWORD)
    assert cas_sign_in(client, cas, "nmoreau").status_code == 302
    user = _user("nina.moreau@umontpellier.fr")
    assert user.is_staff is True and user.role is Role.REQUESTER and user.phone is None
    assert db.session.scalar(select(CasSession).filter_by(user_id=user.id)) is not None
