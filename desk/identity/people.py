"""From directory (or CAS) attributes to a person, by a mapping that is data: pure code.

Nothing here touches Flask or the database: the services load the mapping from the reference
tables and hand attributes in, and get back a `Person` or a `MissingAttribute`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from desk.notifications.mime import valid_address

FIELDS = ("login", "display_name", "email", "phone", "affiliation", "entity")
REQUIRED = ("login", "email")
# Not an account field: the other institutional addresses of an entry, by which an e-mail
# from one of them is known as its person's (desk.inbound). Mailboxes the university runs
# only: never supannMailPerso, a personal address it does not control (anyone could have
# theirs recorded, or lose it to someone else) - the loader refuses it.
MAIL_ALIASES = "mail_aliases"
DEFAULT_MAIL_ALIASES = ("mailAlternateAddress", "supannAutreMail")
NOT_MAIL_ALIASES = frozenset({"supannmailperso"})
MAX_EMAIL = 254  # RFC 5321
ROLE_RANK = {"requester": 0, "technician": 1, "admin": 2}


class MissingAttribute(ValueError):
    """The entry or CAS answer lacks a value desk needs; `field` names which."""

    def __init__(self, field_name: str):
        super().__init__(field_name)
        self.field = field_name


@dataclass(frozen=True)
class GroupRule:
    """Members of directory group `cn` get `role` and these queues (code → is lead)."""

    cn: str
    role: str
    queues: Mapping[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class IdentityMapping:
    """Field → attribute names (first present wins), staff affiliations, group rules."""

    attributes: Mapping[str, tuple[str, ...]]
    staff_affiliations: frozenset[str] = frozenset()
    groups: tuple[GroupRule, ...] = ()

    @property
    def login_attributes(self) -> list[str]:
        return list(self.attributes.get("login", ()))

    @property
    def mail_attributes(self) -> list[str]:
        """The entry's own address (the e-mail field's attributes) and its aliases."""
        aliases = self.attributes.get(MAIL_ALIASES, DEFAULT_MAIL_ALIASES)
        names = [*self.attributes.get("email", ()), *aliases]
        return [n for n in dict.fromkeys(names) if n.lower() not in NOT_MAIL_ALIASES]

    @property
    def is_configured(self) -> bool:
        return all(self.attributes.get(name) for name in REQUIRED)


@dataclass(frozen=True)
class Person:
    """A person as desk sees them; `dn` is None when the data came from the CAS only.

    `entry_id` is the directory's lasting id of the entry (entryUUID), by which a link finds
    its entry after a rename: set from the directory's answer only (Entry.entry_id), never
    from attributes, which a CAS could release with any value."""

    login: str
    email: str  # "" only for an entry read with email_optional that has no address
    display_name: str
    phone: str | None
    affiliations: tuple[str, ...]
    entity: str | None
    dn: str | None = None
    logins: tuple[str, ...] = ()
    entry_id: str | None = None
    # Every address of the e-mail attribute, `email` first. LDAP values are a set, not a
    # list: a server or a feed may send them in another order tomorrow.
    emails: tuple[str, ...] = ()

    def is_staff(self, mapping: IdentityMapping) -> bool:
        """Staff when any affiliation is a staff one; unknown or none means student."""
        return any(a in mapping.staff_affiliations for a in self.affiliations)


def clean(value: str) -> str:
    """One line of text: NFC-normalised, control characters dropped, spaces collapsed."""
    text = unicodedata.normalize("NFC", value)
    text = "".join(" " if unicodedata.category(c) in {"Cc", "Zl", "Zp"} else c for c in text)
    text = "".join(c for c in text if unicodedata.category(c) not in {"Cf", "Co", "Cs"})
    return " ".join(text.split())


def _is_address(value: str) -> bool:
    """One plain address that desk's mail accepts as a recipient (desk.notifications.mime)."""
    return len(value) <= MAX_EMAIL and valid_address(value)


def _values(attrs: Mapping[str, list[str]], names: tuple[str, ...]) -> list[str]:
    """Values of the first attribute present (attribute names are case-insensitive in LDAP)."""
    lowered = {k.lower(): v for k, v in attrs.items()}
    for name in names:
        values = [clean(v) for v in lowered.get(name.lower(), []) if v is not None]
        values = [v for v in values if v]
        if values:
            return values
    return []


def all_logins(attrs: Mapping[str, list[str]], mapping: IdentityMapping) -> tuple[str, ...]:
    """Every login the entry answers to (uid and supannAliasLogin), lower-cased."""
    lowered = {k.lower(): v for k, v in attrs.items()}
    out: list[str] = []
    for name in mapping.attributes.get("login", ()):
        for value in lowered.get(name.lower(), []):
            login = clean(value or "").lower()
            if login and login not in out:
                out.append(login)
    return tuple(out)


def person_from_attributes(
    attrs: Mapping[str, list[str]],
    mapping: IdentityMapping,
    *,
    dn: str | None = None,
    entry_id: str | None = None,
    email_optional: bool = False,
) -> Person:
    """Build a Person; raises MissingAttribute when the login or the e-mail is absent.

    `email_optional`: an entry without a usable address is still a person (email ""): the
    directory says they are there, so an account linked to it keeps its own address and
    stays active; only a new account cannot be made without one (the caller refuses it).
    """
    picked = {name: _values(attrs, tuple(mapping.attributes.get(name, ()))) for name in FIELDS}
    if not picked["login"]:
        raise MissingAttribute("login")
    # Only a value desk can write to counts as an address: the directory's mail syntax takes
    # "x@y,z@evil.org" or "<b>@x". Made the account's address (or put over its good one by
    # the sync), it lost the person every e-mail; now it is as if the entry had none.
    emails = tuple(dict.fromkeys(e.lower() for e in picked["email"] if _is_address(e)))
    if not emails and not email_optional:
        raise MissingAttribute("email")
    email = emails[0] if emails else ""
    login = picked["login"][0].lower()
    if len(login) > 128:
        raise MissingAttribute("login")
    return Person(
        login=login,
        email=email,
        display_name=(picked["display_name"] or [email or login])[0][:120],
        phone=(picked["phone"] or [None])[0],
        affiliations=tuple(a.lower() for a in picked["affiliation"]),
        # Cut to its column, as the name is: a longer code was a database error (a 500).
        entity=picked["entity"][0][:128] if picked["entity"] else None,
        dn=dn,
        logins=all_logins(attrs, mapping) or (login,),
        entry_id=entry_id,
        emails=emails,
    )


def access_from_groups(
    dn: str | None, members: Mapping[str, set[str]], mapping: IdentityMapping
) -> tuple[str, dict[str, bool]]:
    """The role and queues (code → lead) the person's directory groups give."""
    role, queues = "requester", {}
    if dn is None:
        return role, queues
    for rule in mapping.groups:
        if dn.lower() not in members.get(rule.cn, set()):
            continue
        if ROLE_RANK.get(rule.role, 0) > ROLE_RANK[role]:
            role = rule.role
        for code, lead in rule.queues.items():
            queues[code] = queues.get(code, False) or lead
    if role == "requester":
        queues = {}  # a requester cannot be in a queue
    return role, queues


def holds_from_group(rule: GroupRule, applied: Mapping[str, object]) -> bool:
    """Whether an account may hold something that group `rule` gave it, judged from what the
    directory last applied to it (DirectoryLink.applied: role, queues as "code" or "code*"):
    one of the group's queues, or, for a group without queues, its role. Never false when
    the group gave something; true for a queue or role another group gave too (the caller
    only plays safe on it: a group missing from the directory then changes nobody)."""
    role = applied.get("role")
    if role in (None, "requester"):
        return False
    queues = {str(q).rstrip("*") for q in applied.get("queues") or ()}  # type: ignore[union-attr]
    if rule.queues:
        return bool(queues & set(rule.queues))
    return role == rule.role


def missing_groups(mapping: IdentityMapping, members: Mapping[str, set[str]]) -> list[GroupRule]:
    """The groups of the mapping the directory did not show (group_members leaves them out)."""
    return [rule for rule in mapping.groups if rule.cn not in members]
