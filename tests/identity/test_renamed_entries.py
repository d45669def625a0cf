"""A renamed directory entry (a new uid after a marriage or a correction, and with it a new DN)
stays the same account: a link keeps its entry's entryUUID, which a rename leaves alone. Keyed
on the login and the DN only, the sync took the person for gone and deactivated them, and
their sign-in with the new uid found no link ("an administrator must link it")."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select, update

from desk.auth.models import User
from desk.extensions import db
from desk.identity.directory import get_directory
from desk.identity.linking import LinkError, link_account
from desk.identity.models import DirectoryLink
from tests.identity.conftest import (
    CAS_PASSWORD,
    cas_sessions_of,
    cas_sign_in,
    link_of,
    new_browser,
    run_sync,
    sign_in_everyone,
    user_by_email,
)
from tests.support.factories import make_ticket, make_user

CLAIRE = "claire.martin@umontpellier.fr"
RENAMED_DN = "uid=croux,ou=people,dc=umontpellier,dc=fr"


def test_the_sync_follows_a_renamed_entry_to_the_same_account(cas_app, cas, slapd, app_ctx):
    # Lax enough that, followed by login and DN only, Claire would be deactivated, not stopped.
    cas_app.config["DIRECTORY_MAX_DEACTIVATE_PERCENT"] = 50
    sign_in_everyone(cas_app, cas)
    claire = user_by_email(CLAIRE)
    entry_uuid = slapd.entry_uuid("cmartin")
    assert link_of(claire).entry_id == entry_uuid  # kept from her first sign-in

    assert slapd.rename("cmartin", "croux") == RENAMED_DN
    assert slapd.entry_uuid("croux") == entry_uuid
    run = run_sync(cas_app)
    assert run.status == "ok"
    assert run.counts["deactivated"] == 0 and run.counts["renamed"] == 1
    assert user_by_email(CLAIRE).id == claire.id and user_by_email(CLAIRE).is_active_account is True
    link = link_of(claire)
    assert (link.login, link.dn, link.entry_id) == ("croux", RENAMED_DN, entry_uuid)
    assert link.is_gone is False
    # Nothing left to follow the next night.
    run = run_sync(cas_app)
    assert run.counts["renamed"] == 0 and run.counts["deactivated"] == 0


def test_the_new_login_signs_in_to_the_same_account_and_its_tickets(
    cas_app, cas, slapd, app_ctx, client
):
    assert cas_sign_in(client, cas, "cmartin").status_code == 302
    claire = user_by_email(CLAIRE)
    ticket = make_ticket(requester=claire, subject="Imprimante du bureau 12")
    slapd.rename("cmartin", "croux")
    cas.add_account("croux", CAS_PASSWORD, uid="croux", mail=CLAIRE)

    browser = new_browser(cas_app)
    assert cas_sign_in(browser, cas, "croux").status_code == 302  # before any sync
    assert db.session.scalar(select(func.count(User.id)).filter_by(email=CLAIRE)) == 1
    assert cas_sessions_of(claire) == 2
    link = link_of(claire)
    assert (link.login, link.dn) == ("croux", RENAMED_DN)
    page = browser.get("/mes-demandes")
    assert page.status_code == 200 and ticket.reference in page.text
    # The sync that follows finds her where the sign-in left her.
    cas_app.config["DIRECTORY_MAX_DEACTIVATE_PERCENT"] = 100
    run = run_sync(cas_app)
    assert run.counts["deactivated"] == 0 and user_by_email(CLAIRE).is_active_account is True


def test_links_made_before_get_their_entry_id_at_the_next_sync(cas_app, cas, slapd, app_ctx):
    cas_app.config["DIRECTORY_MAX_DEACTIVATE_PERCENT"] = 50
    sign_in_everyone(cas_app, cas)
    db.session.execute(update(DirectoryLink).values(entry_id=None))  # linked before the upgrade
    db.session.commit()
    run = run_sync(cas_app)
    assert run.status == "ok" and run.counts["renamed"] == 0
    links = db.session.scalars(select(DirectoryLink)).all()
    assert {link.login: link.entry_id for link in links} == {
        login: slapd.entry_uuid(login) for login in ("cmartin", "lpetit", "kbenali", "adesk")
    }
    slapd.rename("cmartin", "croux")
    run = run_sync(cas_app)
    assert run.counts["deactivated"] == 0 and run.counts["renamed"] == 1
    assert link_of(user_by_email(CLAIRE)).login == "croux"


def test_a_link_made_before_gets_its_entry_id_at_the_next_sign_in(cas_app, cas, slapd, app_ctx):
    assert cas_sign_in(new_browser(cas_app), cas, "cmartin").status_code == 302
    claire = user_by_email(CLAIRE)
    db.session.execute(update(DirectoryLink).values(entry_id=None))
    db.session.commit()
    assert cas_sign_in(new_browser(cas_app), cas, "cmartin").status_code == 302
    assert link_of(claire).entry_id == slapd.entry_uuid("cmartin")
    slapd.rename("cmartin", "croux")
    cas.add_account("croux", CAS_PASSWORD)
    assert cas_sign_in(new_browser(cas_app), cas, "croux").status_code == 302
    assert cas_sessions_of(claire) == 3


def test_an_old_account_holding_the_new_login_is_not_given_the_renamed_entry(
    cas_app, cas, slapd, app_ctx
):
    """A former "croux" left long ago; her account, deactivated, still holds the login. The
    renamed entry is Claire's (its entryUUID says so): the old account is not reactivated
    and synced from it."""
    cas_app.config["DIRECTORY_MAX_DEACTIVATE_PERCENT"] = 50
    sign_in_everyone(cas_app, cas)
    former = make_user("c.roux@umontpellier.fr", is_active=False)
    db.session.add(
        DirectoryLink(user=former, login="croux", dn=RENAMED_DN, applied={}, is_gone=True)
    )
    db.session.commit()
    slapd.rename("cmartin", "croux")
    run = run_sync(cas_app)
    assert run.status == "ok" and run.counts["reactivated"] == 0
    former = user_by_email("c.roux@umontpellier.fr")
    assert former.is_active_account is False and link_of(former).entry_id is None
    claire = user_by_email(CLAIRE)
    assert claire.is_active_account is True
    assert link_of(claire).entry_id == slapd.entry_uuid("croux")
    cas.add_account("croux", CAS_PASSWORD)
    assert cas_sign_in(new_browser(cas_app), cas, "croux").status_code == 302
    assert cas_sessions_of(claire) == 2 and cas_sessions_of(former) == 0


def test_an_entry_id_the_cas_releases_links_nothing(cas_app, cas, slapd, app_ctx, client):
    """Without a directory the CAS's attributes are the source, and a CAS that delegates to
    outside providers releases what they assert: an `entryUUID` among them is not the
    directory's, and never names the account it belongs to."""
    assert cas_sign_in(new_browser(cas_app), cas, "cmartin").status_code == 302
    claire = user_by_email(CLAIRE)
    entry_uuid = link_of(claire).entry_id
    assert entry_uuid
    cas_app.config["LDAP_URL"] = ""
    cas.add_account(
        "mallory", CAS_PASSWORD, uid="mallory", mail="mallory@outside.example", entryUUID=entry_uuid
    )
    assert cas_sign_in(client, cas, "mallory").status_code == 302
    mallory = user_by_email("mallory@outside.example")
    assert mallory is not None and mallory.id != claire.id
    assert link_of(mallory).entry_id is None
    assert cas_sessions_of(claire) == 1


def test_an_admin_cannot_link_a_second_account_to_a_renamed_entry(cas_app, cas, slapd, app_ctx):
    """Claire's entry, renamed and with a new address, already signs in to her account: an
    account made by hand with the new address is not linked to it too (it was a database
    error, the unique entry id)."""
    assert cas_sign_in(new_browser(cas_app), cas, "cmartin").status_code == 302
    slapd.rename("cmartin", "croux")
    slapd.modify("croux", mail="claire.roux@umontpellier.fr")
    admin = make_user("root@umontpellier.fr", role="admin")
    by_hand = make_user("claire.roux@umontpellier.fr")
    with pytest.raises(LinkError) as refused:
        link_account(by_hand, "croux", get_directory(cas_app.config), actor=admin)
    with cas_app.test_request_context(), force_locale("en"):
        message = str(refused.value.message)
    assert "already signs in to another account" in message and CLAIRE in message
    db.session.rollback()
    assert db.session.get(DirectoryLink, by_hand.id) is None


def test_with_the_entry_id_attribute_empty_links_keep_none(cas_app, cas, slapd, app_ctx):
    cas_app.config["LDAP_ENTRY_ID_ATTRIBUTE"] = ""
    assert cas_sign_in(new_browser(cas_app), cas, "cmartin").status_code == 302
    assert link_of(user_by_email(CLAIRE)).entry_id is None
    assert get_directory(cas_app.config).find_person("cmartin", ["uid"]).entry_id is None


def test_a_directory_reloaded_with_new_ids_keeps_every_account(cas_app, cas, slapd, app_ctx):
    """Restored from an LDIF without its entryUUIDs, every entry has a new id: found by login,
    as before, each link takes its entry's new id; nobody is deactivated. A sign-in meanwhile
    cannot tell this from a login given to someone else (only the sync sees whether any id
    desk knows is still there): it opens no account and leaves the old id alone."""
    sign_in_everyone(cas_app, cas)
    claire = user_by_email(CLAIRE)
    db.session.execute(update(DirectoryLink).values(entry_id=func.upper(DirectoryLink.login)))
    db.session.commit()
    refused = cas_sign_in(new_browser(cas_app), cas, "cmartin")
    assert refused.status_code == 403 and 'data-problem="entry_changed"' in refused.text
    assert link_of(claire).entry_id == "CMARTIN" and cas_sessions_of(claire) == 1
    run = run_sync(cas_app)
    assert run.status == "ok" and run.counts["deactivated"] == 0
    assert link_of(claire).entry_id == slapd.entry_uuid("cmartin")
    assert cas_sign_in(new_browser(cas_app), cas, "cmartin").status_code == 302
    assert cas_sessions_of(claire) == 2


def test_a_directory_that_answers_no_entry_ids_keeps_every_account(cas_app, cas, slapd, app_ctx):
    """DESK_LDAP_ENTRY_ID_ATTRIBUTE changed to an attribute the server does not give (a new
    directory server, a typo) after the links kept their ids: no entry has one, so there is
    nothing to compare them with. Every link looked gone and the sync stopped each night
    (deactivating nobody who left, while the warning said links were followed by login and
    DN); they are, as sign-in finds them, and a link keeps the id it had."""
    cas_app.config["DIRECTORY_MAX_DEACTIVATE_PERCENT"] = 30
    sign_in_everyone(cas_app, cas)
    claire = user_by_email(CLAIRE)
    entry_uuid = slapd.entry_uuid("cmartin")
    cas_app.config["LDAP_ENTRY_ID_ATTRIBUTE"] = "objectGUID"
    slapd.modify("cmartin", displayName="Claire Roux")
    slapd.delete("lpetit")
    run = run_sync(cas_app)
    assert run.status == "ok" and run.counts["deactivated"] == 1
    claire = user_by_email(CLAIRE)
    assert claire.display_name == "Claire Roux" and claire.is_active_account is True
    assert link_of(claire).entry_id == entry_uuid
    assert user_by_email("leo.petit@etu.umontpellier.fr").is_active_account is False
    assert cas_sign_in(new_browser(cas_app), cas, "cmartin").status_code == 302
