"""An administrator gives an ended account back to its person, who came back to the university
with a new directory entry.

The sync ends the link of an account whose entry left the directory (desk.identity.sync): its
login is given up, and only that entry, by its id, would take the account back. A person who
leaves and comes back usually gets a new entry (a new entryUUID, the same login or another):
sign-in opens nothing of theirs, and their requests and history stay in an account nobody can
reach. `relink_account` lets an administrator link that account to the new entry, checked
against the directory and audited.
"""

from __future__ import annotations

import logging

from sqlalchemy import or_, select

from desk.auth.models import User
from desk.core.i18n import lazy_gettext as _l
from desk.core.logs import audit
from desk.extensions import db
from desk.identity.directory import Directory
from desk.identity.linking import LinkError, canonical_login, directory_person, same_name
from desk.identity.models import DirectoryLink
from desk.identity.people import Person

log = logging.getLogger(__name__)


def relink_account(
    user: User, raw_login: str, directory: Directory | None, *, actor: User
) -> DirectoryLink:
    """Link `user`, whose link the sync ended, to the directory entry of `raw_login`; the
    account is active again and its person signs in to it. The entry must have the account's
    address or its name (a typo must not hand someone's requests to a stranger) and sign in
    to no active account. An account an administrator deactivated that holds the entry (the
    one sign-in opened for the newcomer before anyone noticed) gives it up: its link ends as
    the sync ends one. Raises LinkError; the caller commits."""
    if not actor.is_admin:
        raise PermissionError("only an administrator may link an account to a login")
    if user.erased_at is not None:
        raise LinkError(_l("This account was anonymised: it cannot be used again."))
    link = db.session.get(DirectoryLink, user.id)
    if link is None or link.login is not None:
        raise LinkError(_l("Only an account whose link ended can be linked again."))
    if directory is None:
        raise LinkError(_l("No directory is configured (DESK_LDAP_URL)."))
    login = canonical_login(raw_login)
    if login is None:
        raise LinkError(_l("Enter the university login, as the person types it to sign in."))
    person = directory_person(login, directory, user)
    if not _same_person(user, person):
        raise LinkError(_not_the_person(login, person))
    same = DirectoryLink.login == person.login
    if person.entry_id is not None:
        same = or_(same, DirectoryLink.entry_id == person.entry_id)
    holder = db.session.scalar(select(DirectoryLink).where(same, DirectoryLink.user_id != user.id))
    if holder is not None and holder.user.is_active_account:
        raise LinkError(
            _l(
                "The login “%(login)s” signs in to another account (%(email)s), which is "
                "active. If it was opened by mistake, deactivate it first (what it holds stays "
                "in it), then link this account again.",
                login=person.login,
                email=holder.user.email,
            )
        )
    if holder is not None:
        _end_link(holder, actor=actor)
        db.session.flush()  # its login and entry id freed before this link takes them
    audit(
        "user.cas_relinked",
        user,
        actor=actor,
        login=person.login,
        dn=person.dn,
        former_login=link.former_login,
        former_entry_id=link.entry_id,
    )
    link.login, link.dn, link.entry_id = person.login, person.dn or "", person.entry_id
    link.is_gone = False
    user.is_active_account, user.deactivated_at = True, None
    db.session.flush()
    return link


def _same_person(user: User, person: Person) -> bool:
    """The entry has the account's address, or its name: someone who came back often has a
    new address, rarely a new name (an administrator corrects the account's name first)."""
    return user.email in person.emails or same_name(user, person)


def _not_the_person(login: str, person: Person) -> str:
    """Why the entry of `login` is not the account's person: whose it is, and its address if
    it has one (an entry without one is still the login's, not "no entry")."""
    if not person.emails:
        return _l(
            "The directory entry of “%(login)s” is %(name)s, without an e-mail address, and "
            "not this account's name: check the login.",
            login=login,
            name=person.display_name,
        )
    return _l(
        "The directory entry of “%(login)s” is %(name)s (%(email)s), neither this "
        "account's name nor its address: check the login.",
        login=login,
        name=person.display_name,
        email=person.email,
    )


def _end_link(link: DirectoryLink, *, actor: User) -> None:
    """The deactivated account gives its login and entry up, kept for the record."""
    log.info("account %s gives up the login %s for a relinked account", link.user_id, link.login)
    if link.login is not None:
        audit("user.cas_login_released", link.user, actor=actor, login=link.login)
        link.former_login = link.login
    link.login, link.entry_id = None, None
