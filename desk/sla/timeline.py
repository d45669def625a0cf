"""SLA entries of a ticket's timeline: stored as data, told in the reader's language.

The sweep stores the kind of threshold (`new_value`) and "due date|priority" (`old_value`);
`describe_sla_event` writes the sentence when the page is shown. Entries written before that
as a French sentence were given the same data by the migration
`..._sla_timeline_entries_as_data` (one it could not read keeps its sentence as its body).
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _

from desk.core.i18n import localdt
from desk.sla.models import SlaEventKind as K
from desk.tickets.history import PRIORITY_LABELS
from desk.tickets.models import TicketEvent


def encode_sla_data(due_at: dt.datetime, priority: int) -> str:
    """`old_value` of an SLA entry."""
    return f"{due_at.isoformat()}|{priority}"


def describe_sla_event(event: TicketEvent) -> str:
    """The entry's sentence in the current language; "" if it is not a structured SLA entry."""
    if event.field != "sla" or not event.old_value or "|" not in event.old_value:
        return ""
    try:
        kind = K(event.new_value)
        raw_due, raw_priority = event.old_value.split("|", 1)
        due = localdt(dt.datetime.fromisoformat(raw_due))
        priority = str(PRIORITY_LABELS.get(int(raw_priority), raw_priority))
    except ValueError:
        return ""
    if kind is K.FIRST_RESPONSE_WARNING:
        return _("First-response deadline approaching: due %(due)s.", due=due)
    if kind is K.RESOLUTION_WARNING:
        return _("Resolution deadline approaching: due %(due)s.", due=due)
    if kind is K.FIRST_RESPONSE_BREACH:
        return _(
            "First-response target missed (due %(due)s). Priority: %(priority)s; "
            "the queue leads are alerted.",
            due=due,
            priority=priority,
        )
    return _(
        "Resolution target missed (due %(due)s). Priority: %(priority)s; "
        "the queue leads are alerted.",
        due=due,
        priority=priority,
    )
