"""A university person writing from another of their institutional addresses (an alias, the
student or the staff one) is known by the directory entry that lists it: mail,
mailAlternateAddress or supannAutreMail — never supannMailPerso, a personal mailbox. One
search, escaped, of at most two entries; nobody, several, or the directory down: held."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from flask import current_app
from sqlalchemy import func, select

from desk.auth.models import Role, User
from desk.extensions import db
from desk.identity.directory import LdapDirectory, get_directory
from desk.identity.models import DirectoryLink
from desk.identity.services import account_for_mail
from desk.inbound.models import HoldReason, InboundStatus
from desk.inbound.review import retry_message
from desk.inbound.services import fetch_mail
from desk.reference.loader import LoadError, load_reference
from desk.tickets.models import EventKind, Ticket
from tests.inbound import samples
from tests.inbound.helpers import events, ledger, signed
from tests.inbound.test_services import drop, subject_of
from tests.support.factories import make_queue, make_request_type, make_ticket, make_user
from tests.support.slapd import PEOPLE, PEOPLE_DN, free_port, person, slapd

__all__ = ["slapd"]

DEMO = Path(__file__).resolve().parents[2] / "desk/reference/data/demo.yaml"
ALIAS = "c.martin@umontpellier.fr"
QUEUE_ADDRESS = "support@univ.example"


@pytest.fixture
def directory(app, db, inbound, slapd, tmp_path, monkeypatch):
    """desk pointed at the test directory, with the demo's attribute mapping."""
    for name, value in slapd.settings().items():
        monkeypatch.setitem(app.config, name, value)
    monkeypatch.setitem(app.config, "LDAP_TIMEOUT", 2)
    demo = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    path = tmp_path / "identity.yaml"
    path.write_text(yaml.safe_dump({"directory_attributes": demo["directory_attributes"]}))
    load_reference(path)
    return slapd


def _linked(login: str, **extra) -> User:
    """The account that signing in as `login` made (by its login and DN)."""
    user = make_user(email=PEOPLE[login]["mail"], name=PEOPLE[login]["displayName"], **extra)
    db.session.add(DirectoryLink(user=user, login=login, dn=f"uid={login},{PEOPLE_DN}"))
    db.session.commit()
    return user


def _held_as(reason: HoldReason):
    (row,) = [r for r in ledger() if r.status is not InboundStatus.APPENDED]
    assert row.status is InboundStatus.HELD and row.reason is reason, (row.status, row.reason)
    return row


def _maildir() -> Path:
    return Path(current_app.config["INBOUND_MAILDIR"])


def _reply(ticket, sender: str, name: str = "1.eml") -> None:
    drop(_maildir(), name, samples.gmail(sender=sender, to=signed(ticket), subject="Re: x"))


def test_a_reply_from_an_alias_is_the_person_s(directory):
    claire = _linked("cmartin", is_staff=False)
    directory.modify("cmartin", mailAlternateAddress=[ALIAS, "claire@umontpellier.fr"])
    ticket = make_ticket(requester=claire, queue=make_queue(), status="waiting_on_requester")
    db.session.commit()
    users = db.session.scalar(select(func.count()).select_from(User))
    _reply(ticket, ALIAS.upper())
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.actor_id == claire.id
    # Nothing made, nothing changed: an e-mail is no sign-in.
    assert db.session.scalar(select(func.count()).select_from(User)) == users
    assert db.session.get(User, claire.id).email == "claire.martin@umontpellier.fr"


def test_the_link_is_found_by_dn_when_the_login_changed(directory):
    claire = _linked("cmartin", is_staff=False)
    db.session.get(DirectoryLink, claire.id).login = "old-login"
    directory.modify("cmartin", mailAlternateAddress=ALIAS)
    ticket = make_ticket(requester=claire, queue=make_queue())
    db.session.commit()
    _reply(ticket, ALIAS)
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.actor_id == claire.id


def test_a_new_request_from_a_supann_autre_mail_address(directory):
    leo = _linked("lpetit", is_staff=False)
    directory.modify("lpetit", supannAutreMail="leo.petit@umontpellier.fr")
    queue = make_queue()
    queue.inbound_address = QUEUE_ADDRESS
    make_request_type(form_key="email_request", queue=queue)
    db.session.commit()
    raw = samples.gmail(sender="leo.petit@umontpellier.fr", to=QUEUE_ADDRESS, subject="Wi-Fi")
    drop(_maildir(), "1.eml", raw)
    assert fetch_mail().counts == {"created": 1}
    (ticket,) = db.session.scalars(select(Ticket))
    assert ticket.requester_id == leo.id and ticket.queue_id == queue.id


def test_a_personal_address_is_no_alias(directory):
    claire = _linked("cmartin", is_staff=False)
    directory.modify("cmartin", supannMailPerso="claire.perso@gmail.example")
    ticket = make_ticket(requester=claire, queue=make_queue())
    db.session.commit()
    _reply(ticket, "claire.perso@gmail.example")
    assert fetch_mail().counts == {"held": 1}
    _held_as(HoldReason.UNKNOWN_SENDER)
    assert events(ticket, EventKind.COMMENT) == []


def test_the_mapping_refuses_a_personal_address_as_an_alias(directory, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "directory_attributes": [
                    {"field": "mail_aliases", "attributes": ["supannAutreMail", "supannMailPerso"]}
                ]
            }
        )
    )
    with pytest.raises(LoadError, match="supannMailPerso"):
        load_reference(path)


def test_an_alias_two_entries_share_is_held(directory):
    claire = _linked("cmartin", is_staff=False)
    directory.modify("cmartin", mailAlternateAddress="dsin@umontpellier.fr")
    directory.add_person(
        "jdurand",
        person("jdurand", "Jean Durand", "jean.durand@umontpellier.fr", ["staff"], entity="DSIN")
        | {"supannAutreMail": "dsin@umontpellier.fr"},
    )
    ticket = make_ticket(requester=claire, queue=make_queue())
    db.session.commit()
    _reply(ticket, "dsin@umontpellier.fr")
    assert fetch_mail().counts == {"held": 1}
    _held_as(HoldReason.UNKNOWN_SENDER)


def test_an_entry_without_an_active_account_is_held(directory):
    claire = _linked("cmartin", is_staff=False)
    directory.modify("cmartin", mailAlternateAddress=ALIAS)
    directory.modify("lpetit", mailAlternateAddress="leo@umontpellier.fr")  # never signed in
    ticket = make_ticket(requester=claire, queue=make_queue())
    claire.is_active_account = False
    db.session.commit()
    _reply(ticket, ALIAS)
    _reply(ticket, "leo@umontpellier.fr", "2.eml")
    assert fetch_mail().counts == {"held": 2}
    assert {r.reason for r in ledger()} == {HoldReason.UNKNOWN_SENDER}
    assert db.session.scalar(select(DirectoryLink).filter_by(login="lpetit")) is None


def test_directory_down_holds_and_a_retry_once_back_appends(directory, app, monkeypatch):
    claire = _linked("cmartin", is_staff=False)
    admin = make_user("admin@umontpellier.fr", role=Role.ADMIN)
    directory.modify("cmartin", mailAlternateAddress=ALIAS)
    ticket = make_ticket(requester=claire, queue=make_queue())
    db.session.commit()
    url = app.config["LDAP_URL"]
    monkeypatch.setitem(app.config, "LDAP_URL", f"ldap://127.0.0.1:{free_port()}")
    _reply(ticket, ALIAS)
    assert fetch_mail().counts == {"held": 1}
    row = _held_as(HoldReason.UNKNOWN_SENDER)
    assert "directory unavailable" in row.detail
    monkeypatch.setitem(app.config, "LDAP_URL", url)
    assert retry_message(row.id, actor=admin) == "appended"
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.actor_id == claire.id


@pytest.mark.parametrize(
    "address",
    [
        "claire.mar*@umontpellier.fr",  # unescaped, this would be Claire's mail
        "*@umontpellier.fr",
        "*)(uid=cmartin@umontpellier.fr",
        "*)(uid=*@umontpellier.fr",
        "x@y)(|(uid=cmartin)",
        "c.martin@umontpellier.fr\\2a",
    ],
)
def test_a_sender_address_cannot_inject_a_filter(directory, address):
    _linked("cmartin", is_staff=False)
    directory.modify("cmartin", mailAlternateAddress=ALIAS)
    assert account_for_mail(address, get_directory(current_app.config)) is None


def test_a_wildcard_sender_is_held(directory):
    claire = _linked("cmartin", is_staff=False)
    ticket = make_ticket(requester=claire, queue=make_queue())
    db.session.commit()
    _reply(ticket, "claire.mar*@umontpellier.fr")
    assert fetch_mail().counts == {"held": 1}
    _held_as(HoldReason.UNKNOWN_SENDER)


def test_a_staff_alias_still_needs_proof(directory):
    queue = make_queue()
    queue.inbound_address = QUEUE_ADDRESS
    tech = _linked("kbenali", role=Role.TECHNICIAN, queues=(queue,))
    directory.modify("kbenali", mailAlternateAddress="karim.benali@umontpellier.fr")
    requester = make_user("marie.dupont@umontpellier.fr")
    ticket = make_ticket(requester=requester, queue=queue)
    db.session.commit()
    forged = samples.gmail(
        sender="karim.benali@umontpellier.fr", to=QUEUE_ADDRESS, subject=subject_of(ticket)
    )
    drop(_maildir(), "1.eml", forged)
    assert fetch_mail().counts == {"held": 1}
    _held_as(HoldReason.UNPROVEN_STAFF)
    # Through the staff reply address (the proof), the alias writes as the technician.
    proven = samples.gmail(
        sender="karim.benali@umontpellier.fr", to=signed(ticket, staff=True), subject="Re: x"
    )
    drop(_maildir(), "2.eml", proven)
    assert fetch_mail().counts == {"appended": 1}
    (reply,) = events(ticket, EventKind.REPLY)
    assert reply.actor_id == tech.id


def test_a_known_sender_costs_no_directory_search(directory, monkeypatch):
    claire = _linked("cmartin", is_staff=False)
    ticket = make_ticket(requester=claire, queue=make_queue())
    db.session.commit()

    def refuse(*args, **kwargs):
        raise AssertionError("the directory was searched")

    monkeypatch.setattr(LdapDirectory, "find_by_mail", refuse)
    _reply(ticket, claire.email)
    assert fetch_mail().counts == {"appended": 1}
