"""A real OpenLDAP slapd on a free port, with a small SupAnn university tree, for tests.

Debian's /usr/sbin/slapd runs from a generated slapd.conf (core, cosine, inetOrgPerson and NIS
schemas from /etc/ldap/schema, plus the eduPerson/SupAnn subset in ldap/edu-supann.schema) in
a temporary directory; the tree is loaded with slapadd before start. Tests change the directory
through `modify`/`delete` as the HR feed would. Missing slapd skips locally, fails under CI.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import ldap3
import pytest

from tests.support.processes import die_with_test

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SCHEMA_DIR = Path("/etc/ldap/schema")
HERE = Path(__file__).resolve().parent / "ldap"

SUFFIX = "dc=umontpellier,dc=fr"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-secret"
SERVICE_DN = f"cn=desk,ou=system,{SUFFIX}"
SERVICE_PASSWORD = "desk-service-secret"
PEOPLE_DN = f"ou=people,{SUFFIX}"
GROUPS_DN = f"ou=groups,{SUFFIX}"

CONFIG = """\
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
include {schema}/nis.schema
include {here}/edu-supann.schema
pidfile {tmp}/slapd.pid
argsfile {tmp}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize {maxsize}
suffix "{suffix}"
rootdn "{root_dn}"
rootpw {root_password}
directory {tmp}/data
index objectClass eq
index uid,supannAliasLogin,mail,cn eq
index mailAlternateAddress,supannAutreMail eq
# desk's service account reads everything; nobody else reads anything.
access to attrs=userPassword by anonymous auth by * none
access to * by dn.exact="{service_dn}" read by * none
{limits}"""


def free_port() -> int:
    """A TCP port free right now on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def person(
    login: str,
    name: str,
    mail: str,
    affiliations: list[str],
    *,
    phone: str | None = None,
    entity: str | None = None,
    alias: str | None = None,
) -> dict:
    """A SupAnn person entry, as the HR/student feeds write them."""
    given, _, surname = name.partition(" ")
    attrs = {
        "objectClass": ["inetOrgPerson", "eduPerson", "supannPerson", "mailRecipient"],
        "uid": login,
        "cn": name,
        "sn": surname or name,
        "givenName": given,
        "displayName": name,
        "mail": mail,
        "eduPersonAffiliation": affiliations,
    }
    if phone:
        attrs["telephoneNumber"] = phone
    if entity:
        attrs["supannEntiteAffectation"] = entity
    if alias:
        attrs["supannAliasLogin"] = alias
    return attrs


# The university: staff, a student, technicians and an admin through groups.
PEOPLE = {
    "cmartin": person(
        "cmartin",
        "Claire Martin",
        "claire.martin@umontpellier.fr",
        ["staff", "employee", "member"],
        phone="04 67 14 12 34",
        entity="DSIN",
    ),
    "lpetit": person(
        "lpetit",
        "Léo Petit",
        "leo.petit@etu.umontpellier.fr",
        ["student", "member"],
        entity="FDS",
    ),
    "kbenali": person(
        "kbenali",
        "Karim Benali",
        "tech.reseau@umontpellier.fr",
        ["staff", "employee"],
        phone="+33 4 67 14 00 01",
    ),
    "adesk": person(
        "adesk", "Admin Desk", "admin.annuaire@umontpellier.fr", ["staff"], alias="admin.desk"
    ),
}
GROUPS = {"desk-reseau": ["kbenali"], "desk-admins": ["adesk"]}


class Slapd:
    """Start, fill, change and stop a private slapd.

    `extra_ldif`: more entries loaded with the tree by slapadd (thousands in a second, where
    adding them over LDAP takes minutes). `unlimited`: desk's service account has no size or
    time limit, as a university sets it up for a directory of tens of thousands (the default
    sends it 500 entries at most)."""

    def __init__(self, *, extra_ldif: str = "", unlimited: bool = False) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="desk-slapd-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.extra_ldif = extra_ldif
        self.unlimited = unlimited

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def settings(self) -> dict[str, object]:
        """The app settings that point desk at this directory."""
        return {
            "LDAP_URL": self.url,
            "LDAP_BIND_DN": SERVICE_DN,
            "LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
            "LDAP_PEOPLE_DN": PEOPLE_DN,
            "LDAP_GROUPS_DN": GROUPS_DN,
        }

    def start(self) -> Slapd:
        (self.tmp / "data").mkdir()
        conf = self.tmp / "slapd.conf"
        conf.write_text(
            CONFIG.format(
                schema=SCHEMA_DIR,
                here=HERE,
                tmp=self.tmp,
                suffix=SUFFIX,
                root_dn=ROOT_DN,
                root_password=ROOT_PASSWORD,
                service_dn=SERVICE_DN,
                # The map is reserved, not written: room for a large tree costs nothing.
                maxsize=(1 << 30) if self.extra_ldif else 33554432,
                limits=(
                    f'limits dn.exact="{SERVICE_DN}" size=unlimited time=unlimited\n'
                    if self.unlimited
                    else ""
                ),
            )
        )
        ldif = self.tmp / "tree.ldif"
        ldif.write_text(_base_ldif() + self.extra_ldif, encoding="utf-8")
        subprocess.run([SLAPADD, "-q", "-f", str(conf), "-l", str(ldif)], check=True)
        # -d keeps slapd in the foreground, so the test owns the process and its exit.
        self.process = subprocess.Popen(
            [SLAPD, "-f", str(conf), "-h", f"{self.url}/", "-d", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_test,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                self.admin().unbind()
                break
            except ldap3.core.exceptions.LDAPException:
                if self.process.poll() is not None:
                    raise RuntimeError("slapd exited at start") from None
                time.sleep(0.05)
        else:
            raise RuntimeError("slapd did not answer")
        for login, attrs in PEOPLE.items():
            self.add_person(login, attrs)
        for cn, members in GROUPS.items():
            self.add_group(cn, members)
        return self

    def admin(self) -> ldap3.Connection:
        """A connection as the directory's root, to change the tree like the HR feed."""
        server = ldap3.Server(self.url, connect_timeout=2)
        return ldap3.Connection(server, ROOT_DN, ROOT_PASSWORD, auto_bind=True)

    def add_person(self, login: str, attrs: dict) -> str:
        dn = f"uid={login},{PEOPLE_DN}"
        with self.admin() as conn:
            assert conn.add(dn, attributes=attrs), conn.result
        return dn

    def add_group(self, cn: str, logins: list[str]) -> None:
        members = [f"uid={login},{PEOPLE_DN}" for login in logins] or [ROOT_DN]
        with self.admin() as conn:
            assert conn.add(
                f"cn={cn},{GROUPS_DN}",
                attributes={"objectClass": ["groupOfNames"], "cn": cn, "member": members},
            ), conn.result

    def modify(self, login: str, **changes: object) -> None:
        """Replace attributes of a person (a value of None removes the attribute)."""
        mods = {
            name: [(ldap3.MODIFY_DELETE, [])]
            if value is None
            else [(ldap3.MODIFY_REPLACE, value if isinstance(value, list) else [value])]
            for name, value in changes.items()
        }
        with self.admin() as conn:
            assert conn.modify(f"uid={login},{PEOPLE_DN}", mods), conn.result

    def rename(self, login: str, new_login: str) -> str:
        """The university renames someone's uid (a name change, a correction): the entry moves
        to uid=<new_login> (modrdn: the old uid value goes, the entryUUID stays). Returns the
        new DN. Groups still name the old DN, as without the refint overlay."""
        with self.admin() as conn:
            assert conn.modify_dn(f"uid={login},{PEOPLE_DN}", f"uid={new_login}"), conn.result
            dn = f"uid={new_login},{PEOPLE_DN}"
            assert conn.modify(dn, {"uid": [(ldap3.MODIFY_REPLACE, [new_login])]}), conn.result
        return dn

    def entry_uuid(self, login: str) -> str:
        """The entryUUID slapd gave the entry (operational: asked for by name)."""
        with self.admin() as conn:
            assert conn.search(
                f"uid={login},{PEOPLE_DN}", "(objectClass=*)", attributes=["entryUUID"]
            )
            return str(conn.entries[0].entryUUID.value)

    def set_group(self, cn: str, logins: list[str]) -> None:
        members = [f"uid={login},{PEOPLE_DN}" for login in logins] or [ROOT_DN]
        with self.admin() as conn:
            assert conn.modify(
                f"cn={cn},{GROUPS_DN}", {"member": [(ldap3.MODIFY_REPLACE, members)]}
            ), conn.result

    def delete(self, login: str) -> None:
        """The person left the university: the HR feed removes the entry."""
        with self.admin() as conn:
            assert conn.delete(f"uid={login},{PEOPLE_DN}"), conn.result

    def withdraw(self, login: str) -> None:
        """The person left, and the HR feed keeps their entry out of the people branch (in
        ou=former, as SupAnn directories keep former members): it is gone for desk, and its
        entryUUID stays for a return (restore)."""
        former = f"ou=former,{SUFFIX}"
        with self.admin() as conn:
            conn.add(former, "organizationalUnit", {"ou": "former"})  # already there: refused
            assert conn.modify_dn(
                f"uid={login},{PEOPLE_DN}", f"uid={login}", new_superior=former
            ), conn.result

    def restore(self, login: str) -> None:
        """A person who left comes back (a new contract): the same entry, the same entryUUID."""
        with self.admin() as conn:
            assert conn.modify_dn(
                f"uid={login},ou=former,{SUFFIX}", f"uid={login}", new_superior=PEOPLE_DN
            ), conn.result

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _base_ldif() -> str:
    return f"""\
dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
dc: umontpellier
o: Universite de Montpellier

dn: {PEOPLE_DN}
objectClass: organizationalUnit
ou: people

dn: {GROUPS_DN}
objectClass: organizationalUnit
ou: groups

dn: ou=system,{SUFFIX}
objectClass: organizationalUnit
ou: system

dn: {SERVICE_DN}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: desk
userPassword: {SERVICE_PASSWORD}
"""


@pytest.fixture
def slapd():
    """A fresh directory per test (the tree is small: starting takes a fraction of a second)."""
    if not (Path(SLAPD).is_file() and Path(SLAPADD).is_file()):
        message = "slapd is not installed (apt-get install -y slapd ldap-utils)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    server = Slapd().start()
    try:
        yield server
    finally:
        server.cleanup()
