"""Which existing account a CAS identity may take, and an administrator's explicit link.

A CAS that delegates to outside identity providers (another university, a social login)
passes on the e-mail address they assert, and a directory entry's address is only as safe as
the way it is kept. So an e-mail match alone never hands over an account that is worth
taking: one with a local password (break-glass and demo accounts), or a technician's or an
administrator's. Only a plain requester account made before sign-in was turned on, with no
password, is linked on the address, and only when the address comes from the university's
directory (never from what the CAS released). Every other match waits for an administrator,
who links the account to a login from its admin page (`link_account`), checked against the
directory.
"""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy import or_, select

from desk.auth.models import Role, User
from desk.core.i18n import lazy_gettext as _l
from desk.core.logs import audit
from desk.extensions import db
from desk.identity.accounts import load_mapping
from desk.identity.directory import Directory, DirectoryUnavailable
from desk.identity.models import DirectoryLink
from desk.identity.people import (
    IdentityMapping,
    MissingAttribute,
    Person,
    clean,
    person_from_attributes,
)

log = logging.getLogger(__name__)
MAX_LOGIN = 128  # DirectoryLink.login
SHARED_LOGIN_LIMIT = 10  # entries read to tell a login nobody has from a shared one


class LinkError(Exception):
    """An administrator's link refused; `message` is shown next to the login field."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def canonical_login(raw: str) -> str | None:
    """The login as desk keys it (lower-cased), or None when `raw` is not one.

    A login is compared as it is: one that Unicode normalisation or the dropping of
    invisible characters would change ("\u212abenali" with a Kelvin sign, "cmar\u200btin") is
    another principal at the CAS, perhaps an outside provider's, and must not become the
    university login it resembles."""
    login = (raw or "").strip()
    if not login or len(login) > MAX_LOGIN or clean(login) != login:
        return None
    return login.lower()


def may_link_by_email(user: User) -> bool:
    """Whether a sign-in (or the sync) may take this unlinked account on its e-mail alone."""
    return not user.password_hash and user.role is Role.REQUESTER and not user.is_break_glass


def ended_link_message(link: DirectoryLink) -> str:
    """What an account whose link the sync ended (its entry left the directory) says."""
    return _l(
        "Its link to the university login “%(login)s” ended when its person left the directory.",
        login=link.former_login or "",
    )


def link_account(user: User, raw_login: str, directory: Directory | None, *, actor: User):
    """An administrator links `user` to the university login `raw_login`: the person signs
    in to this account from then on. With a directory, the login's entry must exist and have
    the account's e-mail address, or no address and the account's name (a typo must not hand
    the account to someone else: vouch_for_link). Raises LinkError; the caller commits."""
    if not actor.is_admin:
        raise PermissionError("only an administrator may link an account to a login")
    if user.erased_at is not None:
        raise LinkError(_l("This account was anonymised: it cannot be used again."))
    existing = db.session.get(DirectoryLink, user.id)
    if existing is not None and existing.login is None:
        raise LinkError(ended_link_message(existing))
    if existing is not None:
        raise LinkError(
            _l(
                "This account already signs in with the university login “%(login)s”.",
                login=existing.login,
            )
        )
    login = canonical_login(raw_login)
    if login is None:
        raise LinkError(_l("Enter the university login, as the person types it to sign in."))
    dn, entry_id = "", None
    if directory is not None:
        person = directory_person(login, directory, user)
        vouch_for_link(user, person, login)
        login, dn, entry_id = person.login, person.dn or "", person.entry_id
    # The login, or its entry under another login (the same person, renamed): one account each.
    same = DirectoryLink.login == login
    if entry_id is not None:
        same = or_(same, DirectoryLink.entry_id == entry_id)
    taken = db.session.scalar(select(User).join(DirectoryLink).where(same))
    if taken is not None:
        raise LinkError(
            _l(
                "The login “%(login)s” already signs in to another account (%(email)s).",
                login=login,
                email=taken.email,
            )
        )
    link = DirectoryLink(user=user, login=login, dn=dn, entry_id=entry_id, applied={})
    db.session.add(link)
    db.session.flush()
    audit("user.cas_linked", user, actor=actor, login=login, dn=dn)
    return link


def vouch_for_link(user: User, person: Person, login: str) -> None:
    """The entry of `login` is this account's person, as far as the directory tells: it has
    the account's address; or, having no address at all, the account's name. Raises
    LinkError.

    An entry without an address is real and common (a mailbox the university has not made
    yet, a guest without a university one), and the link does not need one: sign-in and the
    sync keep the account's own address while the entry has none. Such a person cannot sign
    in to a new account (desk makes none without an address), so this link is their only way
    in. The name then vouches, as it does when an account is linked again to its person's
    new entry (desk.identity.relinking): a mistyped login would have to land on someone with
    the very same name. An entry whose address is another one still says "check the login":
    that is the mark of a typo."""
    if user.email in person.emails:
        return
    if person.emails:
        raise LinkError(
            _l(
                "The directory entry of “%(login)s” has the address %(email)s, not this "
                "account's: check the login.",
                login=login,
                email=person.email,
            )
        )
    if same_name(user, person):
        return
    raise LinkError(
        _l(
            "The directory entry of “%(login)s” exists but has no e-mail address to compare "
            "with this account's, and its name, %(name)s, is not this account's: check the "
            "login, or correct the account's name first.",
            login=login,
            name=person.display_name,
        )
    )


def same_name(user: User, person: Person) -> bool:
    """Whether the account's name is the entry's (case and surrounding spaces aside)."""
    return user.display_name.strip().casefold() == person.display_name.strip().casefold()


def directory_person(login: str, directory: Directory, user: User) -> Person:
    """The directory entry answering to `login`, as a person (LinkError if none); an entry
    without an e-mail address is one too (its `emails` empty): the caller decides."""
    mapping = load_mapping()
    try:
        entry = directory.find_person(login, mapping.login_attributes)
        shared = entries_with_login(login, directory, mapping) if entry is None else 0
    except DirectoryUnavailable as exc:
        log.error("directory unavailable while linking %s: %s", user.email, exc)
        raise LinkError(_l("The directory is not answering: try again in a moment.")) from exc
    if shared > 1:
        # find_person never guesses: which of them is the account's person cannot be told,
        # and a sign-in with the login is refused anyway (desk.identity.services).
        log.warning("login %s is on %d directory entries: %s not linked", login, shared, user.email)
        raise LinkError(
            _l(
                "Several directory entries carry the login “%(login)s”: nothing can be linked "
                "to it until the directory is put right (one login, one person).",
                login=login,
            )
        )
    person = None
    if entry is not None:
        # Without an address it is still the login's entry: saying "no entry" sent the
        # administrator looking for a typo in a login that was right.
        with contextlib.suppress(MissingAttribute):
            person = person_from_attributes(
                entry.attributes,
                mapping,
                dn=entry.dn,
                entry_id=entry.entry_id,
                email_optional=True,
            )
    if person is None or login not in person.logins:
        raise LinkError(_l("No directory entry has the login “%(login)s”.", login=login))
    return person


def entries_with_login(login: str, directory: Directory, mapping: IdentityMapping) -> int:
    """How many directory entries carry `login` (at most SHARED_LOGIN_LIMIT): asked only when
    find_person found none, to tell a login nobody has from one several entries share.
    Raises DirectoryUnavailable."""
    return len(directory.entries_by_login(login, mapping.login_attributes, SHARED_LOGIN_LIMIT))
