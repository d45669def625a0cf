"""The directory client: a small interface, and its LDAP implementation with ldap3.

Services ask for people and group members through `Directory`; only this module knows LDAP.
Every value the user controls (a login, the sender of an e-mail) reaches a filter through
`escape_filter_chars`, so a login such as `*)(uid=*` matches nobody instead of everybody.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

import ldap3
from ldap3.core.exceptions import LDAPException, LDAPSizeLimitExceededResult
from ldap3.core.results import RESULT_SIZE_LIMIT_EXCEEDED, RESULT_TIME_LIMIT_EXCEEDED
from ldap3.utils.conv import escape_filter_chars


class DirectoryUnavailable(Exception):
    """The directory could not be reached or refused desk's service account."""


class DirectoryCutShort(DirectoryUnavailable):
    """The directory answered, but cut the answer short (a size or time limit)."""


def _check_complete(conn: ldap3.Connection, what: str, *, size_limited: bool = False) -> None:
    """Raise if the server cut the answer short. ldap3 does not raise for sizeLimitExceeded
    or timeLimitExceeded, even with raise_exceptions: the entries sent so far come back as if
    they were all. For the sync that means everyone past the service account's limit (500
    entries by default in OpenLDAP, paged or not) is "gone" and deactivated; for the groups,
    technicians and admins dropped from their queues and roles."""
    code = (conn.result or {}).get("result")
    if code == RESULT_TIME_LIMIT_EXCEEDED or (
        code == RESULT_SIZE_LIMIT_EXCEEDED and not size_limited
    ):
        description = (conn.result or {}).get("description")
        raise DirectoryCutShort(
            f"{what}: the directory cut the answer short ({description}); "
            "raise the size and time limits of desk's service account"
        )


@dataclass(frozen=True)
class Entry:
    """A person's entry: its DN, attribute values (every value a string) and the id the
    directory gives it for good (DESK_LDAP_ENTRY_ID_ATTRIBUTE; None: not configured or absent)."""

    dn: str
    attributes: Mapping[str, list[str]]
    entry_id: str | None = None


class Directory(Protocol):
    """What desk needs from the university directory."""

    def find_person(self, login: str, login_attributes: list[str]) -> Entry | None:
        """The entry whose login attribute equals `login`, or None."""

    def find_by_mail(self, address: str, mail_attributes: list[str]) -> Entry | None:
        """The one entry with `address` as one of its `mail_attributes` (mail and its
        aliases), or None (nobody, or several: never guessed)."""

    def entries_by_mail(self, address: str, mail_attributes: list[str], limit: int) -> list[Entry]:
        """The entries (at most `limit`) with `address` as one of `mail_attributes`."""

    def entries_by_login(self, login: str, login_attributes: list[str], limit: int) -> list[Entry]:
        """The entries (at most `limit`) with `login` as one of `login_attributes`."""

    def people(self) -> Iterator[Entry]:
        """Every person entry (paged)."""

    def search_people(
        self, text: str, contains: list[str], starts: list[str], limit: int
    ) -> list[Entry]:
        """At most `limit` entries with `text` inside one of the `contains` attributes or at
        the start of one of the `starts` attributes."""

    def group_members(self, cns: list[str]) -> dict[str, set[str]]:
        """For each of the group cns the directory has, the DNs of its members (lower-cased);
        a cn it has no group for is left out."""


def _strings(values: object) -> list[str]:
    if values is None:
        return []
    items = values if isinstance(values, list | tuple) else [values]
    out = []
    for value in items:
        if isinstance(value, bytes):
            value = value.decode("utf-8", errors="replace")
        out.append(str(value))
    return out


class LdapDirectory:
    """The directory over LDAP v3, bound as desk's read-only service account."""

    PAGE_SIZE = 500

    def __init__(self, settings: Mapping[str, object]):
        self.url = str(settings["LDAP_URL"])
        self.bind_dn = str(settings.get("LDAP_BIND_DN") or "") or None
        self.password = str(settings.get("LDAP_BIND_PASSWORD") or "") or None
        self.people_dn = str(settings["LDAP_PEOPLE_DN"])
        self.groups_dn = str(settings["LDAP_GROUPS_DN"])
        self.people_filter = str(settings["LDAP_PEOPLE_FILTER"])
        self.timeout = int(settings.get("LDAP_TIMEOUT") or 5)
        self.entry_id_attribute = str(settings.get("LDAP_ENTRY_ID_ATTRIBUTE", "entryUUID") or "")
        # An operational attribute such as entryUUID is not among '*': it is asked for by name.
        self.search_attributes = [ldap3.ALL_ATTRIBUTES]
        if self.entry_id_attribute:
            self.search_attributes.append(self.entry_id_attribute)

    def _connect(self) -> ldap3.Connection:
        server = ldap3.Server(self.url, connect_timeout=self.timeout, get_info=ldap3.NONE)
        try:
            return ldap3.Connection(
                server,
                self.bind_dn,
                self.password,
                auto_bind=True,
                read_only=True,
                receive_timeout=self.timeout,
                raise_exceptions=True,
            )
        except LDAPException as exc:
            raise DirectoryUnavailable(f"{self.url}: {exc}") from exc

    def find_person(self, login: str, login_attributes: list[str]) -> Entry | None:
        return self._find_one(login, login_attributes, "person search")

    def find_by_mail(self, address: str, mail_attributes: list[str]) -> Entry | None:
        # The sender of an e-mail is anyone's to write: escaped like a login.
        return self._find_one(address, mail_attributes, "mail search")

    def entries_by_mail(self, address: str, mail_attributes: list[str], limit: int) -> list[Entry]:
        # How many people share an address (an old account is linked on it only if one does).
        return self._find(address, mail_attributes, "mail search", limit)

    def entries_by_login(self, login: str, login_attributes: list[str], limit: int) -> list[Entry]:
        # Whether a login find_person did not find is nobody's or several entries'.
        return self._find(login, login_attributes, "person search", limit)

    def _find_one(self, value: str, attributes: list[str], what: str) -> Entry | None:
        """The entry whose one of `attributes` equals `value`: one search of at most 2."""
        people = self._find(value, attributes, what, 2)
        if len(people) != 1:  # none, or ambiguous: never guess who someone is
            return None
        return people[0]

    def _find(self, value: str, attributes: list[str], what: str, limit: int) -> list[Entry]:
        """The entries (at most `limit`) whose one of `attributes` equals `value`."""
        if not value or not attributes:
            return []
        escaped = escape_filter_chars(value)
        alternatives = "".join(f"({escape_filter_chars(a)}={escaped})" for a in attributes)
        query = f"(&{self.people_filter}(|{alternatives}))"
        try:
            with self._connect() as conn:
                conn.search(
                    self.people_dn, query, attributes=self.search_attributes, size_limit=limit
                )
                # More than the limit is as many as it (size_limited); out of time is not
                # "nobody".
                _check_complete(conn, what, size_limited=True)
                entries = list(conn.response or [])
        except LDAPException as exc:
            raise DirectoryUnavailable(str(exc)) from exc
        return [self._entry(e) for e in entries if e.get("type") == "searchResEntry"]

    def search_people(
        self, text: str, contains: list[str], starts: list[str], limit: int
    ) -> list[Entry]:
        value = escape_filter_chars(text)
        if not value or not (contains or starts):
            return []
        alternatives = "".join(f"({escape_filter_chars(a)}=*{value}*)" for a in contains)
        alternatives += "".join(f"({escape_filter_chars(a)}={value}*)" for a in starts)
        query = f"(&{self.people_filter}(|{alternatives}))"
        try:
            with self._connect() as conn:
                # More matches than asked for: the first `limit` are in the response.
                with contextlib.suppress(LDAPSizeLimitExceededResult):
                    conn.search(
                        self.people_dn, query, attributes=self.search_attributes, size_limit=limit
                    )
                entries = list(conn.response or [])
        except LDAPException as exc:
            raise DirectoryUnavailable(str(exc)) from exc
        return [self._entry(e) for e in entries if e.get("type") == "searchResEntry"][:limit]

    def people(self) -> Iterator[Entry]:
        try:
            with self._connect() as conn:
                results = conn.extend.standard.paged_search(
                    self.people_dn,
                    self.people_filter,
                    attributes=self.search_attributes,
                    paged_size=self.PAGE_SIZE,
                    generator=True,
                )
                for result in results:
                    if result.get("type") == "searchResEntry":
                        yield self._entry(result)
                # The sync reads the whole list before it changes anything: raising at the end
                # still stops it in time.
                _check_complete(conn, "people")
        except LDAPException as exc:
            raise DirectoryUnavailable(str(exc)) from exc

    def group_members(self, cns: list[str]) -> dict[str, set[str]]:
        members: dict[str, set[str]] = {}
        if not cns:
            return members
        wanted = "".join(f"(cn={escape_filter_chars(cn)})" for cn in cns)
        query = f"(&(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))(|{wanted}))"
        try:
            with self._connect() as conn:
                # Only the groups right under LDAP_GROUPS_DN: a role is granted by a group
                # the directory's administrators keep, not by one of the same cn that people
                # may create deeper in the tree (self-service or Grouper branches).
                conn.search(
                    self.groups_dn,
                    query,
                    search_scope=ldap3.LEVEL,
                    attributes=["cn", "member", "uniqueMember"],
                )
                _check_complete(conn, "groups")
                for result in conn.response or []:
                    if result.get("type") != "searchResEntry":
                        continue
                    attrs = result["attributes"]
                    for cn in _strings(attrs.get("cn")):
                        if cn in cns:
                            dns = _strings(attrs.get("member")) + _strings(
                                attrs.get("uniqueMember")
                            )
                            members.setdefault(cn, set()).update(dn.lower() for dn in dns)
        except LDAPException as exc:
            raise DirectoryUnavailable(str(exc)) from exc
        return members

    def _entry(self, result: Mapping) -> Entry:
        attributes = {name: _strings(values) for name, values in result["attributes"].items()}
        raw = {
            name.lower(): values for name, values in (result.get("raw_attributes") or {}).items()
        }
        entry_id = None
        if self.entry_id_attribute:
            values = raw.get(self.entry_id_attribute.lower()) or []
            entry_id = entry_id_text(self.entry_id_attribute, values)
        return Entry(dn=str(result["dn"]), attributes=attributes, entry_id=entry_id)


MAX_ENTRY_ID = 128  # DirectoryLink.entry_id


def entry_id_text(attribute: str, values: list[bytes | str]) -> str | None:
    """The text desk keeps of an entry's id, from the values the server sent as they came:
    OpenLDAP's entryUUID and 389-DS's nsUniqueId as they read, AD's binary objectGUID as its
    GUID ("{...}" without braces, the order AD shows), any other binary value in hex. None when
    the entry has none, several (an id is single-valued: never guess) or one too long."""
    if len(values) != 1:
        return None
    value = values[0]
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if attribute.lower() == "objectguid" and len(raw) == 16:
        text = str(uuid.UUID(bytes_le=raw))
    else:
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            text = raw.hex()
        if not text.isprintable():
            text = raw.hex()
    return text if 0 < len(text) <= MAX_ENTRY_ID else None


def get_directory(settings: Mapping[str, object]) -> Directory | None:
    """The configured directory, or None when desk runs without one."""
    if not settings.get("LDAP_URL"):
        return None
    return LdapDirectory(settings)
