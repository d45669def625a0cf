"""Universities give a login again: jdupont leaves, a new jdupont arrives with an entry of their
own (another entryUUID, often the same DN). The newcomer signed in to the former person's
account, tickets and history, found by the login (or the DN) its link kept; and the sync,
looking the leaver up by login, took the newcomer's entry for theirs and reactivated the
account for them. A link is its entry's: a login or DN that is another entry's now opens
nothing, and a link the sync ends gives its login up (kept as `former_login`)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from desk.auth.models import User
from desk.extensions import db
from desk.identity.directory import get_directory
from desk.identity.linking import LinkError, link_account
from desk.identity.services import account_for_mail
from tests.identity.conftest import (
    cas_sessions_of,
    cas_sign_in,
    link_of,
    new_browser,
    run_sync,
    sign_in_everyone,
    user_by_email,
)
from tests.support.factories import make_ticket
from tests.support.slapd import person

CLAIRE = "claire.martin@umontpellier.fr"
CAMILLE = "camille.martin@umontpellier.fr"


def _newcomer(slapd, mail: str = CAMILLE, *, claire_there: bool = True) -> str:
    """Claire left; the university gives her login to Camille, a new entry (same DN)."""
    if claire_there:
        slapd.delete("cmartin")
    slapd.add_person("cmartin", person("cmartin", "Camille Martin", mail, ["student"]))
    return slapd.entry_uuid("cmartin")


def _claire_left_with_a_ticket(cas_app, cas, slapd):
    cas_app.config["DIRECTORY_MAX_DEACTIVATE_PERCENT"] = 50
    sign_in_everyone(cas_app, cas)
    claire = user_by_email(CLAIRE)
    ticket = make_ticket(requester=claire, subject="Certificat médical de Claire")
    db.session.commit()
    return claire, ticket, slapd.entry_uuid("cmartin")


def test_a_newcomer_given_a_former_person_s_login_gets_an_account_of_their_own(
    cas_app, cas, slapd, app_ctx
):
    claire, ticket, claire_uuid = _claire_left_with_a_ticket(cas_app, cas, slapd)
    slapd.delete("cmartin")
    run = run_sync(cas_app)
    assert run.counts["deactivated"] == 1
    link = link_of(claire)
    assert (link.login, link.former_login, link.entry_id) == (None, "cmartin", claire_uuid)

    camille_uuid = _newcomer(slapd, claire_there=False)
    browser = new_browser(cas_app)
    assert cas_sign_in(browser, cas, "cmartin").status_code == 302
    camille = user_by_email(CAMILLE)
    assert camille is not None and camille.id != claire.id
    assert (link_of(camille).login, link_of(camille).entry_id) == ("cmartin", camille_uuid)
    page = browser.get("/mes-demandes")
    assert page.status_code == 200 and ticket.reference not in page.text
    # Claire's account is as the sync left it: deactivated, hers, no new session.
    claire = user_by_email(CLAIRE)
    assert claire.is_active_account is False and cas_sessions_of(claire) == 1
    assert link_of(claire).entry_id == claire_uuid and link_of(claire).is_gone is True

    # The next sync does not give it to Camille either.
    run = run_sync(cas_app)
    assert run.counts["reactivated"] == 0 and run.counts["deactivated"] == 0
    assert user_by_email(CLAIRE).is_active_account is False
    assert user_by_email(CAMILLE).is_active_account is True


def test_the_sync_does_not_take_the_newcomer_s_entry_for_the_leaver_s(cas_app, cas, slapd, app_ctx):
    """Claire left and Camille got her login between two syncs: the sync found Claire's
    link by login, took Camille's entry for a directory reload, re-keyed the link to it and
    renamed the account after her; Camille's sign-in then opened Claire's account."""
    claire, ticket, claire_uuid = _claire_left_with_a_ticket(cas_app, cas, slapd)
    _newcomer(slapd)
    run = run_sync(cas_app)
    assert run.status == "ok" and run.counts["deactivated"] == 1
    claire = user_by_email(CLAIRE)
    assert claire is not None and claire.display_name == "Claire Martin"
    assert claire.is_active_account is False
    link = link_of(claire)
    assert (link.login, link.former_login, link.entry_id) == (None, "cmartin", claire_uuid)

    browser = new_browser(cas_app)
    assert cas_sign_in(browser, cas, "cmartin").status_code == 302
    camille = user_by_email(CAMILLE)
    assert camille.id != claire.id and cas_sessions_of(claire) == 1
    assert ticket.reference not in browser.get("/mes-demandes").text


def test_a_newcomer_before_the_sync_opens_nothing(cas_app, cas, slapd, app_ctx):
    """Before any sync saw Claire leave, her link still holds the login. The sign-in sees an
    entry that is not hers: it refuses (a directory reloaded with new ids looks the same from
    one entry), writes nothing, and the sync sorts it out for the next attempt."""
    claire, ticket, claire_uuid = _claire_left_with_a_ticket(cas_app, cas, slapd)
    _newcomer(slapd)
    accounts = db.session.scalar(select(func.count(User.id)))
    browser = new_browser(cas_app)
    refused = cas_sign_in(browser, cas, "cmartin")
    assert refused.status_code == 403 and 'data-problem="entry_changed"' in refused.text
    assert browser.get("/mes-demandes").status_code == 302  # signed in to nothing
    claire = user_by_email(CLAIRE)
    assert claire.is_active_account is True and cas_sessions_of(claire) == 1
    assert claire.display_name == "Claire Martin" and link_of(claire).entry_id == claire_uuid
    assert db.session.scalar(select(func.count(User.id))) == accounts

    run_sync(cas_app)
    browser = new_browser(cas_app)
    assert cas_sign_in(browser, cas, "cmartin").status_code == 302
    assert user_by_email(CAMILLE).id != claire.id and cas_sessions_of(claire) == 1
    assert ticket.reference not in browser.get("/mes-demandes").text


def test_a_newcomer_given_the_former_address_too_is_not_let_into_the_account(
    cas_app, cas, slapd, app_ctx
):
    """The address is given again with the login: the account that has it is another entry's,
    so the newcomer gets the "contact the helpdesk" page, not the account."""
    claire, _ticket, _uuid = _claire_left_with_a_ticket(cas_app, cas, slapd)
    slapd.delete("cmartin")
    run_sync(cas_app)
    _newcomer(slapd, mail=CLAIRE, claire_there=False)
    browser = new_browser(cas_app)
    refused = cas_sign_in(browser, cas, "cmartin")
    assert refused.status_code == 403 and 'data-problem="email_taken"' in refused.text
    assert cas_sessions_of(claire) == 1 and user_by_email(CLAIRE).is_active_account is False


def test_with_the_directory_down_a_freed_login_opens_nothing(cas_app, cas, slapd, app_ctx):
    """Down, the directory cannot say whose the login is: a known account signs in as last
    synced (test_cas_bad_input), but a link the sync ended holds no login any more."""
    claire, _ticket, _uuid = _claire_left_with_a_ticket(cas_app, cas, slapd)
    slapd.delete("cmartin")
    run_sync(cas_app)
    slapd.stop()
    refused = cas_sign_in(new_browser(cas_app), cas, "cmartin")
    assert refused.status_code == 503 and 'data-problem="directory_down"' in refused.text
    assert cas_sessions_of(claire) == 1


def test_mail_from_the_newcomer_is_not_the_former_person_s(cas_app, cas, slapd, app_ctx):
    """An e-mail from Camille's address is not filed as Claire's (desk.inbound asks the
    directory whose address it is, then which account that entry has)."""
    claire, _ticket, _uuid = _claire_left_with_a_ticket(cas_app, cas, slapd)
    directory = get_directory(cas_app.config)
    assert account_for_mail(CLAIRE, directory).id == claire.id
    _newcomer(slapd)
    assert account_for_mail(CAMILLE, directory) is None


def test_an_admin_sees_the_ended_link_and_its_former_login(
    cas_app, cas, slapd, app_ctx, admin_client
):
    claire, _ticket, _uuid = _claire_left_with_a_ticket(cas_app, cas, slapd)
    slapd.delete("cmartin")
    run_sync(cas_app)
    page = admin_client.get(f"/admin/accounts/{claire.id}")
    assert page.status_code == 200
    assert "l’annuaire" in page.text  # the ended link is said, in the admin's French
    assert "« cmartin »" in page.text and "None" not in page.text.split("<main")[1]
    listing = admin_client.get("/admin/identity").text
    assert "None" not in listing.split(f'data-account="{CLAIRE}"')[1].split("</tr>")[0]
    # Nor can it be linked again by hand (its link is kept, ended, for the record).
    root = user_by_email("root@umontpellier.fr")
    with pytest.raises(LinkError) as refused:
        link_account(claire, "kbenali", get_directory(cas_app.config), actor=root)
    assert "cmartin" in str(refused.value.message)


def test_everyone_desk_knows_leaving_at_once_is_no_directory_reload(cas_app, cas, slapd, app_ctx):
    """A small site: the only two people who ever signed in leave, and Claire's login goes to
    Camille. None of the ids desk knows is in the directory, as after a reload with new ids;
    but a reload keeps its people, and only one of the two is there by login: the sync took
    Camille's entry for Claire's, and gave her Claire's account and requests."""
    cas_app.config["DIRECTORY_MAX_DEACTIVATE_PERCENT"] = 100
    for login in ("cmartin", "lpetit"):
        assert cas_sign_in(new_browser(cas_app), cas, login).status_code == 302
    claire = user_by_email(CLAIRE)
    ticket = make_ticket(requester=claire, subject="Certificat médical de Claire")
    db.session.commit()
    slapd.delete("lpetit")
    _newcomer(slapd)
    run = run_sync(cas_app)
    assert run.status == "ok" and run.counts["deactivated"] == 2
    claire = user_by_email(CLAIRE)
    assert claire.display_name == "Claire Martin" and claire.is_active_account is False
    assert link_of(claire).login is None

    browser = new_browser(cas_app)
    assert cas_sign_in(browser, cas, "cmartin").status_code == 302
    assert user_by_email(CAMILLE).id != claire.id
    assert ticket.reference not in browser.get("/mes-demandes").text
