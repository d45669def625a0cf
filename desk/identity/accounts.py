"""Apply a directory person to a desk account: fields the directory owns, role and queues.

Used by the first CAS login and by the sync, so both give the same result. Names, e-mail,
phone and staff status follow the directory. Role and queues follow the directory groups
unless they were changed in desk since the directory last set them: then the local value
stays and a conflict is reported (never silently overwritten).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from desk.auth.models import Role, User
from desk.auth.roles import change_role
from desk.catalog.parsing import normalize_phone_fr
from desk.core.db import utcnow
from desk.extensions import db
from desk.identity.models import (
    DirectoryAffiliation,
    DirectoryAttribute,
    DirectoryConflict,
    DirectoryGroup,
    DirectoryLink,
)
from desk.identity.people import GroupRule, IdentityMapping, Person
from desk.reference.models import Queue, QueueMembership
from desk.tickets.actions import release_tickets

log = logging.getLogger(__name__)


def load_mapping() -> IdentityMapping:
    """The mapping as loaded from the reference file."""
    attributes = {
        row.field: tuple(row.names) for row in db.session.scalars(select(DirectoryAttribute))
    }
    staff = frozenset(
        row.name for row in db.session.scalars(select(DirectoryAffiliation)) if row.is_staff
    )
    groups = tuple(
        GroupRule(g.cn, g.role, {gq.queue.code: gq.is_lead for gq in g.queues})
        for g in db.session.scalars(select(DirectoryGroup).order_by(DirectoryGroup.cn))
    )
    return IdentityMapping(attributes, staff, groups)


def new_link(user: User, person: Person, login: str) -> DirectoryLink:
    """The link of `user` to the directory entry of `person`, signing in with `login`, added
    to the session (the first sign-in and the sync make them alike): nothing applied from the
    directory yet, apply_person does that."""
    link = DirectoryLink(
        user=user, login=login, dn=person.dn or "", entry_id=person.entry_id, applied={}
    )
    db.session.add(link)
    return link


@dataclass
class ApplyResult:
    """What applying a person changed, and which conflicts remain."""

    changed: list[str] = field(default_factory=list)
    released: int = 0  # open tickets given back to their queues (desk.tickets.actions)
    renamed: bool = False  # the entry's login or DN changed since the link last saw it
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)


def _queues_value(queues: dict[str, bool]) -> list[str]:
    return sorted(f"{code}*" if lead else code for code, lead in queues.items())


def _local_access(user: User) -> tuple[str, list[str]]:
    return user.role.value, _queues_value({m.queue.code: m.is_lead for m in user.memberships})


def _set_access(user: User, role: str, queues: dict[str, bool]) -> None:
    change_role(user, Role(role))
    by_code = {q.code: q for q in db.session.scalars(select(Queue).where(Queue.code.in_(queues)))}
    current = {m.queue.code: m for m in user.memberships}
    for code, membership in current.items():
        if code not in queues:
            user.memberships.remove(membership)
    for code, lead in sorted(queues.items()):
        if code not in by_code:
            continue
        membership = current.get(code) or QueueMembership(queue=by_code[code])
        membership.is_lead = lead
        if code not in current:
            user.memberships.append(membership)


def apply_person(
    user: User,
    link: DirectoryLink,
    person: Person,
    access: tuple[str, dict[str, bool]] | None,
    mapping: IdentityMapping,
    *,
    replace_conflicts: bool = True,
) -> ApplyResult:
    """Bring the account in line with the directory; returns changes and conflicts.

    `replace_conflicts=False` when the caller (the sync) already cleared every account's
    conflicts in one statement.
    """
    result = ApplyResult()

    def put(name: str, value: object) -> None:
        if getattr(user, name) != value:
            setattr(user, name, value)
            result.changed.append(name)

    put("display_name", person.display_name)
    # The account keeps an address the entry still has (the order of an attribute's values
    # means nothing), and its own when the entry has none at the moment.
    if person.email and user.email not in person.emails:
        other = db.session.scalar(select(User.id).where(User.email == person.email))
        if other is None:
            put("email", person.email)
        else:
            result.conflicts.append(("email", user.email, person.email))
    if person.phone is not None:
        try:
            put("phone", normalize_phone_fr(person.phone))
        except ValueError:
            log.warning("directory phone of %s is not a number: %r", link.login, person.phone)
    elif (link.applied or {}).get("phone") is not None:
        # Removed from the directory, which gave it. One it never gave (the entry has none)
        # is the HR import's (flask desk import-hr-phones): kept.
        put("phone", None)
    put("is_staff", person.is_staff(mapping))
    if person.entry_id and link.entry_id is None:
        _fill_entry_id(link, person)
    if person.dn:
        if link.dn and link.dn.lower() != person.dn.lower():
            log.info("directory entry %s moved: %s -> %s", link.login, link.dn, person.dn)
            result.renamed = True
        link.dn = person.dn
    if link.login not in person.logins:
        result.renamed |= _follow_login(link, person)
    link.entity = person.entity
    applied = dict(link.applied or {})
    applied["phone"] = person.phone
    if access is not None:
        _apply_access(user, applied, access, result)
    link.applied = applied
    link.last_synced_at = utcnow()
    _record_conflicts(user, result.conflicts, replace=replace_conflicts)
    return result


def _fill_entry_id(link: DirectoryLink, person: Person) -> None:
    """A link made before desk kept entry ids learns its entry's, at its next sign-in or sync
    (found by login or DN, so the entry it has always followed). Never one another link holds:
    one entry, one account. The id is the directory's (Person.entry_id), never a CAS
    attribute. A link that has another id is not re-keyed here: only the sync, which sees
    the whole directory, can tell a directory reloaded with new ids from a login given to
    another entry (desk.identity.sync)."""
    taken = db.session.scalar(
        select(DirectoryLink.user_id).where(
            DirectoryLink.entry_id == person.entry_id, DirectoryLink.user_id != link.user_id
        )
    )
    if taken is not None:
        log.warning("directory entry id %s of %s is another account's", person.entry_id, link.dn)
        return
    link.entry_id = person.entry_id


def _follow_login(link: DirectoryLink, person: Person) -> bool:
    """The entry (found by its id or DN) answers to another login now: a new uid or alias. The
    link follows (True); kept on the old one, the next sync, which also looks people up by
    login, would take the person for gone and deactivate them."""
    taken = db.session.scalar(
        select(DirectoryLink.user_id).where(
            DirectoryLink.login == person.login, DirectoryLink.user_id != link.user_id
        )
    )
    if taken is None:
        log.info("directory login of %s changed: %s -> %s", link.dn, link.login, person.login)
        link.login = person.login
        return True
    log.warning("directory login %s of %s is another account's", person.login, link.dn)
    return False


def _apply_access(user: User, applied: dict, access, result: ApplyResult) -> None:
    role, queues = access
    wanted = (role, _queues_value(queues))
    local = _local_access(user)
    previous = (applied["role"], applied["queues"]) if "role" in applied else None
    pristine = local == ("requester", [])
    if local == wanted:
        pass
    elif previous == local or (previous is None and pristine):
        _set_access(user, role, queues)
        result.changed.append("role")
        # Out of a queue, or no longer staff: the tickets they held there go back to it.
        result.released = release_tickets(user, actor=None)
    else:
        # Changed in desk since the directory last set it: keep it, report it.
        if local[0] != wanted[0]:
            result.conflicts.append(("role", local[0], wanted[0]))
        if local[1] != wanted[1]:
            result.conflicts.append(("queues", ", ".join(local[1]), ", ".join(wanted[1])))
        return
    applied["role"], applied["queues"] = wanted


def _record_conflicts(user: User, conflicts: list[tuple[str, str, str]], *, replace: bool) -> None:
    """Conflicts reflect the latest comparison: older ones of this account are replaced."""
    if replace and user.id is not None:
        db.session.execute(delete(DirectoryConflict).where(DirectoryConflict.user_id == user.id))
    for name, local, directory in conflicts:
        db.session.add(
            DirectoryConflict(
                user=user, field=name, local_value=local[:500], directory_value=directory[:500]
            )
        )


def take_directory_access(user: User, *, actor: User) -> bool:
    """An admin resolves a role/queue conflict in favour of the directory (next sync applies)."""
    if not actor.is_admin:
        raise PermissionError("only an administrator may resolve directory conflicts")
    link = db.session.get(DirectoryLink, user.id)
    if link is None:
        return False
    applied = dict(link.applied or {})
    applied["role"], applied["queues"] = _local_access(user)
    link.applied = applied  # "no local change": the next sync sets the directory's value
    return True
