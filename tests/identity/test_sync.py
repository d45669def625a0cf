"""The directory sync against slapd: updates, leavers, the mass-deactivation guard, conflicts."""

from __future__ import annotations

from sqlalchemy import select

from desk.auth.models import Role, User
from desk.extensions import db
from desk.identity.models import CasSession, DirectoryConflict, DirectoryLink
from tests.identity.conftest import (
    CAS_PASSWORD,
    cas_sign_in,
    new_browser,
    run_sync,
    sign_in_everyone,
    user_by_email,
)
from tests.support.factories import make_user
from tests.support.slapd import GROUPS, GROUPS_DN, person


def test_sync_updates_names_emails_phones_and_staff_status(cas_app, cas, slapd, app_ctx):
    sign_in_everyone(cas_app, cas)
    slapd.modify(
        "cmartin",
        displayName="Claire Martin-Roux",
        mail="claire.martin-roux@umontpellier.fr",
        telephoneNumber="04 67 14 99 99",
    )
    slapd.modify("lpetit", eduPersonAffiliation=["employee", "member"])  # hired by the lab
    run = run_sync(cas_app)
    assert run.status == "ok"
    assert run.counts["updated"] == 2 and run.counts["deactivated"] == 0
    claire = user_by_email("claire.martin-roux@umontpellier.fr")
    assert claire.display_name == "Claire Martin-Roux"
    assert claire.phone == "+33467149999"
    assert user_by_email("leo.petit@etu.umontpellier.fr").is_staff is True
    link = db.session.get(DirectoryLink, claire.id)
    assert link.dn == "uid=cmartin,ou=people,dc=umontpellier,dc=fr"
    assert link.last_synced_at >= run.started_at


def test_phone_removed_from_the_directory_is_removed_in_desk(cas_app, cas, slapd, app_ctx):
    sign_in_everyone(cas_app, cas)
    slapd.modify("cmartin", telephoneNumber=None)
    run_sync(cas_app)
    assert user_by_email("claire.martin@umontpellier.fr").phone is None


def test_a_number_from_the_hr_import_stays_where_the_directory_has_none(
    cas_app, cas, slapd, app_ctx
):
    """An entry without telephoneNumber: the number HR's export gave the account
    (`flask desk import-hr-phones`) was erased by the next sync or sign-in, as if the
    directory had removed one it never had."""
    from desk.preferences.services import import_hr_phones

    sign_in_everyone(cas_app, cas)
    import_hr_phones([(1, "admin.annuaire@umontpellier.fr", "04 67 14 55 55")])
    run_sync(cas_app)
    assert user_by_email("admin.annuaire@umontpellier.fr").phone == "+33467145555"
    assert cas_sign_in(new_browser(cas_app), cas, "adesk").status_code == 302
    assert user_by_email("admin.annuaire@umontpellier.fr").phone == "+33467145555"


def test_an_entry_that_loses_its_address_is_still_there(cas_app, cas, slapd, app_ctx):
    """The HR feed drops a mail value (a mailbox being moved, a feed bug): the entry, and the
    person, are still in the directory. Skipped by the sync, they were taken for gone and
    deactivated (sessions ended, a technician's tickets given back); their sign-in was
    "your identity is incomplete" although the account has an address."""
    cas_app.config["DIRECTORY_MAX_DEACTIVATE_PERCENT"] = 50
    sign_in_everyone(cas_app, cas)
    slapd.modify("kbenali", mail=None, displayName="Karim Ben Ali")
    run = run_sync(cas_app)
    assert run.status == "ok" and run.counts["deactivated"] == 0
    karim = user_by_email("tech.reseau@umontpellier.fr")
    assert karim.is_active_account is True and karim.display_name == "Karim Ben Ali"
    assert karim.role is Role.TECHNICIAN
    assert cas_sign_in(new_browser(cas_app), cas, "kbenali").status_code == 302
    # A new person without an address still gets no account.
    slapd.add_person("nomail", person("nomail", "Noé Sans", "x@umontpellier.fr", ["staff"]))
    slapd.modify("nomail", mail=None)
    cas.add_account("nomail", CAS_PASSWORD)
    response = cas_sign_in(new_browser(cas_app), cas, "nomail")
    assert response.status_code == 403 and 'data-problem="missing"' in response.text


def test_the_address_stays_when_the_directory_sends_its_values_in_another_order(
    cas_app, cas, slapd, app_ctx
):
    """An entry with two addresses: LDAP values are a set, and a feed that rewrites them in
    another order changed the account's address (and the mailbox its e-mails go to) at every
    sync; an address of the entry taken by another account was reported as a conflict."""
    slapd.modify("cmartin", mail=["claire.martin@umontpellier.fr", "c.martin@umontpellier.fr"])
    sign_in_everyone(cas_app, cas)
    slapd.modify("cmartin", mail=["c.martin@umontpellier.fr", "claire.martin@umontpellier.fr"])
    make_user("c.martin@umontpellier.fr")
    run = run_sync(cas_app)
    assert run.counts["updated"] == 0 and run.counts["conflicts"] == 0
    assert user_by_email("claire.martin@umontpellier.fr").is_active_account is True
    assert cas_sign_in(new_browser(cas_app), cas, "cmartin").status_code == 302
    assert user_by_email("claire.martin@umontpellier.fr") is not None
    # An address the entry no longer has is replaced, as before.
    slapd.modify("cmartin", mail=["claire.roux@umontpellier.fr", "c.martin@umontpellier.fr"])
    run_sync(cas_app)
    assert user_by_email("claire.roux@umontpellier.fr") is not None


def test_a_person_who_left_is_deactivated_sessions_ended_tickets_kept(
    cas_app, cas, slapd, app_ctx, client
):
    cas_app.config["DIRECTORY_MAX_DEACTIVATE_PERCENT"] = 50
    assert cas_sign_in(client, cas, "lpetit").status_code == 302
    sign_in_everyone(cas_app, cas)
    leo = user_by_email("leo.petit@etu.umontpellier.fr")
    from desk.tickets.models import Ticket

    tickets_before = db.session.scalar(select(db.func.count(Ticket.id)))
    slapd.withdraw("lpetit")
    run = run_sync(cas_app)
    assert run.status == "ok" and run.counts["deactivated"] == 1
    leo = user_by_email("leo.petit@etu.umontpellier.fr")
    assert leo is not None and leo.is_active_account is False  # kept, with his tickets
    assert leo.deactivated_at is not None  # his data's retention period starts (desk.privacy)
    link = db.session.get(DirectoryLink, leo.id)
    assert link.is_gone is True
    # His login is freed for whoever the university gives it to next, kept for the record.
    assert (link.login, link.former_login) == (None, "lpetit")
    sessions = db.session.scalars(select(CasSession).filter_by(user_id=leo.id)).all()
    assert sessions and all(s.ended_reason == "deactivated" for s in sessions)
    assert client.get("/home").status_code == 302  # his open browser session is over
    assert db.session.scalar(select(db.func.count(Ticket.id))) == tickets_before
    # Back in the directory (a new contract, the same entry): reactivated at the next sync,
    # with his login again.
    slapd.restore("lpetit")
    run = run_sync(cas_app)
    assert run.counts["reactivated"] == 1
    leo = user_by_email("leo.petit@etu.umontpellier.fr")
    assert leo.is_active_account is True and leo.deactivated_at is None
    assert db.session.get(DirectoryLink, leo.id).login == "lpetit"


def test_mass_deactivation_stops_the_sync_and_changes_nothing(cas_app, cas, slapd, app_ctx):
    sign_in_everyone(cas_app, cas)
    cas_app.config["DIRECTORY_MAX_DEACTIVATE_PERCENT"] = 30
    slapd.delete("lpetit")
    slapd.delete("cmartin")  # 2 of 4 = 50% > 30%: a broken feed, not a wave of departures
    slapd.modify("kbenali", displayName="Karim B.")
    run = run_sync(cas_app)
    assert run.status == "stopped"
    assert run.counts == {"entries": 2, "would_deactivate": 2, "active": 4}
    assert user_by_email("leo.petit@etu.umontpellier.fr").is_active_account is True
    assert user_by_email("claire.martin@umontpellier.fr").is_active_account is True
    assert user_by_email("tech.reseau@umontpellier.fr").display_name == "Karim Benali"


def test_an_empty_directory_stops_the_sync(cas_app, cas, slapd, app_ctx):
    sign_in_everyone(cas_app, cas)
    cas_app.config["LDAP_PEOPLE_FILTER"] = "(objectClass=nobodyHasThis)"
    run = run_sync(cas_app)
    assert run.status == "stopped" and run.counts["would_deactivate"] == 4
    assert all(u.is_active_account for u in db.session.scalars(select(User)))


def test_directory_down_fails_the_run_and_changes_nothing(cas_app, cas, slapd, app_ctx):
    sign_in_everyone(cas_app, cas)
    slapd.stop()
    run = run_sync(cas_app)
    assert (run.status, run.reason) == ("failed", "unreachable")
    assert all(u.is_active_account for u in db.session.scalars(select(User)))


def test_group_changes_follow_but_a_local_change_is_reported_not_overwritten(
    cas_app, cas, slapd, app_ctx
):
    sign_in_everyone(cas_app, cas)
    assert user_by_email("admin.annuaire@umontpellier.fr").role is Role.ADMIN
    # The directory moves Claire into the network team: applied.
    slapd.set_group("desk-reseau", ["kbenali", "cmartin"])
    run_sync(cas_app)
    claire = user_by_email("claire.martin@umontpellier.fr")
    assert claire.role is Role.TECHNICIAN
    assert "reseau" in {m.queue.code for m in claire.memberships}
    # An admin promotes Karim in desk by hand; then the directory drops him from the group.
    karim = user_by_email("tech.reseau@umontpellier.fr")
    karim.role = Role.ADMIN
    db.session.commit()
    slapd.set_group("desk-reseau", ["cmartin"])
    run = run_sync(cas_app)
    karim = user_by_email("tech.reseau@umontpellier.fr")
    assert karim.role is Role.ADMIN  # the local change stays
    conflicts = db.session.scalars(select(DirectoryConflict).filter_by(user_id=karim.id)).all()
    assert {(c.field, c.local_value, c.directory_value) for c in conflicts} >= {
        ("role", "admin", "requester")
    }
    assert run.counts["conflicts"] >= 1


def test_a_requester_the_groups_make_technician_gets_the_staff_s_e_mails(
    cas_app, cas, slapd, app_ctx
):
    """Before 0f92c43, saving the notification page as a requester stored every staff event
    as 'no e-mail' (the page had no switch for them). Made technician by a directory group,
    such a requester then heard of nothing they were given, assigned or asked, and their page
    showed those switches off as if they had chosen so. Promotion now starts them from the
    staff's defaults; their own choices about their requests stay."""
    from desk.notifications.models import NotificationEvent
    from desk.notifications.services import email_preferences
    from tests.support.promotion import (
        assert_staff_defaults_and_own_choices,
        requester_saved_every_e_mail_off,
        technician_turns_sla_warnings_off,
    )

    sign_in_everyone(cas_app, cas)
    claire = user_by_email("claire.martin@umontpellier.fr")
    requester_saved_every_e_mail_off(claire)
    slapd.set_group("desk-reseau", ["kbenali", "cmartin"])
    run_sync(cas_app)
    claire = user_by_email("claire.martin@umontpellier.fr")
    assert claire.role is Role.TECHNICIAN
    assert_staff_defaults_and_own_choices(claire)
    # A technician's own choice stays through the next syncs (no promotion there).
    technician_turns_sla_warnings_off(claire)
    run_sync(cas_app)
    assert email_preferences(claire)[NotificationEvent.SLA_WARNING] is False


def test_groups_missing_from_the_directory_take_no_role_away(cas_app, cas, slapd, app_ctx):
    """The groups branch shows none of the mapping's groups (emptied while the feed reloads
    it, or hidden from desk's service account by an access rule): the sync read that as
    "nobody is in any group" and took every technician's and admin's role and queues away
    overnight, their open tickets given back unassigned; a technician signing in meanwhile
    lost them the same way. Such a sync now fails and changes nothing, and a sign-in keeps
    the account's role; once the groups are back, the sync goes through."""
    from desk.reference.models import Queue
    from desk.tickets.models import Ticket
    from tests.support.factories import make_ticket

    sign_in_everyone(cas_app, cas)
    karim = user_by_email("tech.reseau@umontpellier.fr")
    network = db.session.scalar(select(Queue).filter_by(code="reseau"))
    claire = user_by_email("claire.martin@umontpellier.fr")
    held = make_ticket(queue=network, requester=claire, assignee=karim, status="in_progress")
    with slapd.admin() as conn:
        for cn in GROUPS:
            assert conn.delete(f"cn={cn},{GROUPS_DN}"), conn.result
    run = run_sync(cas_app)
    assert run.status == "failed"
    assert cas_sign_in(new_browser(cas_app), cas, "kbenali").status_code == 302
    karim = user_by_email("tech.reseau@umontpellier.fr")
    assert karim.role is Role.TECHNICIAN and "reseau" in {m.queue.code for m in karim.memberships}
    assert user_by_email("admin.annuaire@umontpellier.fr").role is Role.ADMIN
    assert db.session.get(Ticket, held.id).assignee_id == karim.id
    for cn, logins in GROUPS.items():
        slapd.add_group(cn, logins)
    assert run_sync(cas_app).status == "ok"
    assert user_by_email("tech.reseau@umontpellier.fr").role is Role.TECHNICIAN


def test_sync_links_existing_local_accounts_by_email(cas_app, slapd, app_ctx):
    local = make_user("claire.martin@umontpellier.fr", name="C. Martin", is_staff=False)
    local.password_hash = ""  # a requester without a password (test_account_linking)
    db.session.commit()
    make_user("outsider@example.org")  # not in the directory: left alone
    run = run_sync(cas_app)
    assert run.status == "ok" and run.counts["linked"] == 1
    claire = user_by_email("claire.martin@umontpellier.fr")
    assert claire.id == local.id and claire.display_name == "Claire Martin"
    assert claire.is_staff is True and claire.phone == "+33467141234"
    assert user_by_email("outsider@example.org").is_active_account is True


def test_email_taken_by_another_account_is_a_conflict(cas_app, cas, slapd, app_ctx):
    sign_in_everyone(cas_app, cas)
    make_user("shared@umontpellier.fr")
    slapd.modify("cmartin", mail="shared@umontpellier.fr")
    run_sync(cas_app)
    claire = user_by_email("claire.martin@umontpellier.fr")
    assert claire is not None
    conflict = db.session.scalar(select(DirectoryConflict).filter_by(user_id=claire.id))
    assert (conflict.field, conflict.directory_value) == ("email", "shared@umontpellier.fr")


def test_a_technician_who_left_gives_back_his_open_tickets(cas_app, cas, slapd, app_ctx):
    from desk.tickets.models import Ticket
    from tests.support.factories import make_queue, make_ticket

    cas_app.config["DIRECTORY_MAX_DEACTIVATE_PERCENT"] = 50
    sign_in_everyone(cas_app, cas)
    karim = db.session.scalar(
        select(User).join(DirectoryLink).where(DirectoryLink.login == "kbenali")
    )
    queue = make_queue(code="reseau-sync")
    claire = user_by_email("claire.martin@umontpellier.fr")
    held = make_ticket(queue=queue, requester=claire, assignee=karim, status="in_progress")
    done = make_ticket(queue=queue, requester=claire, assignee=karim, status="closed")
    slapd.delete("kbenali")
    run = run_sync(cas_app)
    assert run.counts["deactivated"] == 1 and run.counts["released"] == 1
    assert db.session.get(Ticket, held.id).assignee_id is None
    assert db.session.get(Ticket, done.id).assignee_id == karim.id


def test_a_technician_dropped_from_the_team_s_group_gives_back_its_tickets(
    cas_app, cas, slapd, app_ctx
):
    from desk.reference.models import Queue
    from desk.tickets.models import Ticket
    from tests.support.factories import make_ticket

    sign_in_everyone(cas_app, cas)
    karim = user_by_email("tech.reseau@umontpellier.fr")
    network = db.session.scalar(select(Queue).filter_by(code="reseau"))
    assert network.id in karim.queue_ids
    claire = user_by_email("claire.martin@umontpellier.fr")
    held = make_ticket(queue=network, requester=claire, assignee=karim, status="in_progress")
    slapd.set_group("desk-reseau", ["cmartin"])  # Karim leaves the network team
    run = run_sync(cas_app)
    assert run.counts["released"] == 1
    assert db.session.get(Ticket, held.id).assignee_id is None


def _fill_directory(slapd, count: int) -> None:
    """`count` more students, as a real directory has tens of thousands."""
    with slapd.admin() as conn:
        for i in range(count):
            login = f"etu{i:05d}"
            attrs = person(login, f"Étudiant {i}", f"{login}@etu.umontpellier.fr", ["student"])
            assert conn.add(f"uid={login},ou=people,dc=umontpellier,dc=fr", attributes=attrs)


def test_a_directory_cut_short_by_its_size_limit_fails_the_run_and_deactivates_nobody(
    cas_app, cas, slapd, app_ctx
):
    """slapd sends desk's service account 500 entries at most (its default size limit, paged
    search included) and says so in the result code only, which ldap3 does not raise: the
    sync read a truncated tree as the whole one and deactivated everyone past the 500th."""
    cas_app.config["DIRECTORY_MAX_DEACTIVATE_PERCENT"] = 50
    sign_in_everyone(cas_app, cas)
    _fill_directory(slapd, 510)
    # Léo's entry is rewritten (a new contract): it now comes after the 510 others.
    slapd.delete("lpetit")
    slapd.add_person(
        "lpetit", person("lpetit", "Léo Petit", "leo.petit@etu.umontpellier.fr", ["student"])
    )
    run = run_sync(cas_app)
    assert (run.status, run.reason) == ("failed", "cut_short")  # not "unreachable"
    assert all(u.is_active_account for u in db.session.scalars(select(User)))
    assert user_by_email("leo.petit@etu.umontpellier.fr").is_active_account is True


def test_a_changed_login_alias_keeps_the_account_at_sign_in_and_at_the_sync(
    cas_app, cas, slapd, app_ctx
):
    """The admin signs in with an alias, which the directory then renames (same entry, same
    DN). He got in through the DN, but his link kept the old alias, so the next sync, looking
    people up by login, took him for gone and deactivated the directory's admin."""
    cas_app.config["DIRECTORY_MAX_DEACTIVATE_PERCENT"] = 50
    cas.add_account("admin.desk", CAS_PASSWORD)
    for login in ("cmartin", "lpetit", "kbenali", "admin.desk"):
        client = new_browser(cas_app)
        assert cas_sign_in(client, cas, login).status_code == 302
    admin = user_by_email("admin.annuaire@umontpellier.fr")
    assert db.session.get(DirectoryLink, admin.id).login == "admin.desk"

    slapd.modify("adesk", supannAliasLogin="a.desk")
    cas.add_account("a.desk", CAS_PASSWORD)
    client = new_browser(cas_app)
    assert cas_sign_in(client, cas, "a.desk").status_code == 302
    assert user_by_email("admin.annuaire@umontpellier.fr").id == admin.id  # the same account
    assert db.session.get(DirectoryLink, admin.id).login in {"adesk", "a.desk"}
    run = run_sync(cas_app)
    assert run.status == "ok" and run.counts["deactivated"] == 0
    admin = user_by_email("admin.annuaire@umontpellier.fr")
    assert admin.is_active_account is True and admin.role is Role.ADMIN


def test_a_changed_login_alias_found_by_the_sync_is_followed(cas_app, cas, slapd, app_ctx):
    """The same rename, seen by the sync before the person signs in again: found by its DN."""
    cas_app.config["DIRECTORY_MAX_DEACTIVATE_PERCENT"] = 50
    cas.add_account("admin.desk", CAS_PASSWORD)
    for login in ("cmartin", "lpetit", "kbenali", "admin.desk"):
        client = new_browser(cas_app)
        assert cas_sign_in(client, cas, login).status_code == 302
    admin = user_by_email("admin.annuaire@umontpellier.fr")
    slapd.modify("adesk", supannAliasLogin="a.desk")
    run = run_sync(cas_app)
    assert run.status == "ok" and run.counts["deactivated"] == 0
    assert user_by_email("admin.annuaire@umontpellier.fr").is_active_account is True
    assert db.session.get(DirectoryLink, admin.id).login in {"adesk", "a.desk"}
    # And the next one too (the link now carries a login the entry answers to).
    assert run_sync(cas_app).counts["deactivated"] == 0


def test_a_person_back_in_the_directory_gets_in_before_the_next_sync(
    cas_app, cas, slapd, app_ctx, client
):
    """Deactivated by the sync when the entry went, back in the directory the next morning:
    "your account is deactivated" until the following night was all the sign-in said."""
    cas_app.config["DIRECTORY_MAX_DEACTIVATE_PERCENT"] = 50
    sign_in_everyone(cas_app, cas)
    slapd.withdraw("lpetit")
    assert run_sync(cas_app).counts["deactivated"] == 1
    slapd.restore("lpetit")
    response = cas_sign_in(client, cas, "lpetit")
    assert response.status_code == 302
    assert "Léo Petit" in client.get("/home").text
    leo = user_by_email("leo.petit@etu.umontpellier.fr")
    assert leo.is_active_account is True and leo.deactivated_at is None
    link = db.session.get(DirectoryLink, leo.id)
    assert link.is_gone is False and link.login == "lpetit"
    assert run_sync(cas_app).counts["reactivated"] == 0  # nothing left for the sync to do


def test_an_account_an_admin_deactivated_stays_deactivated_at_sign_in(
    cas_app, cas, slapd, app_ctx, client
):
    from desk.auth.services import deactivate_user

    sign_in_everyone(cas_app, cas)
    leo = user_by_email("leo.petit@etu.umontpellier.fr")
    deactivate_user(leo, actor=user_by_email("admin.annuaire@umontpellier.fr"))
    db.session.commit()
    response = cas_sign_in(client, cas, "lpetit")
    assert response.status_code == 403
    assert "Votre compte est désactivé" in response.text
    assert user_by_email("leo.petit@etu.umontpellier.fr").is_active_account is False
