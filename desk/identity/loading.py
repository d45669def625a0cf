"""Reference-file sections of identity: the attribute mapping, affiliations, directory groups.

directory_attributes:
  - {field: login, attributes: [uid, supannAliasLogin]}
  - {field: mail_aliases, attributes: [mailAlternateAddress, supannAutreMail]}
directory_affiliations:
  - {name: staff, staff: true}
directory_groups:
  - {cn: desk-reseau, role: technician, queues: [reseau], leads: [reseau]}
"""

from __future__ import annotations

from sqlalchemy import select

from desk.extensions import db
from desk.identity.models import (
    DirectoryAffiliation,
    DirectoryAttribute,
    DirectoryGroup,
    DirectoryGroupQueue,
)
from desk.identity.people import FIELDS, MAIL_ALIASES, NOT_MAIL_ALIASES, ROLE_RANK
from desk.reference.loader import LoadError, LoadReport, require, section
from desk.reference.models import Queue


def _names(value: object, where: str, key: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) and v.strip() for v in items):
        raise LoadError(f"{where}: '{key}' must be a name or a list of names")
    return [v.strip() for v in items]


@section("directory_attributes", order=42)
def load_directory_attributes(items: list[dict], report: LoadReport) -> None:
    """Which attributes (directory or CAS) fill which account field, in order of preference."""
    for i, item in enumerate(items):
        where = f"directory_attributes[{i}]"
        name = str(require(item, "field", where))
        known = (*FIELDS, MAIL_ALIASES)
        if name not in known:
            raise LoadError(f"{where}: unknown field '{name}'; known: {', '.join(known)}")
        names = _names(require(item, "attributes", where), where, "attributes")
        refused = [n for n in names if n.lower() in NOT_MAIL_ALIASES]
        if name == MAIL_ALIASES and refused:
            # A personal mailbox the university does not control proves nobody's identity.
            raise LoadError(f"{where}: {refused[0]} is a personal address, not an alias")
        row = db.session.get(DirectoryAttribute, name)
        created = row is None
        if row is None:
            row = DirectoryAttribute(field=name)
            db.session.add(row)
        row.names = names
        report.add("directory_attributes", created)


@section("directory_affiliations", order=43)
def load_directory_affiliations(items: list[dict], report: LoadReport) -> None:
    """eduPersonAffiliation values, and which make a person staff."""
    for i, item in enumerate(items):
        where = f"directory_affiliations[{i}]"
        name = str(require(item, "name", where)).strip().lower()
        row = db.session.get(DirectoryAffiliation, name)
        created = row is None
        if row is None:
            row = DirectoryAffiliation(name=name)
            db.session.add(row)
        row.is_staff = bool(item.get("staff", False))
        report.add("directory_affiliations", created)


@section("directory_groups", order=44)
def load_directory_groups(items: list[dict], report: LoadReport) -> None:
    """Directory groups whose members become technicians or admins, with their queues."""
    for i, item in enumerate(items):
        where = f"directory_groups[{i}]"
        cn = str(require(item, "cn", where)).strip()
        role = str(require(item, "role", where))
        if role not in ROLE_RANK or role == "requester":
            raise LoadError(f"{where}: role must be technician or admin")
        codes = _names(item.get("queues") or [], where, "queues")
        leads = _names(item.get("leads") or [], where, "leads")
        wanted = set(codes) | set(leads)
        queues = {
            q.code: q for q in db.session.scalars(select(Queue).where(Queue.code.in_(wanted)))
        }
        missing = sorted(wanted - queues.keys())
        if missing:
            raise LoadError(f"{where}: unknown queue(s) {', '.join(missing)}")
        row = db.session.scalar(select(DirectoryGroup).filter_by(cn=cn))
        created = row is None
        if row is None:
            row = DirectoryGroup(cn=cn)
            db.session.add(row)
        row.role = role
        row.queues.clear()
        db.session.flush()
        for code in sorted(wanted):
            row.queues.append(DirectoryGroupQueue(queue=queues[code], is_lead=code in leads))
        report.add("directory_groups", created)
