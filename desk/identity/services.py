"""Identity services: the account behind a CAS login (or a directory entry), CAS sessions,
break-glass accounts, the directory's people search.

The caller (view, task, CLI) commits; these functions only change the session.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

import desk.identity.loading  # noqa: F401 - registers the reference-file sections
from desk.auth.language import note_browser_language
from desk.auth.models import User
from desk.core.db import utcnow
from desk.extensions import db
from desk.identity.accounts import apply_person, load_mapping, new_link
from desk.identity.cas import CasAnswer
from desk.identity.directory import Directory, DirectoryUnavailable
from desk.identity.linking import canonical_login, entries_with_login, may_link_by_email
from desk.identity.models import CasHandoff, CasSession, DirectoryLink
from desk.identity.people import (
    IdentityMapping,
    MissingAttribute,
    Person,
    access_from_groups,
    all_logins,
    holds_from_group,
    missing_groups,
    person_from_attributes,
)

log = logging.getLogger(__name__)


class IdentityError(Exception):
    """A CAS login that cannot become a desk session; `kind` picks the page shown."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(kind, detail)
        # not_configured, directory_down, not_in_directory, missing, disabled, email_taken,
        # link_needed (detail: the login, which the person gives an administrator),
        # entry_changed (the login's entry is not the one its account was linked to),
        # shared_login (several directory entries have the login)
        self.kind = kind
        self.detail = detail


def _find_link(person: Person | None, login: str) -> DirectoryLink | None:
    if person is None:
        return _link_of({login}, None)
    link = _link_of({login, *person.logins}, person.dn, person.entry_id)
    if link is not None and other_entry(link, person.entry_id):
        # The university gave the login (or the DN) to another entry: the link's account is
        # not this person's. A reload of the directory with new ids looks the same from one
        # entry; only the sync, which sees them all, tells them apart (desk.identity.sync):
        # until it has, nobody signs in to the account.
        log.error(
            "CAS login %r is directory entry %s, not %s of account %s: refused until the "
            "directory sync decides (a login given to someone else, or a directory reloaded)",
            login,
            person.entry_id,
            link.entry_id,
            link.user_id,
        )
        raise IdentityError("entry_changed", login)
    return link


def other_entry(link: DirectoryLink, entry_id: str | None) -> bool:
    """Whether `link`, found by login or DN, recorded another entry than `entry_id` (both
    known): a login or DN given to someone else is not its account's."""
    return bool(entry_id and link.entry_id and link.entry_id != entry_id)


def _link_of(logins: set[str], dn: str | None, entry_id: str | None = None) -> DirectoryLink | None:
    """The account link of an entry: by its entry id (the one thing a rename of its uid and
    DN leaves alone), else by one of its logins, else by its DN. `entry_id` comes from the
    directory's answer only (Person.entry_id): the same entry, so the same account. A link
    the sync ended (its entry left) holds no login, and is not found by its DN either: only
    its own entry, by its id, takes it back; a login or DN given to a newcomer does not."""
    link = None
    if entry_id:
        link = db.session.scalar(select(DirectoryLink).where(DirectoryLink.entry_id == entry_id))
    if link is None and logins:
        link = db.session.scalar(select(DirectoryLink).where(DirectoryLink.login.in_(logins)))
    if link is None and dn:
        link = db.session.scalar(
            select(DirectoryLink).where(DirectoryLink.dn == dn, DirectoryLink.login.is_not(None))
        )
    return link


def _refuse_shared_login(login: str, directory: Directory, mapping: IdentityMapping) -> None:
    """A login the directory did not find may be on several entries (find_person never
    guesses): which of them the CAS signed in cannot be told, so nobody is signed in, to
    either account. Raises IdentityError("shared_login"); DirectoryUnavailable."""
    shared = entries_with_login(login, directory, mapping)
    if shared > 1:
        log.warning(
            "CAS login %s is on %d directory entries: refused (the directory must be put right)",
            login,
            shared,
        )
        raise IdentityError("shared_login", login)


def _holds_missing(
    login: str, dn: str, entry_id: str | None, mapping: IdentityMapping, members: dict
) -> bool:
    """Whether the account of this entry may hold a role or queue from a group of the mapping
    the directory did not show (a newcomer holds nothing)."""
    missing = missing_groups(mapping, members)
    if not missing:
        return False
    link = _link_of({login}, dn, entry_id)
    applied = (link.applied or {}) if link is not None else {}
    return any(holds_from_group(rule, applied) for rule in missing)


@dataclasses.dataclass(frozen=True)
class CasIdentity:
    """Who a validated CAS login is, found without writing anything: the directory entry (or
    released attributes) as a person, and the account it is or will be (None: a new one)."""

    login: str
    person: Person | None  # None: the directory is down and the account is known
    access: tuple[str, dict[str, bool]] | None
    link: DirectoryLink | None
    user: User | None
    mapping: IdentityMapping
    # The address a new account gets: the person's, or one of their own when another
    # entry's account has it (an address several entries share, see _own_address).
    new_email: str = ""

    @property
    def display_name(self) -> str:
        return self.person.display_name if self.person is not None else self.user.display_name


def identify_cas_login(answer: CasAnswer, directory: Directory | None) -> CasIdentity:
    """Who the CAS login is, and whether it can sign in (IdentityError if not); nothing is
    made or changed (account_for_cas_login does that, once the person is to be signed in).

    The directory is the source when there is one: if it is down, a known account logs in as
    it is and a new person gets an error page. Without a directory (DESK_LDAP_URL empty) the
    account is made from the attributes the CAS released.
    """
    mapping = load_mapping()
    if not mapping.is_configured:
        raise IdentityError("not_configured", "no directory_attributes in the reference data")
    login = canonical_login(answer.user)
    if login is None:
        log.warning("CAS login %r is not a login desk takes as it is", answer.user[:200])
        raise IdentityError("missing", "login")
    person: Person | None = None
    access = None
    directory_down = False
    if directory is not None:
        try:
            entry = directory.find_person(login, mapping.login_attributes)
            if entry is None:
                _refuse_shared_login(login, directory, mapping)
            if entry is not None:
                # An entry without an address still signs in to its account (which keeps its
                # own); only a new account needs one (below).
                person = person_from_attributes(
                    entry.attributes,
                    mapping,
                    dn=entry.dn,
                    entry_id=entry.entry_id,
                    email_optional=True,
                )
                if login not in person.logins:
                    # The server's matching rule is looser than equality (case folding and
                    # compatibility forms: "ｃｍａｒｔｉｎ" finds cmartin): another principal.
                    log.warning("CAS login %r found the entry %s of another login", login, entry.dn)
                    person = None
                members = directory.group_members([g.cn for g in mapping.groups])
                # A group of the mapping missing (deleted, renamed, its branch emptied or
                # hidden) is unknown, not "nobody in it": an account that may hold what it
                # gave keeps its role and queues, as at the sync.
                if not _holds_missing(login, entry.dn, entry.entry_id, mapping, members):
                    access = access_from_groups(entry.dn, members, mapping)
        except DirectoryUnavailable as exc:
            log.error("directory unavailable during the CAS login of %r: %s", login, exc)
            directory_down = True
        except MissingAttribute as exc:
            raise IdentityError("missing", exc.field) from exc
    link = _find_link(person, login)
    if person is not None and directory_down and link is None:
        # The entry was read, not its groups: a new account would be a requester, and a
        # technician spend their first day without their queues until the next sync. A new
        # person waits for the directory, as when it does not answer at all.
        raise IdentityError("directory_down", login)
    if person is None:
        if directory_down and link is not None:
            # Known: in as last synced (the sync catches up); not if deactivated meanwhile.
            # Found by login only: a link the sync ended gave its login up, so a newcomer
            # given it is not let in here (one given it since the last sync is: the window
            # an outage leaves).
            return CasIdentity(login, None, None, link, _usable(link.user), mapping)
        if directory_down:
            raise IdentityError("directory_down", login)
        if directory is not None:
            raise IdentityError("not_in_directory", login)
        try:  # no directory at this site: the attributes the CAS released are the source
            attributes = {**answer.attributes}
            for name in mapping.login_attributes[:1]:
                attributes.setdefault(name, [answer.user])
            person = person_from_attributes(attributes, mapping)
        except MissingAttribute as exc:
            raise IdentityError("missing", exc.field) from exc
        # The login is the principal the CAS authenticated, never a released attribute: an
        # outside provider's `uid` would otherwise name, and later take, someone else's link.
        person = dataclasses.replace(person, login=login, logins=(login,))
    if link is not None:
        user = link.user
        if not link.is_gone:  # a returning entry is reactivated (reactivate_returning)
            _usable(user)
    elif not person.email:
        raise IdentityError("missing", "email")
    else:
        user, new_email = _account_by_email(
            person, login, directory if person.dn is not None else None, mapping
        )
        if user is not None:
            _usable(user)
        return CasIdentity(login, person, access, link, user, mapping, new_email)
    return CasIdentity(login, person, access, link, user, mapping)


def account_for_cas_login(answer: CasAnswer, directory: Directory | None) -> User:
    """The account of a validated CAS login, made or refreshed from the directory entry (or
    the released attributes): see identify_cas_login."""
    return account_for_identity(identify_cas_login(answer, directory))


def account_for_identity(found: CasIdentity) -> User:
    """Make or refresh the account of an identified CAS login (the caller commits)."""
    if found.person is None:
        return found.user  # directory down: the account as last synced
    person, link, user = found.person, found.link, found.user
    if link is not None and link.is_gone:
        reactivate_returning(link)
    if link is None:
        link = _new_link(found, user)
        user = link.user
    apply_person(user, link, person, found.access, found.mapping)
    return _usable(user)


def _new_link(found: CasIdentity, user: User | None) -> DirectoryLink:
    """The link (and the account, if new) of a first sign-in; or the one the same person's
    other first sign-in made at this very moment (two tabs, a double click on the CAS
    page): its insert waits for the other's commit, then meets the unique login, e-mail or
    account. That one is theirs too: the second tab is signed in to it, not refused with
    "someone else changed this"."""
    person = found.person
    try:
        with db.session.begin_nested():
            if user is None:
                email = found.new_email or person.email
                user = User(email=email, display_name=person.display_name, is_staff=False)
                db.session.add(user)
            link = new_link(user, person, found.login)
    except IntegrityError:
        link = _link_of({found.login, *person.logins}, person.dn, person.entry_id)
        if link is None or other_entry(link, person.entry_id):
            raise
        log.info("CAS login %s: account made by its other sign-in at the same moment", found.login)
        _usable(link.user)
    return link


def account_for_login(login: str, directory: Directory) -> User:
    """The account of the directory entry `login`, made or refreshed as its CAS sign-in would
    (staff filing a request for someone who has never signed in). The caller commits."""
    return account_for_cas_login(CasAnswer(user=login, attributes={}), directory)


def account_for_mail(address: str, directory: Directory) -> User | None:
    """The active account of the one directory entry that has `address` as its e-mail or as
    one of its aliases (`mail_aliases` of the mapping; never a personal address), linked as
    sign-in finds it; None for nobody, several entries or no active account. Nothing is made
    or changed: an e-mail is no sign-in. Raises DirectoryUnavailable."""
    mapping = load_mapping()
    if not mapping.is_configured or "@" not in address:
        return None
    entry = directory.find_by_mail(address, mapping.mail_attributes)
    if entry is None:
        return None
    link = _link_of(set(all_logins(entry.attributes, mapping)), entry.dn, entry.entry_id)
    if link is None or other_entry(link, entry.entry_id):
        return None
    if link.is_gone or not link.user.is_active:
        return None
    return link.user


def search_directory(text: str, directory: Directory, limit: int) -> list[Person]:
    """People of the directory whose name or e-mail contains `text`, or whose login starts
    with it; entries desk could not make an account of (no login, no e-mail) are left out.
    Raises DirectoryUnavailable."""
    mapping = load_mapping()
    if not mapping.is_configured:
        return []
    contains = [*mapping.attributes.get("display_name", ()), *mapping.attributes.get("email", ())]
    entries = directory.search_people(text, contains, mapping.login_attributes, limit)
    people = []
    for entry in entries:
        try:
            people.append(
                person_from_attributes(
                    entry.attributes, mapping, dn=entry.dn, entry_id=entry.entry_id
                )
            )
        except MissingAttribute:
            continue
    return people


def _account_by_email(
    person: Person, login: str, directory: Directory | None, mapping: IdentityMapping
) -> tuple[User | None, str]:
    """The unlinked account with the person's e-mail, if the sign-in may take it (see
    desk.identity.linking), or None and the address of the new account to make. `directory`:
    the one the address comes from (None: the CAS released it)."""
    email = person.email
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        return None, email
    if db.session.get(DirectoryLink, user.id) is not None:
        # Already another entry's account: never merge two people. When the directory gives
        # the address to several entries (a feed's mistake, a mailbox two people share),
        # this one's person gets an account of their own (_own_address); otherwise (a login
        # renamed with its DN, the old entry gone) it may be theirs: the helpdesk decides.
        if directory is not None and _shared_email(email, login, directory, mapping):
            return None, _own_address(person, login)
        log.warning("%s is the e-mail of another directory entry's account", email)
        raise IdentityError("email_taken", email)
    if not (directory is not None and may_link_by_email(user)):
        log.warning("CAS login %s has the address of account %s: an admin links it", login, email)
        raise IdentityError("link_needed", login)
    if _shared_email(email, login, directory, mapping):
        # Known only by its address, the account is any of these people's: whoever signs in
        # first would take it (and the others' tickets in it). An administrator decides.
        log.warning("account %s is not linked to CAS login %s: an admin links it", email, login)
        raise IdentityError("link_needed", login)
    return user, email


def _shared_email(email: str, login: str, directory: Directory, mapping: IdentityMapping) -> bool:
    """Whether several directory entries have `email` as their address (logged). Raises
    IdentityError("directory_down")."""
    try:
        shared = _entries_with_email(email, directory, mapping)
    except DirectoryUnavailable as exc:
        log.error("directory unavailable while checking who has %s: %s", email, exc)
        raise IdentityError("directory_down", login) from exc
    if shared > 1:
        log.warning(
            "%s is the e-mail of %d directory entries (CAS login %s): the directory must be put "
            "right",
            email,
            shared,
            login,
        )
    return shared > 1


STAND_IN_DOMAIN = "desk.invalid"  # RFC 2606: no mail is ever delivered there


def _own_address(person: Person, login: str) -> str:
    """The address of a new account whose person's address is another entry's account's: one
    of the entry's other addresses no account has, else a stand-in no mail server takes
    until the directory is put right (apply_person reports the difference as a conflict on
    the admin page; once the entry has an address no other account has, the sync puts it
    on the account)."""
    taken = set(db.session.scalars(select(User.email).where(User.email.in_(person.emails))))
    for address in person.emails:
        if address not in taken:
            return address
    stand_in = f"shared-address-{secrets.token_hex(6)}@{STAND_IN_DOMAIN}"
    log.warning(
        "CAS login %s: %s is another account's; the new account has %s until the directory "
        "gives the person an address of their own",
        login,
        person.email,
        stand_in,
    )
    return stand_in


SHARED_EMAIL_LIMIT = 10  # entries read to count those sharing an address: 2 would do, 10 tells


def _entries_with_email(email: str, directory: Directory, mapping: IdentityMapping) -> int:
    """How many directory entries have `email` as their address (the e-mail field's
    attributes, as the sync matches accounts; at most SHARED_EMAIL_LIMIT). Raises
    DirectoryUnavailable."""
    attributes = list(mapping.attributes.get("email", ()))
    return len(directory.entries_by_mail(email, attributes, SHARED_EMAIL_LIMIT))


def reactivate_returning(link: DirectoryLink) -> None:
    """The entry the sync found gone is back (its login or DN found again): the account is
    active again. At sign-in too, not only at the next nightly sync: the directory has just
    said the person is there, and "your account is deactivated" until 02:30 helps nobody.
    An account an administrator deactivated (is_gone false) stays deactivated."""
    link.user.is_active_account, link.is_gone = True, False
    link.user.deactivated_at = None


def _usable(user: User) -> User:
    if not user.is_active_account:
        raise IdentityError("disabled", user.email)
    return user


def cas_ticket_used(ticket: str) -> bool:
    """Whether a desk session was already opened with `ticket`, or a sign-in with it already
    waits for confirmation (checked before asking anyone to confirm a sign-in with it)."""
    return (
        db.session.get(CasSession, ticket) is not None
        or db.session.get(CasHandoff, ticket) is not None
    )


def open_cas_session(user: User, ticket: str, *, language: str | None = None) -> bool:
    """Remember which service ticket opened this session, and the language the browser asks
    for (desk.auth.language); False if the ticket was seen."""
    if db.session.get(CasSession, ticket) is not None:
        return False  # a replayed ticket: the CAS should have refused it, desk refuses too
    user.last_login_at = utcnow()
    note_browser_language(user, language)
    db.session.add(CasSession(ticket=ticket, user_id=user.id))
    return True


def end_cas_session(ticket: str, reason: str) -> bool:
    """End the desk session opened by `ticket`; False when desk never issued it or it ended."""
    session = db.session.get(CasSession, ticket)
    if session is None or session.ended_at is not None:
        return False
    session.ended_at = utcnow()
    session.ended_reason = reason
    return True


def cas_session_is_live(ticket: str) -> bool:
    """Whether the session opened by `ticket` is still open (checked on every request)."""
    return bool(
        db.session.scalar(
            select(CasSession.ticket).where(
                CasSession.ticket == ticket, CasSession.ended_at.is_(None)
            )
        )
    )


def end_user_sessions(user: User, reason: str) -> int:
    """End every CAS session of a user (deactivation); returns how many were open."""
    result = db.session.execute(
        update(CasSession)
        .where(CasSession.user_id == user.id, CasSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
    )
    return result.rowcount or 0


def set_break_glass(user: User, enabled: bool, *, actor: User | None) -> None:
    """Flag an administrator's account as usable with a password while CAS is on."""
    if actor is not None and not actor.is_admin:
        raise PermissionError("only an administrator may flag break-glass accounts")
    if enabled and not user.is_admin:
        raise ValueError("only administrators can be break-glass accounts")
    user.is_break_glass = enabled
