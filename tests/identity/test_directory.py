"""The LDAP client against slapd: lookups, escaping, paging, groups, failures."""

from __future__ import annotations

import pytest

from desk.identity.directory import DirectoryUnavailable, LdapDirectory, entry_id_text
from tests.support.slapd import GROUPS_DN, PEOPLE_DN, person

LOGINS = ["uid", "supannAliasLogin"]


@pytest.fixture
def directory(slapd):
    return LdapDirectory(
        {**slapd.settings(), "LDAP_PEOPLE_FILTER": "(objectClass=inetOrgPerson)", "LDAP_TIMEOUT": 2}
    )


def test_find_person_by_uid_or_alias(directory):
    entry = directory.find_person("cmartin", LOGINS)
    assert entry.dn == f"uid=cmartin,{PEOPLE_DN}"
    assert entry.attributes["mail"] == ["claire.martin@umontpellier.fr"]
    assert sorted(entry.attributes["eduPersonAffiliation"]) == ["employee", "member", "staff"]
    assert directory.find_person("admin.desk", LOGINS).dn == f"uid=adesk,{PEOPLE_DN}"
    assert directory.find_person("nobody", LOGINS) is None


@pytest.mark.parametrize("login", ["*", "*)(uid=*", "cmartin)(|(uid=*", "c*", "\\2a", "(", ""])
def test_filter_characters_in_a_login_match_nobody(directory, login):
    assert directory.find_person(login, LOGINS) is None


def test_a_login_shared_by_two_entries_is_nobody(directory, slapd):
    slapd.add_person(
        "other",
        person("other", "Autre", "autre@umontpellier.fr", ["staff"], alias="cmartin"),
    )
    assert directory.find_person("cmartin", LOGINS) is None


def test_people_are_read_in_pages(directory, slapd):
    directory.PAGE_SIZE = 2
    for i in range(5):
        slapd.add_person(f"p{i}", person(f"p{i}", f"P {i}", f"p{i}@umontpellier.fr", ["student"]))
    logins = sorted(e.attributes["uid"][0] for e in directory.people())
    assert logins == sorted(["adesk", "cmartin", "kbenali", "lpetit", *(f"p{i}" for i in range(5))])


def test_group_members_are_lower_cased_dns(directory):
    members = directory.group_members(["desk-reseau", "desk-admins", "desk-none*"])
    assert members["desk-reseau"] == {f"uid=kbenali,{PEOPLE_DN}".lower()}
    assert members["desk-admins"] == {f"uid=adesk,{PEOPLE_DN}".lower()}
    assert "desk-none*" not in members  # no such group: unknown, not empty


def test_only_groups_right_under_the_groups_branch_count(directory, slapd):
    # Someone may create a group named like desk's in a self-service branch of the tree: it
    # must not make them an admin.
    branch = f"ou=self-service,{GROUPS_DN}"
    with slapd.admin() as conn:
        assert conn.add(branch, attributes={"objectClass": ["organizationalUnit"]}), conn.result
        assert conn.add(
            f"cn=desk-admins,{branch}",
            attributes={
                "objectClass": ["groupOfNames"],
                "cn": "desk-admins",
                "member": [f"uid=lpetit,{PEOPLE_DN}"],
            },
        ), conn.result
    members = directory.group_members(["desk-admins"])
    assert members["desk-admins"] == {f"uid=adesk,{PEOPLE_DN}".lower()}


def test_wrong_credentials_or_a_stopped_server_are_unavailable(directory, slapd):
    directory.password = "wrong"
    with pytest.raises(DirectoryUnavailable):
        directory.find_person("cmartin", LOGINS)
    directory.password = slapd.settings()["LDAP_BIND_PASSWORD"]
    slapd.stop()
    with pytest.raises(DirectoryUnavailable):
        directory.find_person("cmartin", LOGINS)
    with pytest.raises(DirectoryUnavailable):
        list(directory.people())


def test_entries_carry_their_entry_uuid(directory, slapd):
    """entryUUID is operational, not among '*': desk asks for it by name, and has it from
    every kind of search."""
    uuid = slapd.entry_uuid("cmartin")
    assert uuid and directory.find_person("cmartin", LOGINS).entry_id == uuid
    people = {entry.dn: entry.entry_id for entry in directory.people()}
    assert people[f"uid=cmartin,{PEOPLE_DN}"] == uuid
    assert len(set(people.values())) == len(people) and None not in people.values()
    found = directory.search_people("Claire", ["displayName"], [], 5)
    assert [entry.entry_id for entry in found] == [uuid]


def test_no_entry_id_when_the_attribute_is_empty_or_absent(slapd):
    settings = {**slapd.settings(), "LDAP_PEOPLE_FILTER": "(objectClass=inetOrgPerson)"}
    off = LdapDirectory({**settings, "LDAP_ENTRY_ID_ATTRIBUTE": ""})
    assert off.find_person("cmartin", LOGINS).entry_id is None
    absent = LdapDirectory({**settings, "LDAP_ENTRY_ID_ATTRIBUTE": "nsUniqueId"})
    assert absent.find_person("cmartin", LOGINS).entry_id is None


def test_entry_id_text_of_each_directory_kind():
    guid = bytes.fromhex("4a2b1c0d5e6f70819293a4b5c6d7e8f9")
    # AD shows objectGUID with its first three fields little-endian.
    assert entry_id_text("objectGUID", [guid]) == "0d1c2b4a-6f5e-8170-9293-a4b5c6d7e8f9"
    assert entry_id_text("entryUUID", [b"bd984b1e-85e2-1041-8828-7534bf1ee687"]) == (
        "bd984b1e-85e2-1041-8828-7534bf1ee687"
    )
    assert entry_id_text("nsUniqueId", ["66ee9f01-1dd211b2-8d3cd9c2-4c6a1b11"]) == (
        "66ee9f01-1dd211b2-8d3cd9c2-4c6a1b11"
    )
    assert entry_id_text("someBinaryId", [b"\x00\xff\x10"]) == "00ff10"
    assert entry_id_text("entryUUID", []) is None
    assert entry_id_text("entryUUID", [b"a", b"b"]) is None  # single-valued or nothing
    assert entry_id_text("entryUUID", [b"x" * 129]) is None
