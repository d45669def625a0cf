"""SLA entries of a ticket's timeline: stored as data, told in the reader's language.

The sweep stores the kind of threshold (`new_value`) and "due date|priority" (`old_value`),
and for a breach "|roles": whom it reached by e-mail ("holder+leads", "" for nobody; see
`desk.notifications.alerted`). `describe_sla_event` writes the sentence when the page is
shown. A breach recorded without the roles (before they were stored, or with nobody to say)
makes no claim about who was alerted. Entries written before that as a French sentence were
given the same data by the migration `..._sla_timeline_entries_as_data` (one it could not
read keeps its sentence as its body).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _

from desk.core.i18n import lazy_gettext as _l
from desk.core.i18n import localdt
from desk.sla.models import SlaEventKind as K
from desk.tickets.history import PRIORITY_LABELS
from desk.tickets.models import TicketEvent

# Whom a breach was e-mailed to, in the order the line names them.
ALERTED = {
    "holder": _l("the technician holding the ticket"),
    "members": _l("the queue's technicians"),
    "leads": _l("the queue leads"),
    "admins": _l("the administrators (nobody in the queue is present)"),
}
# Why the leads are not among them.
NOT_THE_LEADS = {
    "no_lead": _l("The queue has no lead."),
    "leads_bell_only": _l(
        "The queue leads get no e-mail of it (away, alert switched off or no address): "
        "it is in their notifications."
    ),
}
ROLE_ORDER = (*ALERTED, *NOT_THE_LEADS)


def encode_sla_data(
    due_at: dt.datetime, priority: int, alerted: Sequence[str] | None = None
) -> str:
    """`old_value` of an SLA entry; `alerted`: a breach's roles e-mailed (None: not known)."""
    data = f"{due_at.isoformat()}|{priority}"
    return data if alerted is None else f"{data}|{'+'.join(alerted)}"


def describe_sla_event(event: TicketEvent) -> str:
    """The entry's sentence in the current language; "" if it is not a structured SLA entry."""
    if event.field != "sla" or not event.old_value or "|" not in event.old_value:
        return ""
    try:
        kind = K(event.new_value)
        raw_due, raw_priority, *rest = event.old_value.split("|", 2)
        due = localdt(dt.datetime.fromisoformat(raw_due))
        priority = str(PRIORITY_LABELS.get(int(raw_priority), raw_priority))
    except ValueError:
        return ""
    if kind is K.FIRST_RESPONSE_WARNING:
        return _("First-response deadline approaching: due %(due)s.", due=due)
    if kind is K.RESOLUTION_WARNING:
        return _("Resolution deadline approaching: due %(due)s.", due=due)
    if kind is K.FIRST_RESPONSE_BREACH:
        missed = _(
            "First-response target missed (due %(due)s). Priority: %(priority)s.",
            due=due,
            priority=priority,
        )
    else:
        missed = _(
            "Resolution target missed (due %(due)s). Priority: %(priority)s.",
            due=due,
            priority=priority,
        )
    if not rest:
        return missed  # whom it reached was not recorded: no claim
    return " ".join([missed, *_alerted(rest[0].split("+"))])


def _alerted(roles: list[str]) -> list[str]:
    """The sentences saying whom a breach reached by e-mail, and why not the leads."""
    names = [str(ALERTED[r]) for r in roles if r in ALERTED]
    if names:
        who = format_list(names, locale=get_locale() or "en")
        told = _("E-mail alert: %(who)s.", who=who)
    else:
        told = _("Nobody was alerted by e-mail.")
    return [told, *(str(NOT_THE_LEADS[r]) for r in roles if r in NOT_THE_LEADS)]
