"""Account administration: list and search, create, (de)activate, role, queue memberships.

Every change is logged with the acting admin and the account changed. Deactivation ends the
account's sessions at once (`desk.auth.services.deactivate_user`). An admin cannot lock
themselves out: they may not deactivate their own account nor take away their own admin role.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from desk.admin.services import AdminError
from desk.auth.models import Role, User
from desk.auth.roles import change_role
from desk.auth.services import (
    deactivate_user,
    find_user,
    name_or_email_contains,
    normalize_email,
)
from desk.core.i18n import lazy_gettext as _l
from desk.extensions import db
from desk.reference.models import Queue, QueueMembership
from desk.tickets.actions import release_tickets

log = logging.getLogger(__name__)
PER_PAGE = 50


@dataclass
class AccountPage:
    """One page of the account list; `next_after` is the cursor of the next page, if any."""

    users: list[User]
    next_after: str | None


def list_accounts(search: str = "", after: str | None = None) -> AccountPage:
    """Accounts by e-mail (keyset on the unique e-mail), optionally matching name or e-mail."""
    query = select(User).order_by(User.email)
    words = search.strip()[:200]
    if words:
        query = query.where(name_or_email_contains(words))
    if after:
        query = query.where(User.email > after[:254])
    users = list(db.session.scalars(query.limit(PER_PAGE + 1)))
    more = len(users) > PER_PAGE
    users = users[:PER_PAGE]
    return AccountPage(users, users[-1].email if more else None)


def _audit(action: str, user: User, actor: User, **details: object) -> None:
    log.info(
        "admin: %s %s",
        action,
        user.email,
        extra={"actor_id": actor.id, "user_id": user.id, "action": action, **details},
    )


def create_account(
    *, email: str, display_name: str, role: Role, is_staff: bool, password: str, actor: User
) -> User:
    """A new account; refused if the e-mail is taken. The caller commits."""
    email = normalize_email(email)
    if find_user(email) is not None:
        raise AdminError(str(_l("An account with this e-mail already exists.")), "email")
    user = User(email=email, display_name=display_name, role=role, is_staff=is_staff)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    _audit("created", user, actor, role=role.value)
    return user


def update_account(user: User, *, display_name: str, role: Role, is_staff: bool, actor: User):
    """Rename, change the role; a requester keeps no queue membership. The caller commits."""
    if user.erased_at is not None:  # nobody to name again: desk.privacy anonymised it
        raise AdminError(str(_l("This account was anonymised: it cannot be used again.")))
    if user.id == actor.id and role is not Role.ADMIN:
        raise AdminError(str(_l("You cannot take away your own administrator role.")), "role")
    old_role = user.role
    user.display_name = display_name
    user.is_staff = is_staff
    change_role(user, role)
    if role is Role.REQUESTER:
        user.memberships.clear()
    _audit("updated", user, actor, old_role=old_role.value, role=role.value)
    return user


def set_memberships(user: User, leads_by_queue: dict[int, bool], *, actor: User) -> None:
    """Set `user`'s queues to exactly these ids (value: is lead). The caller commits."""
    if leads_by_queue and user.role is Role.REQUESTER:
        raise AdminError(str(_l("A requester cannot be a member of a queue.")), "queues")
    queues = {
        q.id: q for q in db.session.scalars(select(Queue).where(Queue.id.in_(leads_by_queue)))
    }
    if set(leads_by_queue) - queues.keys():
        raise AdminError(str(_l("Choose queues from the list.")), "queues")
    current = {m.queue_id: m for m in user.memberships}
    for queue_id, membership in current.items():
        if queue_id not in leads_by_queue:
            user.memberships.remove(membership)
    for queue_id, is_lead in leads_by_queue.items():
        membership = current.get(queue_id)
        if membership is None:
            user.memberships.append(QueueMembership(queue=queues[queue_id], is_lead=is_lead))
        else:
            membership.is_lead = is_lead
    _audit("memberships", user, actor, queues=sorted(leads_by_queue))


def set_active(user: User, active: bool, *, actor: User) -> int:
    """Deactivate (ending every session of the account, its open tickets back to their
    queues) or reactivate; returns how many tickets went back. The caller commits."""
    if user.id == actor.id and not active:
        raise AdminError(str(_l("You cannot deactivate your own account.")))
    released = 0
    if active:
        if user.erased_at is not None:
            raise AdminError(str(_l("This account was anonymised: it cannot be used again.")))
        user.is_active_account, user.deactivated_at = True, None
    else:
        deactivate_user(user, actor=actor)
        released = release_tickets(user, actor=actor)
    _audit("activated" if active else "deactivated", user, actor)
    return released
