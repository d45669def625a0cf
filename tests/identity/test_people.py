"""The pure mapping: attributes → person, staff decision, groups → role and queues."""

from __future__ import annotations

import pytest

from desk.identity.people import (
    GroupRule,
    IdentityMapping,
    MissingAttribute,
    access_from_groups,
    clean,
    person_from_attributes,
)

MAPPING = IdentityMapping(
    attributes={
        "login": ("uid", "supannAliasLogin"),
        "display_name": ("displayName", "cn"),
        "email": ("mail",),
        "phone": ("telephoneNumber",),
        "affiliation": ("eduPersonAffiliation",),
        "entity": ("supannEntiteAffectation",),
    },
    staff_affiliations=frozenset({"staff", "faculty", "employee"}),
    groups=(
        GroupRule("desk-reseau", "technician", {"reseau": True, "support": False}),
        GroupRule("desk-support", "technician", {"support": True}),
        GroupRule("desk-admins", "admin"),
    ),
)


def test_first_present_attribute_wins_and_names_are_case_insensitive():
    person = person_from_attributes(
        {"UID": ["CMartin"], "CN": ["Claire M."], "MAIL": ["Claire.Martin@Umontpellier.fr"]},
        MAPPING,
        dn="uid=cmartin,ou=people",
    )
    assert person.login == "cmartin"
    assert person.display_name == "Claire M."
    assert person.email == "claire.martin@umontpellier.fr"
    assert person.phone is None and person.entity is None and person.affiliations == ()


def test_every_login_of_the_entry_is_known():
    person = person_from_attributes(
        {"uid": ["adesk"], "supannAliasLogin": ["admin.desk"], "mail": ["a@u.fr"]}, MAPPING
    )
    assert person.logins == ("adesk", "admin.desk")


@pytest.mark.parametrize(
    ("attrs", "missing"),
    [
        ({"mail": ["a@u.fr"]}, "login"),
        ({"uid": ["a"]}, "email"),
        ({"uid": ["a"], "mail": ["   "]}, "email"),
        ({"uid": ["a"], "mail": ["not-an-address"]}, "email"),
        ({"uid": ["a"], "mail": ["x@y.fr,z@evil.org", "<b>@u.fr", "a b@u.fr", "a@", "@"]}, "email"),
        ({"uid": ["\u200b"], "mail": ["a@u.fr"]}, "login"),
        ({"uid": ["x" * 200], "mail": ["a@u.fr"]}, "login"),
    ],
)
def test_missing_login_or_email_is_refused(attrs, missing):
    with pytest.raises(MissingAttribute) as raised:
        person_from_attributes(attrs, MAPPING)
    assert raised.value.field == missing


def test_every_address_of_the_entry_is_known_and_an_entry_without_one_may_be_read():
    person = person_from_attributes(
        {"uid": ["a"], "mail": ["not-an-address", "A@u.fr", "b@u.fr", "a@u.fr"]}, MAPPING
    )
    assert (person.email, person.emails) == ("a@u.fr", ("a@u.fr", "b@u.fr"))
    person = person_from_attributes({"uid": ["a"], "cn": ["Zoé"]}, MAPPING, email_optional=True)
    assert (person.login, person.email, person.emails) == ("a", "", ())
    assert person.display_name == "Zoé"
    with pytest.raises(MissingAttribute):
        person_from_attributes({"mail": ["a@u.fr"]}, MAPPING, email_optional=True)


def test_clean_normalises_odd_text():
    assert clean("He\u0301le\u0300ne\u00a0 Dupont\n") == "Hélène Dupont"
    assert clean("Zoé\u200b\u202e\x00Roux") == "Zoé Roux"  # NUL is a control: a space
    assert clean("\t") == ""


def test_staff_follows_affiliation():
    def staff(*affiliations):
        attrs = {"uid": ["a"], "mail": ["a@u.fr"], "eduPersonAffiliation": list(affiliations)}
        return person_from_attributes(attrs, MAPPING).is_staff(MAPPING)

    assert staff("student", "member") is False
    assert staff("Faculty") is True
    assert staff("student", "employee") is True  # a student employed by the university
    assert staff() is False  # unknown: the least privilege


def test_groups_give_the_highest_role_and_every_queue():
    dn = "uid=k,ou=people"
    members = {"desk-reseau": {dn}, "desk-support": {dn}, "desk-admins": set()}
    role, queues = access_from_groups(dn, members, MAPPING)
    assert role == "technician"
    assert queues == {"reseau": True, "support": True}
    members["desk-admins"] = {dn.upper().lower()}
    assert access_from_groups(dn, members, MAPPING)[0] == "admin"
    assert access_from_groups("uid=other", members, MAPPING) == ("requester", {})
    assert access_from_groups(None, members, MAPPING) == ("requester", {})
