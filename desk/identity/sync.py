"""The directory sync: every linked account refreshed, people who left deactivated.

Run nightly by beat and on demand by an admin. It reads the whole directory first and decides
before changing anything: if it would deactivate more than the configured share of linked
accounts it stops and alerts instead (a directory answering with an empty or truncated tree
must not lock the university out). Tickets people asked for are kept; the open tickets a
deactivated technician held go back to their queues, unassigned (desk.tickets.actions).
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from desk.auth.models import User
from desk.auth.services import revoke_sessions
from desk.core.db import utcnow
from desk.extensions import db
from desk.identity.accounts import apply_person, load_mapping
from desk.identity.directory import Directory, DirectoryUnavailable, Entry
from desk.identity.linking import may_link_by_email
from desk.identity.models import DirectoryConflict, DirectoryLink, DirectorySync
from desk.identity.people import (
    IdentityMapping,
    MissingAttribute,
    Person,
    access_from_groups,
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


def _people(
    entries: list[Entry], mapping: IdentityMapping
) -> tuple[dict[str, Person], dict[str, Person], dict[str, Person]]:
    by_login: dict[str, Person] = {}
    by_email: dict[str, Person] = {}
    by_dn: dict[str, Person] = {}
    for entry in entries:
        try:
            person = person_from_attributes(entry.attributes, mapping, dn=entry.dn)
        except MissingAttribute:
            log.warning("directory entry %s lacks a login or e-mail; skipped", entry.dn)
            continue
        for login in person.logins:
            by_login[login] = person
        by_email.setdefault(person.email, person)
        by_dn[entry.dn.lower()] = person
    return by_login, by_email, by_dn


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
        return _finish(run, "failed", {})
    by_login, by_email, by_dn = _people(entries, mapping)

    def person_of(link: DirectoryLink) -> Person | None:
        # By login, then by DN: an entry whose uid or alias changed is the same person (the
        # link takes the new login in apply_person), not a leaver.
        return by_login.get(link.login) or by_dn.get((link.dn or "").lower())

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
    active = [link for link in links if link.user.is_active_account]
    leaving = [link for link in active if person_of(link) is None]
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
        ("updated", "deactivated", "released", "reactivated", "linked", "not_linked", "conflicts"),
        0,
    )
    counts["entries"] = len(entries)
    now = utcnow()
    for link in links:
        person = person_of(link)
        if person is None:
            if link.user.is_active_account:
                link.user.is_active_account = False
                link.user.deactivated_at = now
                link.is_gone = True
                end_user_sessions(link.user, "deactivated")
                revoke_sessions(link.user, actor=None)  # password and remember-me ones too
                counts["deactivated"] += 1
                counts["released"] += release_tickets(link.user, actor=None)
            link.last_synced_at = now
            continue
        if link.is_gone:
            reactivate_returning(link)
            counts["reactivated"] += 1
        _apply(link.user, link, person, members, mapping, counts)
    linked_ids = {link.user_id for link in links}
    linked_logins = {link.login for link in links}
    unlinked = db.session.scalars(
        select(User).where(User.email.in_(list(by_email)), User.id.not_in(linked_ids or {0}))
    )
    for user in unlinked:
        person = by_email[user.email]
        if linked_logins & set(person.logins):
            continue  # that entry is someone else's account already
        if not may_link_by_email(user):
            # A password or a staff role: an e-mail match is no proof (desk.identity.linking).
            log.warning("account %s matches entry %s: an admin must link it", user.email, person.dn)
            counts["not_linked"] += 1
            continue
        linked_logins.add(person.login)
        link = DirectoryLink(user=user, login=person.login, dn=person.dn or "", applied={})
        db.session.add(link)
        db.session.flush()
        counts["linked"] += 1
        _apply(user, link, person, members, mapping, counts)
    return _finish(run, "ok", counts)


def _apply(user, link, person, members, mapping, counts) -> None:
    access = access_from_groups(person.dn, members, mapping)
    result = apply_person(user, link, person, access, mapping, replace_conflicts=False)
    counts["updated"] += bool(result.changed)
    counts["released"] += result.released
    counts["conflicts"] += len(result.conflicts)


def _finish(run: DirectorySync, status: str, counts: dict) -> DirectorySync:
    run.status, run.counts, run.finished_at = status, counts, utcnow()
    return run
