"""Bad input at the CAS login: replayed, expired and foreign tickets, open redirects, missing
or oddly encoded attributes, LDAP filter injection, the CAS or the directory down."""

from __future__ import annotations

import unicodedata

from ldap3 import MODIFY_REPLACE
from sqlalchemy import func, select

from desk.auth.models import Role, User
from desk.extensions import db
from desk.identity.models import CasSession
from tests.identity.conftest import (
    CAS_PASSWORD,
    callback_path,
    cas_sign_in,
    cas_ticket,
    desk_service,
    new_browser,
    run_sync,
    user_by_email,
)
from tests.support.factories import make_user
from tests.support.slapd import GROUPS, GROUPS_DN

SERVICE = "http://localhost/cas/callback"


def _count_users() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(User.id)))


def test_a_replayed_ticket_is_refused(cas_app, client, cas, app_ctx):
    service = desk_service(client, cas)
    ticket = cas_ticket(cas, service, "cmartin")
    assert client.get(callback_path(service, ticket)).headers["Location"] == "/home"
    other = type(client)(cas_app, cas_app.response_class)
    replay = other.get(callback_path(service, ticket))
    assert replay.status_code == 403
    assert "Ce lien de connexion n’est plus valable" in replay.text
    assert other.get("/home").status_code == 302  # the replaying browser is not logged in


def test_desk_refuses_a_ticket_it_already_used_even_if_the_cas_accepts_it(
    cas_app, client, cas, app_ctx
):
    ticket = cas_ticket(cas, SERVICE, "cmartin")
    user = make_user("someone@umontpellier.fr")
    db.session.add(CasSession(ticket=ticket, user_id=user.id))
    db.session.commit()
    response = client.get(f"/cas/callback?ticket={ticket}")
    assert response.status_code == 403
    assert client.get("/home").status_code == 302


def test_an_expired_ticket_is_refused(cas_app, client, cas, app_ctx):
    cas.ticket_ttl = 0
    before = _count_users()
    response = cas_sign_in(client, cas, "cmartin")
    assert response.status_code == 403
    assert "a expiré" in response.text
    assert _count_users() == before


def test_a_ticket_issued_for_another_service_is_refused(cas_app, client, cas, app_ctx):
    ticket = cas_ticket(cas, "https://evil.example/cas/callback", "cmartin")
    response = client.get(f"/cas/callback?ticket={ticket}")
    assert response.status_code == 403
    assert client.get("/home").status_code == 302


def test_a_missing_or_malformed_ticket_is_a_clear_page(cas_app, client):
    for query in ("", "?ticket=", "?ticket=TGT-123", "?ticket=ST-" + "x" * 300):
        response = client.get(f"/cas/callback{query}")
        assert response.status_code == 400
        assert "La connexion n’a pas abouti" in response.text


def test_off_site_next_never_leaves_desk(cas_app, client, cas, app_ctx):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"):
        start = client.get("/cas/login", query_string={"next": target})
        assert "evil" not in start.headers["Location"]
        assert "javascript" not in start.headers["Location"]
    # A service URL carrying an off-site next, forged at the CAS: desk validates the ticket
    # against its own URL (without the next), so the CAS refuses it.
    forged = SERVICE + "?next=https%3A%2F%2Fevil.example%2F"
    ticket = cas_ticket(cas, forged, "cmartin")
    response = client.get(f"/cas/callback?next=https%3A%2F%2Fevil.example%2F&ticket={ticket}")
    assert response.status_code == 403
    assert "evil" not in response.headers.get("Location", "")
    # A same-site next is followed.
    assert (
        cas_sign_in(client, cas, "cmartin", next_path="/preferences").headers["Location"]
        == "/preferences"
    )


def test_ldap_filter_injection_through_the_login_matches_nobody(cas_app, client, cas, app_ctx):
    for login in ("*)(uid=*", "*", "cmartin)(|(uid=*"):
        cas.add_account(login, CAS_PASSWORD)
        before = _count_users()
        response = cas_sign_in(client, cas, login)
        assert response.status_code == 403, login
        assert "Votre compte ne figure pas dans l’annuaire" in response.text
        assert _count_users() == before


def test_cas_attributes_alone_make_the_account_without_a_directory(cas_app, client, cas, app_ctx):
    cas_app.config["LDAP_URL"] = ""
    cas.response_encoding = "ISO-8859-1"
    decomposed = unicodedata.normalize("NFD", "Hélène Müller-Çelik")
    cas.add_account(
        "hmuller",
        CAS_PASSWORD,
        mail=" Helene.Muller@umontpellier.fr ",
        displayName=decomposed + "\u200b\t",
        eduPersonAffiliation=["student", "member"],
    )
    assert cas_sign_in(client, cas, "hmuller").status_code == 302
    user = db.session.scalar(select(User).filter_by(email="helene.muller@umontpellier.fr"))
    assert user.display_name == "Hélène Müller-Çelik"  # NFC, invisible characters dropped
    assert user.is_staff is False


def test_cas_answer_without_an_email_is_a_clear_page(cas_app, client, cas, app_ctx):
    cas_app.config["LDAP_URL"] = ""
    cas.add_account("anon", CAS_PASSWORD, displayName="Sans Courriel")
    before = _count_users()
    response = cas_sign_in(client, cas, "anon")
    assert response.status_code == 403
    assert "Votre identité est incomplète" in response.text
    assert _count_users() == before


def test_directory_down_refuses_a_new_person_with_a_clear_page(cas_app, client, cas, slapd):
    slapd.stop()
    response = cas_sign_in(client, cas, "lpetit")
    assert response.status_code == 503
    assert "L’annuaire de l’université ne répond pas" in response.text
    assert 'href="/login/local"' in response.text  # break-glass stays reachable


def test_directory_down_lets_a_known_person_in_unchanged(cas_app, client, cas, slapd, app_ctx):
    assert cas_sign_in(client, cas, "cmartin").status_code == 302
    client.post("/logout", data={"csrf_token": client.last_csrf})
    slapd.stop()
    fresh = type(client)(cas_app, cas_app.response_class)
    assert cas_sign_in(fresh, cas, "cmartin").status_code == 302
    assert "Claire Martin" in fresh.get("/home").text


def test_groups_that_cannot_be_read_make_no_new_account(cas_app, client, cas, slapd, app_ctx):
    """The entry was read but not the groups (their branch gone while the feed reloads it): a
    new technician's account was made a requester, without their queues until the next sync
    or sign-in. A newcomer is now refused as when the directory is down, nothing written; a
    known person still gets in as last synced; once the groups are back, the technician lands
    with their role and queues."""
    assert cas_sign_in(new_browser(cas_app), cas, "cmartin").status_code == 302
    with slapd.admin() as conn:
        for cn in GROUPS:
            assert conn.delete(f"cn={cn},{GROUPS_DN}"), conn.result
        assert conn.delete(GROUPS_DN), conn.result
    before = _count_users()
    response = cas_sign_in(client, cas, "kbenali")
    assert response.status_code == 503
    assert "L’annuaire de l’université ne répond pas" in response.text
    assert _count_users() == before
    assert cas_sign_in(new_browser(cas_app), cas, "cmartin").status_code == 302
    with slapd.admin() as conn:
        assert conn.add(GROUPS_DN, "organizationalUnit", {"ou": "groups"}), conn.result
    for cn, logins in GROUPS.items():
        slapd.add_group(cn, logins)
    assert cas_sign_in(new_browser(cas_app), cas, "kbenali").status_code == 302
    karim = user_by_email("tech.reseau@umontpellier.fr")
    assert karim.role is Role.TECHNICIAN
    assert "reseau" in {m.queue.code for m in karim.memberships}


def test_cas_down_during_validation_is_a_clear_page_in_english_too(cas_app, client, cas):
    ticket = cas_ticket(cas, SERVICE, "cmartin")
    cas.stop()
    response = client.get(
        f"/cas/callback?ticket={ticket}", headers={"Accept-Language": "en-GB,en;q=0.9"}
    )
    assert response.status_code == 503
    assert "The sign-in service is not answering" in response.text
    assert 'lang="en"' in response.text


def test_break_glass_admin_gets_in_while_the_cas_is_down(cas_app, client, cas, app_ctx):
    cas.stop()
    admin = make_user("admin@umontpellier.fr", role=Role.ADMIN)
    admin.is_break_glass = True
    db.session.commit()
    response = client.submit(
        "/login/local", {"email": "admin@umontpellier.fr", "password": "password"}
    )
    assert response.status_code == 302
    assert client.get("/home").status_code == 200


def test_only_break_glass_admins_may_use_the_emergency_login(cas_app, client, app_ctx):
    make_user("admin2@umontpellier.fr", role=Role.ADMIN)  # an admin, not flagged
    flagged = make_user("tech@umontpellier.fr", role=Role.TECHNICIAN)
    flagged.is_break_glass = True  # flagged by hand in the database: still not an admin
    db.session.commit()
    for email in ("admin2@umontpellier.fr", "tech@umontpellier.fr", "ghost@umontpellier.fr"):
        response = client.submit("/login/local", {"email": email, "password": "password"})
        assert response.status_code == 401, email
        assert 'id="password-error"' in response.text
        assert client.get("/home").status_code == 302
    empty = client.submit("/login/local", {"email": "", "password": ""})
    assert empty.status_code == 400
    no_token = client.post(
        "/login/local", data={"email": "admin2@umontpellier.fr", "password": "password"}
    )
    assert no_token.status_code == 400


def test_overlong_directory_values_are_cut_not_a_database_error(
    cas_app, client, cas, slapd, app_ctx
):
    """An entity code longer than its column was a 500 on PostgreSQL (SQLite stores it)."""
    from desk.identity.models import DirectoryLink

    slapd.modify(
        "cmartin",
        supannEntiteAffectation="DSIN-" + "X" * 300,
        displayName="Claire " + "Martin" * 60,
    )
    assert cas_sign_in(client, cas, "cmartin").status_code == 302
    user = db.session.scalar(select(User).filter_by(email="claire.martin@umontpellier.fr"))
    assert len(user.display_name) == 120
    link = db.session.get(DirectoryLink, user.id)
    assert link.entity.startswith("DSIN-") and len(link.entity) == 128


def test_a_second_entry_with_the_same_email_gets_an_account_of_its_own(
    cas_app, client, cas, slapd, app_ctx
):
    """Two directory entries with one address (a staff and a student entry of the same
    person): the second sign-in was a unique-key error, shown as "someone else changed this
    item, reload", which no reload ever cured; then a page saying the account could not be
    opened, at every sign-in, until the directory was corrected. The second entry now gets an
    account of its own, never the first's, with a stand-in address until the directory gives
    it one (tests/identity/test_shared_email.py). (A login renamed along with its DN is the
    same entry, found by its entryUUID: tests/identity/test_renamed_entries.py.)"""
    from desk.identity.models import DirectoryLink
    from tests.support.slapd import person

    assert cas_sign_in(client, cas, "cmartin").status_code == 302
    claire = db.session.scalar(select(User).filter_by(email="claire.martin@umontpellier.fr"))
    student = person("cmartin2", "Claire Martin", "claire.martin@umontpellier.fr", ["student"])
    slapd.add_person("cmartin2", student)
    cas.add_account("cmartin2", CAS_PASSWORD)
    before = _count_users()
    other = type(client)(cas_app, cas_app.response_class)
    response = cas_sign_in(other, cas, "cmartin2")
    assert response.status_code == 302
    assert other.get("/home").status_code == 200
    assert _count_users() == before + 1
    db.session.expire_all()
    assert db.session.get(DirectoryLink, claire.id).login == "cmartin"  # untouched
    second = db.session.scalar(select(DirectoryLink).filter_by(login="cmartin2"))
    assert second.user_id != claire.id
    assert db.session.get(User, second.user_id).email.endswith("@desk.invalid")


NOT_ADDRESSES = ["x@y,z@evil.org", "<b>@x.fr", "a b@umontpellier.fr", "claire@", "@"]


def test_a_mail_value_that_is_not_an_address_makes_no_account(cas_app, client, cas, slapd, app_ctx):
    """The directory's mail syntax (IA5) takes any of these: each became the account's address,
    to which no e-mail can be sent (desk.notifications.mime refuses it as a recipient)."""
    from tests.support.slapd import person

    slapd.add_person("nmoreau", person("nmoreau", "Nina Moreau", NOT_ADDRESSES[0], ["staff"]))
    slapd.modify("nmoreau", mail=NOT_ADDRESSES)
    cas.add_account("nmoreau", CAS_PASSWORD)
    before = _count_users()
    response = cas_sign_in(client, cas, "nmoreau")
    assert response.status_code == 403
    assert "Votre identité est incomplète" in response.text
    assert _count_users() == before
    # One real address among them is the one taken.
    slapd.modify("nmoreau", mail=[*NOT_ADDRESSES, "nina.moreau@umontpellier.fr"])
    other = type(client)(cas_app, cas_app.response_class)
    assert cas_sign_in(other, cas, "nmoreau").status_code == 302
    assert db.session.scalar(select(User).filter_by(email="nina.moreau@umontpellier.fr"))


def test_the_sync_keeps_the_address_when_the_directory_s_is_not_one(cas_app, cas, slapd, app_ctx):
    """The sync put "x@y,z@evil.org" over Léo's working address: every e-mail to him failed."""
    from tests.identity.conftest import new_browser, run_sync

    assert cas_sign_in(new_browser(cas_app), cas, "lpetit").status_code == 302
    for value in NOT_ADDRESSES:
        slapd.modify("lpetit", mail=value)
        assert run_sync(cas_app).status == "ok"
        assert db.session.scalar(select(User).filter_by(email="leo.petit@etu.umontpellier.fr"))


def _deep_branch(slapd, levels: int = 3) -> str:
    """Branches under ou=people with long names, as a directory that files people by
    direction and service does: a DN under them passes 512 characters."""
    from tests.support.slapd import PEOPLE_DN

    dn = PEOPLE_DN
    name = "Direction des systèmes d'information et du numérique (service des usages) " * 3
    with slapd.admin() as conn:
        for level in range(levels):
            value = f"{name.strip()} {level}"
            dn = f"ou={value},{dn}"
            assert conn.add(dn, "organizationalUnit", {"ou": value}), conn.result
    return dn


def test_a_dn_of_more_than_512_characters_signs_in_and_syncs(cas_app, client, cas, slapd, app_ctx):
    """A DN is of any length in LDAP: one of more than 512 characters was a 500 at its first
    sign-in on PostgreSQL (SQLite stores it), and an entry moved under it made the whole
    nightly sync fail there, for everyone."""
    from desk.identity.models import DirectoryLink
    from tests.support.slapd import PEOPLE_DN, person

    branch = _deep_branch(slapd)
    with slapd.admin() as conn:
        attrs = person("jlong", "Jean Long", "jean.long@umontpellier.fr", ["staff"])
        assert conn.add(f"uid=jlong,{branch}", attributes=attrs), conn.result
    assert len(f"uid=jlong,{branch}") > 512
    cas.add_account("jlong", CAS_PASSWORD)
    assert cas_sign_in(client, cas, "jlong").status_code == 302
    jean = user_by_email("jean.long@umontpellier.fr")
    assert db.session.get(DirectoryLink, jean.id).dn.lower() == f"uid=jlong,{branch}".lower()

    # Claire's entry moves under the same branch: the sync follows it, and updates the others.
    assert cas_sign_in(new_browser(cas_app), cas, "cmartin").status_code == 302
    with slapd.admin() as conn:
        assert conn.modify_dn(f"uid=cmartin,{PEOPLE_DN}", "uid=cmartin", new_superior=branch), (
            conn.result
        )
    with slapd.admin() as conn:
        assert conn.modify(
            f"uid=jlong,{branch}", {"displayName": [(MODIFY_REPLACE, ["Jean Long-Durée"])]}
        ), conn.result
    run = run_sync(cas_app)
    assert run.status == "ok" and run.counts["renamed"] == 1
    assert user_by_email("jean.long@umontpellier.fr").display_name == "Jean Long-Durée"
    claire = user_by_email("claire.martin@umontpellier.fr")
    assert claire.is_active_account
    assert len(db.session.get(DirectoryLink, claire.id).dn) > 512
