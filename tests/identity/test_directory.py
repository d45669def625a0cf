"""The LDAP client against slapd: lookups, escaping, paging, groups, failures."""

from __future__ import annotations

import pytest

from desk.identity.directory import DirectoryUnavailable, LdapDirectory
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
    assert members["desk-none*"] == set()


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
