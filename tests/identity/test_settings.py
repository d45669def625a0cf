"""The identity settings: defaults, and malformed values stopped with the variable's name."""

from __future__ import annotations

import pytest

from config import Config, ConfigError


def test_local_passwords_and_no_directory_by_default():
    config = Config({})
    assert config.AUTH == "local" and config.CAS_URL == "" and config.LDAP_URL == ""
    assert config.DIRECTORY_MAX_DEACTIVATE_PERCENT == 5


def test_cas_settings_are_read():
    config = Config(
        {
            "DESK_AUTH": "CAS",
            "DESK_CAS_URL": "https://cas.umontpellier.fr/cas/",
            "DESK_LDAP_URL": "ldaps://ldap.umontpellier.fr",
            "DESK_DIRECTORY_MAX_DEACTIVATE_PERCENT": "10",
        }
    )
    assert config.AUTH == "cas" and config.CAS_URL.startswith("https://")
    assert config.DIRECTORY_MAX_DEACTIVATE_PERCENT == 10


@pytest.mark.parametrize(
    ("value", "attribute"),
    [
        (None, "entryUUID"),  # OpenLDAP's, by default
        ("nsUniqueId", "nsUniqueId"),
        (" objectGUID ", "objectGUID"),
        ("1.3.6.1.1.16.4", "1.3.6.1.1.16.4"),  # entryUUID by its OID
        ("", ""),  # set but empty: entries followed by login and DN only
    ],
)
def test_the_entry_id_attribute(value, attribute):
    environ = {} if value is None else {"DESK_LDAP_ENTRY_ID_ATTRIBUTE": value}
    assert attribute == Config(environ).LDAP_ENTRY_ID_ATTRIBUTE


@pytest.mark.parametrize(
    ("environ", "name"),
    [
        ({"DESK_AUTH": "saml"}, "DESK_AUTH"),
        ({"DESK_AUTH": "cas"}, "DESK_CAS_URL"),
        ({"DESK_AUTH": "cas", "DESK_CAS_URL": "cas.example.org"}, "DESK_CAS_URL"),
        ({"DESK_LDAP_URL": "http://ldap"}, "DESK_LDAP_URL"),
        ({"DESK_DIRECTORY_MAX_DEACTIVATE_PERCENT": "-1"}, "DESK_DIRECTORY_MAX_DEACTIVATE_PERCENT"),
        ({"DESK_CAS_TIMEOUT": "soon"}, "DESK_CAS_TIMEOUT"),
        ({"DESK_LDAP_ENTRY_ID_ATTRIBUTE": "entryUUID,cn"}, "DESK_LDAP_ENTRY_ID_ATTRIBUTE"),
        ({"DESK_LDAP_ENTRY_ID_ATTRIBUTE": "*"}, "DESK_LDAP_ENTRY_ID_ATTRIBUTE"),
        ({"DESK_LDAP_ENTRY_ID_ATTRIBUTE": "entry UUID"}, "DESK_LDAP_ENTRY_ID_ATTRIBUTE"),
        ({"DESK_LDAP_ENTRY_ID_ATTRIBUTE": "2uuid"}, "DESK_LDAP_ENTRY_ID_ATTRIBUTE"),
    ],
)
def test_malformed_settings_name_the_variable(environ, name):
    with pytest.raises(ConfigError, match=name):
        Config(environ)
