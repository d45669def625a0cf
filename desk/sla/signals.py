"""SLA signals, sent by the sweep INSIDE its transaction, once per ticket and crossed threshold;
thresholds of one ticket crossed at the same time go in one signal (the first response's
first), so that its people hear of them once.

Both are sent with the ticket as sender and these keyword arguments:
- kind:   a `desk.sla.models.SlaEventKind` value (first_response_warning, resolution_breach...)
- due_at: the crossed instant (aware, UTC): the warning time or the due date
- raised: whether the sweep raised the ticket's priority (a breach of a critical ticket does
  not; a warning never does)
- also:   [(kind, due_at)] of the ticket's other thresholds of the same sort (warnings, or
  breaches) crossed with it: the resolution's, when both deadlines were missed at once

Subscribers (notifications) add their rows to the same session and never commit, so a
notification exists exactly when the SLA event does. `sla_breached` is the escalation: the
ticket's priority has already been raised (unless it was critical); notify the queue leads
(`desk.sla.services.queue_leads(ticket)`). A subscriber of `sla_breached` returns the roles of
those it reached by e-mail (desk.notifications.alerted); the sweep stores them on the breach's
timeline entry, which says whom the breach reached (desk.sla.timeline), and claims nothing
when no subscriber says.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

sla_warning = _signals.signal("sla-warning")
sla_breached = _signals.signal("sla-breached")
