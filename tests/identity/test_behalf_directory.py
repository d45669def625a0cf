"""Filing a request for someone who has never signed in: found in the real directory (slapd),
their account made as their first CAS sign-in would make it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from desk.auth.models import User
from desk.extensions import db
from desk.identity.models import DirectoryLink
from desk.tickets.models import Ticket
from tests.support.factories import make_user

FIND = "/catalogue/pour-un-usager"
PICK = "/catalogue/pour-un-usager/annuaire"


def _directory_logins(page: str) -> list[str]:
    return re.findall(r'data-directory="([^"]+)"', page)


def _accounts() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(User))


def _pick(client, login: str):
    client.get(FIND)
    return client.post(PICK, data={"login": login, "csrf_token": client.last_csrf})


def test_someone_without_an_account_is_found_then_filed_for(admin_client, app_ctx):
    page = admin_client.get(FIND, query_string={"q": "petit"}).text
    assert _directory_logins(page) == ["lpetit"]
    # The address may wrap before its @ and dots (<wbr>), never inside a word.
    assert "Léo Petit" in page and "leo.petit@etu.umontpellier.fr" in page.replace("<wbr>", "")

    response = _pick(admin_client, "lpetit")
    assert response.status_code == 302
    leo = db.session.scalar(select(User).where(User.email == "leo.petit@etu.umontpellier.fr"))
    assert response.headers["Location"] == f"/catalogue?pour={leo.id}"
    # As the first sign-in makes it: a student (no staff affiliation), linked to the entry.
    assert leo.is_staff is False and leo.display_name == "Léo Petit"
    assert db.session.get(DirectoryLink, leo.id).login == "lpetit"

    url = f"/catalogue/licence-zoom?pour={leo.id}"
    data = {"zoom_email": leo.email, "account_created": "y", "intake": "phone"}
    assert admin_client.submit(url, data).status_code == 302
    ticket = db.session.scalars(select(Ticket)).one()
    assert ticket.requester_id == leo.id
    # Now known: found among the accounts, no longer offered from the directory.
    page = admin_client.get(FIND, query_string={"q": "petit"}).text
    assert _directory_logins(page) == [] and f"/catalogue?pour={leo.id}" in page
    # Picking them again changes nothing.
    before = _accounts()
    assert _pick(admin_client, "lpetit").headers["Location"] == f"/catalogue?pour={leo.id}"
    assert _accounts() == before


def test_people_with_an_account_are_listed_once(admin_client, app_ctx):
    make_user("claire.martin@umontpellier.fr", name="Claire Martin")
    page = admin_client.get(FIND, query_string={"q": "martin"}).text
    assert 'data-person="claire.martin@umontpellier.fr"' in page
    assert _directory_logins(page) == []


@pytest.mark.parametrize("query", ["*", "**", "*)(uid=*", "x)(|(uid=*", "\\2a", "(", "))"])
def test_filter_characters_match_nobody(admin_client, app_ctx, query):
    response = admin_client.get(FIND, query_string={"q": query})
    assert response.status_code == 200
    assert _directory_logins(response.text) == []


def test_a_login_prefix_finds_the_person(admin_client, app_ctx):
    assert _directory_logins(admin_client.get(FIND, query_string={"q": "kben"}).text) == ["kbenali"]


@pytest.mark.parametrize(
    ("login", "message"),
    [
        ("nobody", "Cette personne n’est pas dans l’annuaire."),
        ("*", "Cette personne n’est pas dans l’annuaire."),
    ],
)
def test_a_login_not_in_the_directory_makes_no_account(admin_client, app_ctx, login, message):
    before = _accounts()
    response = _pick(admin_client, login)
    assert response.status_code == 302 and response.headers["Location"] == FIND
    assert message in admin_client.get(FIND).text
    assert _accounts() == before


@pytest.mark.parametrize("data", [{"login": "x" * 129}, {"login": ""}, {}])
def test_a_bad_pick_is_refused(admin_client, app_ctx, data):
    before = _accounts()
    admin_client.get(FIND)
    response = admin_client.post(PICK, data={**data, "csrf_token": admin_client.last_csrf})
    assert response.status_code == 400
    assert _accounts() == before


def test_without_the_csrf_token_nothing_is_made(admin_client, app_ctx):
    before = _accounts()
    assert admin_client.post(PICK, data={"login": "lpetit"}).status_code == 400
    assert _accounts() == before


def test_when_the_directory_is_down_accounts_are_still_found(admin_client, slapd, app_ctx):
    make_user("claire.martin@umontpellier.fr", name="Claire Martin")
    slapd.stop()
    response = admin_client.get(FIND, query_string={"q": "martin"})
    assert response.status_code == 200
    assert "L’annuaire ne répond pas" in response.text
    assert 'data-person="claire.martin@umontpellier.fr"' in response.text
    before = _accounts()
    assert _pick(admin_client, "lpetit").headers["Location"] == FIND
    assert "réessayez dans un instant" in admin_client.get(FIND).text
    assert _accounts() == before


def test_picking_someone_whose_address_has_an_account_worth_taking_links_nothing(
    admin_client, app_ctx
):
    """Staff picking a directory person must not link a password account by its address
    either (desk.identity.linking): the one they meant is found among the accounts."""
    from desk.auth.models import Role

    tech = make_user("leo.petit@etu.umontpellier.fr", role=Role.TECHNICIAN)
    response = _pick(admin_client, "lpetit")
    assert response.status_code == 302 and response.headers["Location"] == FIND
    # The message was written in the language of the pick's request (French here).
    page = admin_client.get(FIND).text
    assert "Un compte a déjà l’adresse de cette personne" in page
    db.session.expire_all()
    assert db.session.get(DirectoryLink, tech.id) is None


def _pick_in_english(client, login: str) -> str:
    """Pick `login` with an English browser; the page that follows, with its message."""
    client.get(FIND)
    english = {"Accept-Language": "en"}
    response = client.post(
        PICK, data={"login": login, "csrf_token": client.last_csrf}, headers=english
    )
    assert response.status_code == 302 and response.headers["Location"] == FIND
    return client.get(FIND, headers=english).text


def test_someone_given_a_leaver_s_login_is_not_said_to_be_out_of_the_directory(
    admin_client, cas_app, cas, slapd, app_ctx
):
    """Claire left, Camille was given her login, the sync has not run: Camille is in the
    directory, her account waits for the sync (desk.identity.services, entry_changed)."""
    from tests.identity.conftest import sign_in_everyone
    from tests.support.slapd import person

    sign_in_everyone(cas_app, cas)
    slapd.delete("cmartin")
    camille = person("cmartin", "Camille Martin", "camille.martin@umontpellier.fr", ["staff"])
    slapd.add_person("cmartin", camille)
    before = _accounts()
    page = _pick_in_english(admin_client, "cmartin")
    assert "not in the directory" not in page
    assert "nightly directory update" in page
    assert _accounts() == before


def test_someone_back_with_a_new_entry_is_not_said_to_be_out_of_the_directory(
    admin_client, cas_app, cas, slapd, app_ctx
):
    """Claire left (the sync ended her account's link) and came back with a new entry and
    her address: her former account is for an administrator to link again."""
    from tests.identity.conftest import run_sync, sign_in_everyone
    from tests.support.slapd import PEOPLE

    cas_app.config["DIRECTORY_MAX_DEACTIVATE_PERCENT"] = 50
    sign_in_everyone(cas_app, cas)
    slapd.delete("cmartin")
    run_sync(cas_app)
    slapd.add_person("cmartin", PEOPLE["cmartin"])
    before = _accounts()
    page = _pick_in_english(admin_client, "cmartin")
    assert "not in the directory" not in page
    assert "an administrator can link that account" in page
    assert _accounts() == before
