"""The directory sync: every linked account refreshed, people who left deactivated.

Run nightly by beat and on demand by an admin. It reads the whole directory first and decides
before changing anything: if it would deactivate more than the configured share of linked
accounts it stops and alerts instead (a directory answering with an empty or truncated tree
must not lock the university out). Tickets people asked for are kept; the open tickets a
deactivated technician held go back to their queues, unassigned (desk.tickets.actions).
"""

from __future__ import annotations

import logging
from collections import Counter

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from desk.auth.models import User
from desk.auth.services import revoke_sessions
from desk.core.db import utcnow
from desk.core.logs import audit
from desk.extensions import db
from desk.identity.accounts import apply_person, load_mapping, new_link
from desk.identity.directory import Directory, DirectoryCutShort, DirectoryUnavailable, Entry
from desk.identity.linking import may_link_by_email
from desk.identity.models import DirectoryConflict, DirectoryLink, DirectorySync
from desk.identity.people import (
    GroupRule,
    IdentityMapping,
    MissingAttribute,
    Person,
    access_from_groups,
    holds_from_group,
    missing_groups,
    person_from_attributes,
)
from desk.identity.services import end_user_sessions, reactivate_returning
from desk.reference.models import QueueMembership
from desk.tickets.actions import release_tickets

log = logging.getLogger(__name__)


def queue_sync(*, actor: User) -> DirectorySync:
    """An admin asks for a sync now: the run is recorded, the worker does it after commit."""
    from desk.core.transactions import on_commit

    if not actor.is_admin:
        raise PermissionError("only an administrator may start a directory sync")
    run = DirectorySync(actor_id=actor.id, status="queued", counts={})
    db.session.add(run)
    db.session.flush()
    celery = current_app.extensions["celery"]
    run_id = run.id
    on_commit(lambda: celery.send_task("desk.identity.sync_directory", args=[run_id]))
    return run


class _People:
    """The directory's people, by entry id, login, e-mail and DN."""

    def __init__(self, entries: list[Entry], mapping: IdentityMapping):
        self.by_entry_id: dict[str, Person] = {}
        self.by_login: dict[str, Person] = {}
        self.by_email: dict[str, Person] = {}
        self.by_dn: dict[str, Person] = {}
        # How many entries have each address: the first listed is not the one it belongs to.
        self.sharing: Counter[str] = Counter()
        # Logins on several entries (a feed's mistake, two directories merged): whose they
        # are cannot be told, by the sync or at sign-in (desk.identity.services).
        self.shared_logins: Counter[str] = Counter()
        shared: set[str] = set()
        for entry in entries:
            try:
                # Without an address the person is still in the directory: their account
                # keeps its own and stays active (skipped, they were deactivated as gone).
                person = person_from_attributes(
                    entry.attributes,
                    mapping,
                    dn=entry.dn,
                    entry_id=entry.entry_id,
                    email_optional=True,
                )
            except MissingAttribute:
                log.warning("directory entry %s lacks a login; skipped", entry.dn)
                continue
            if not person.email:
                log.warning("directory entry %s has no e-mail address", entry.dn)
            for login in person.logins:
                self.shared_logins[login] += 1
                self.by_login[login] = person
            for email in person.emails:
                self.by_email.setdefault(email, person)
            self.sharing.update(set(person.emails))
            self.by_dn[entry.dn.lower()] = person
            if person.entry_id in self.by_entry_id:
                shared.add(person.entry_id)
            elif person.entry_id:
                self.by_entry_id[person.entry_id] = person
        for entry_id in shared:  # not an id, then (a misconfigured attribute): never guess
            log.warning("directory entry id %s is on several entries; ignored", entry_id)
            del self.by_entry_id[entry_id]
        self.shared_logins = +Counter({k: n for k, n in self.shared_logins.items() if n > 1})
        for login, count in sorted(self.shared_logins.items()):
            # Its account follows its own entry by id or DN; by login, never.
            log.warning(
                "directory login %s is on %d directory entries: nobody signs in with it, and "
                "no account follows or is linked to it by it (the directory must be put right)",
                login,
                count,
            )
            del self.by_login[login]

    def of(self, link: DirectoryLink, claimed: dict[str, int], *, reloaded: bool) -> Person | None:
        """The person of a link: by entry id (a new uid and DN are still the same entry). A
        link that has none yet (made before desk kept them), or every link when the directory
        was reloaded with new ids, by login, then by DN (an entry whose uid or alias changed
        is the same person, not a leaver); an entry found so whose id another link holds is
        that account's (`claimed`: entry id → user id). Otherwise an entry id no entry has is
        a person who left, even if their login or DN is someone else's now: universities give
        logins again. A link already ended (no login) comes back by its entry id only."""
        person = self.by_entry_id.get(link.entry_id) if link.entry_id else None
        if person is not None or link.login is None or (link.entry_id and not reloaded):
            return person
        for person in (self.by_login.get(link.login), self.by_dn.get((link.dn or "").lower())):
            if person is not None and claimed.get(person.entry_id, link.user_id) == link.user_id:
                return person
        return None

    def reloaded(self, links: list[DirectoryLink]) -> bool:
        """Whether links follow their entries by login and DN: the directory looks reloaded
        with new ids (entries have ids, none of those the active links recorded, at least two:
        one alone is as likely a leaver whose login went to someone else, and most of those
        links' logins or DNs are there), or no entry has one (DESK_LDAP_ENTRY_ID_ATTRIBUTE
        names an attribute the server does not give): there is nothing to compare, as at
        sign-in, and every link would look gone."""
        if not self.by_entry_id:
            return True
        live = [link for link in links if link.entry_id and link.login is not None]
        known = {link.entry_id for link in live}
        if len(known) < 2 or known & self.by_entry_id.keys():
            return False
        # A reload keeps the people: most of those desk knows are there, by login or DN. When
        # they all left at once (a small site), a newcomer given one's login is no reload.
        there = sum(
            link.login in self.by_login or (link.dn or "").lower() in self.by_dn for link in live
        )
        return there * 2 > len(live)


def sync_directory(directory: Directory, *, run_id: int | None = None) -> DirectorySync:
    """Sync every account with the directory; returns the recorded run."""
    run = db.session.get(DirectorySync, run_id) if run_id else None
    if run is None:
        run = DirectorySync(counts={})
        db.session.add(run)
    run.status, run.started_at = "running", utcnow()
    mapping = load_mapping()
    try:
        entries = list(directory.people())
        members = directory.group_members([g.cn for g in mapping.groups])
    except DirectoryUnavailable as exc:
        log.error("directory sync failed: directory unavailable: %s", exc)
        reason = "cut_short" if isinstance(exc, DirectoryCutShort) else "unreachable"
        return _finish(run, "failed", {}, reason=reason)
    people = _People(entries, mapping)
    attribute = current_app.config.get("LDAP_ENTRY_ID_ATTRIBUTE")
    if attribute and people.by_login and not people.by_entry_id:
        log.warning(
            "no directory entry has a %s: renamed entries are followed by login and DN only "
            "(check DESK_LDAP_ENTRY_ID_ATTRIBUTE)",
            attribute,
        )
    # One query for the accounts, their queues and the queue codes (no query per account).
    links = list(
        db.session.scalars(
            select(DirectoryLink)
            .join(DirectoryLink.user)
            .options(
                selectinload(DirectoryLink.user)
                .selectinload(User.memberships)
                .selectinload(QueueMembership.queue)
            )
        )
    )
    missing = [g.cn for g in missing_groups(mapping, members) if _held(g, links)]
    if missing:
        # A group of the mapping the directory does not show (deleted, renamed, its branch
        # emptied while the feed reloads it, or hidden from desk's service account) is not
        # "nobody is in it": read so, its technicians and admins would lose role and queues,
        # and give their tickets back, overnight. Keeping only their roles would still apply
        # the rest of a directory that is plainly mid-change, and leave an alert that says
        # "done"; so the whole run fails and changes nothing, and the alert names the group
        # until the directory or the reference file is put right. A group nobody holds
        # anything from yet (mapped ahead of the directory) holds nothing up.
        log.error(
            "directory sync failed: group(s) of the mapping not under %s: %s; nothing changed",
            current_app.config.get("LDAP_GROUPS_DN"),
            ", ".join(missing),
        )
        return _finish(run, "failed", {}, reason="groups_missing", data={"groups": missing})
    claimed = {link.entry_id: link.user_id for link in links if link.entry_id}
    reloaded = people.reloaded(links)
    if reloaded and people.by_entry_id:
        log.warning("no entry id desk knows is in the directory: reloaded; links follow logins")
    found = {link.user_id: people.of(link, claimed, reloaded=reloaded) for link in links}
    # Not found by entry id or DN, its login on several entries: not a leaver, nor either
    # of them; left as it is until the directory is put right.
    unsure = {
        link.user_id
        for link in links
        if found[link.user_id] is None and link.login in people.shared_logins
    }
    links = [link for link in links if link.user_id not in unsure]
    active = [link for link in links if link.user.is_active_account]
    leaving = [link for link in active if found[link.user_id] is None]
    limit = current_app.config["DIRECTORY_MAX_DEACTIVATE_PERCENT"]
    if leaving and len(leaving) * 100 > limit * len(active):
        log.error(
            "directory sync stopped: it would deactivate %d of %d accounts (limit %d%%)",
            len(leaving),
            len(active),
            limit,
        )
        return _finish(
            run,
            "stopped",
            {"entries": len(entries), "would_deactivate": len(leaving), "active": len(active)},
        )
    db.session.execute(delete(DirectoryConflict))  # recomputed below for every account
    counts = dict.fromkeys(
        (
            "updated",
            "renamed",
            "deactivated",
            "released",
            "reactivated",
            "linked",
            "not_linked",
            "shared_email",
            "shared_login",
            "conflicts",
        ),
        0,
    )
    counts["entries"] = len(entries)
    counts["shared_login"] = len(people.shared_logins)
    now = utcnow()
    for link in links:
        person = found[link.user_id]
        if person is None:
            if link.user.is_active_account:
                link.user.is_active_account = False
                link.user.deactivated_at = now
                link.is_gone = True
                end_user_sessions(link.user, "deactivated")
                revoke_sessions(link.user, actor=None)  # password and remember-me ones too
                counts["deactivated"] += 1
                counts["released"] += release_tickets(link.user, actor=None)
            if link.login is not None:
                # Freed for whoever the university gives it to next, kept for the record.
                audit("user.cas_login_released", link.user, actor=None, login=link.login)
                link.former_login, link.login = link.login, None
            link.last_synced_at = now
            continue
        if link.is_gone:
            reactivate_returning(link)
            counts["reactivated"] += 1
        _claim(link, person, claimed)
        _apply(link.user, link, person, members, mapping, counts)
    linked_logins = {link.login for link in links}
    # The accounts without a link, matched by address here: a query with every address of
    # the directory (and every linked account) as parameters was refused by PostgreSQL past
    # 65,535 of them, and the sync of a large university failed every night.
    unlinked = db.session.scalars(
        select(User)
        .outerjoin(DirectoryLink, DirectoryLink.user_id == User.id)
        .where(DirectoryLink.user_id.is_(None))
    ).all()
    for user in unlinked:
        person = people.by_email.get(user.email)
        if person is None:
            continue
        if people.sharing[user.email] > 1:
            # Known only by its address, the account is any of these people's: never guessed
            # (nor at their sign-in, desk.identity.services). An administrator links it.
            log.warning(
                "%s is the e-mail of %d directory entries: account not linked (an admin links it)",
                user.email,
                people.sharing[user.email],
            )
            counts["shared_email"] += 1
            continue
        if linked_logins & set(person.logins) or person.entry_id in claimed:
            continue  # that entry is someone else's account already
        if people.shared_logins.keys() & set(person.logins):
            continue  # its login signs nobody in (counted as shared_login above)
        if not may_link_by_email(user):
            # A password or a staff role: an e-mail match is no proof (desk.identity.linking).
            log.warning("account %s matches entry %s: an admin must link it", user.email, person.dn)
            counts["not_linked"] += 1
            continue
        linked_logins.add(person.login)
        if person.entry_id:
            claimed[person.entry_id] = user.id
        link = new_link(user, person, person.login)
        db.session.flush()
        counts["linked"] += 1
        _apply(user, link, person, members, mapping, counts)
    return _finish(run, "ok", counts)


def _held(rule: GroupRule, links: list[DirectoryLink]) -> bool:
    """Whether an active account may hold a role or queue group `rule` gave it."""
    return any(
        link.user.is_active_account and holds_from_group(rule, link.applied or {}) for link in links
    )


def _claim(link: DirectoryLink, person: Person, claimed: dict[str, int]) -> None:
    """The link takes its entry's id, unless another link holds it: filled here from the
    sync's own map, not by one query per link. A link whose own id no entry has any more,
    found by login or DN, takes the entry's (a directory reloaded with new ids)."""
    if person.entry_id is None or link.entry_id == person.entry_id:
        return
    if claimed.get(person.entry_id, link.user_id) != link.user_id:
        return
    if link.entry_id is not None:
        log.warning(
            "directory entry id of %s changed: %s -> %s", link.login, link.entry_id, person.entry_id
        )
        claimed.pop(link.entry_id, None)
    link.entry_id = person.entry_id
    claimed[person.entry_id] = link.user_id


def _apply(user, link, person, members, mapping, counts) -> None:
    access = access_from_groups(person.dn, members, mapping)
    result = apply_person(user, link, person, access, mapping, replace_conflicts=False)
    counts["updated"] += bool(result.changed)
    counts["renamed"] += result.renamed
    counts["released"] += result.released
    counts["conflicts"] += len(result.conflicts)


def _finish(
    run: DirectorySync,
    status: str,
    counts: dict,
    *,
    reason: str | None = None,
    data: dict | None = None,
) -> DirectorySync:
    run.status, run.counts, run.finished_at = status, counts, utcnow()
    run.reason, run.reason_data = reason, data
    return run
