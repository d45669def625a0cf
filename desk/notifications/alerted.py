"""Whom an SLA breach reached by e-mail, by role, for the line the sweep writes in the ticket's
timeline (desk.sla.timeline): the line says what happened, not what the rule meant to happen.

Someone is e-mailed when they are told (active), present (not away: desk.absences keeps
their news to the bell), have a mailbox (not a stand-in address) and have not switched that
e-mail off; the others find it in the bell only.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from desk.absences.services import away_until
from desk.auth.models import User
from desk.extensions import db
from desk.notifications.models import NotificationEvent, NotificationPreference
from desk.tickets.models import Ticket

# The roles, in the order the line names them; "no_lead" and "leads_bell_only" say why the
# leads are not among them.
ROLES = ("holder", "members", "leads", "admins", "no_lead", "leads_bell_only")


def mailed_roles(
    ticket: Ticket,
    event: NotificationEvent,
    handling: Sequence[User],
    leads: Sequence[User],
    admins: Sequence[User],
) -> list[str]:
    """The roles of those `event` about `ticket` reaches by e-mail: its holder, the queue's
    members (nobody holds it, or its holder is away), its leads, the admins (nobody in the
    queue present); and "no_lead" (the queue has none) or "leads_bell_only" (none of them
    e-mailed)."""
    people = {u.id: u for u in (*handling, *leads, *admins) if u is not None and u.is_active}
    away = away_until(people)
    muted = set(
        db.session.scalars(
            select(NotificationPreference.user_id).where(
                NotificationPreference.user_id.in_(people),
                NotificationPreference.event == event,
                NotificationPreference.email_enabled.is_(False),
            )
        )
        if people
        else ()
    )
    mailed = {i for i, u in people.items() if u.has_mailbox and i not in away and i not in muted}
    holder = ticket.assignee_id if any(u.id == ticket.assignee_id for u in handling) else None
    lead_ids = {u.id for u in leads}
    members = {u.id for u in handling} - {holder} - lead_ids
    found = {
        "holder": holder in mailed,
        "members": bool(members & mailed),
        "leads": bool(lead_ids & mailed),
        "admins": bool({u.id for u in admins} & mailed),
        "no_lead": not lead_ids,
        "leads_bell_only": bool(lead_ids) and not lead_ids & mailed,
    }
    return [role for role in ROLES if found[role]]
