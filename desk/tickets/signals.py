"""Ticket lifecycle signals, sent by the ticket services INSIDE the open transaction.

Subscribers (SLA, notifications) add their rows to the same session, so a notification or an
SLA timer is committed together with the change that caused it, or not at all. Subscribers
must not commit, and must not do network I/O: enqueue after commit instead.

Every signal is sent with the ticket as sender and these keyword arguments:
- ticket_created:  actor (User), acknowledge (bool: False when the channel decided the
                   requester gets no acknowledgement, desk.inbound.throttle); sent before
                   the ticket is numbered and inserted (no id or reference yet: both
                   exist when the transaction commits); what a
                   subscriber sets on it (due dates) is inserted with it
- ticket_changed:  actor (User | None for the system), changes: dict[field, (old, new)]
                   fields: "status", "assignee_id", "queue_id", "priority", plus form fields
                   and the markers of desk.tickets.history ("released", "duplicate_of"…);
                   note: the text written with the change (a reason, a word to colleagues)
- ticket_replied:  actor, event (TicketEvent): kind REPLY (public, staff), COMMENT
                   (requester) or NOTE (internal)
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

ticket_created = _signals.signal("ticket-created")
ticket_changed = _signals.signal("ticket-changed")
ticket_replied = _signals.signal("ticket-replied")
