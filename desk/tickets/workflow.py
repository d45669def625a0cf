"""The ticket state machine: every allowed status change, and who may make it, in one table.

Services call `check_transition`; views never compare statuses themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from desk.core.i18n import lazy_gettext as _l
from desk.tickets.models import Status


class Actor(StrEnum):
    """Which side makes a change."""

    STAFF = "staff"  # a technician of the ticket's queue, or an admin
    REQUESTER = "requester"  # the ticket's requester
    SYSTEM = "system"  # timers (auto-close), and what follows from another change


S, R, Y = Actor.STAFF, Actor.REQUESTER, Actor.SYSTEM

# (from, to) -> who may do it.
TRANSITIONS: dict[tuple[Status, Status], frozenset[Actor]] = {
    (Status.NEW, Status.ASSIGNED): frozenset({S}),
    (Status.NEW, Status.IN_PROGRESS): frozenset({S}),
    (Status.NEW, Status.CANCELLED): frozenset({S, R}),
    # Nobody picks "new" in the status list: an assigned ticket not yet started becomes new
    # again when it goes back to its queue without a technician (desk.tickets.actions).
    (Status.ASSIGNED, Status.NEW): frozenset({Y}),
    (Status.ASSIGNED, Status.IN_PROGRESS): frozenset({S}),
    (Status.ASSIGNED, Status.WAITING_ON_REQUESTER): frozenset({S}),
    (Status.ASSIGNED, Status.RESOLVED): frozenset({S}),
    (Status.ASSIGNED, Status.CANCELLED): frozenset({S, R}),
    (Status.IN_PROGRESS, Status.WAITING_ON_REQUESTER): frozenset({S}),
    (Status.IN_PROGRESS, Status.RESOLVED): frozenset({S}),
    (Status.IN_PROGRESS, Status.CANCELLED): frozenset({S, R}),
    # The requester answering puts the ticket back in progress.
    (Status.WAITING_ON_REQUESTER, Status.IN_PROGRESS): frozenset({S, R}),
    (Status.WAITING_ON_REQUESTER, Status.RESOLVED): frozenset({S}),
    (Status.WAITING_ON_REQUESTER, Status.CANCELLED): frozenset({S, R}),
    (Status.WAITING_ON_REQUESTER, Status.CLOSED): frozenset({Y}),  # no answer: auto-close
    (Status.RESOLVED, Status.CLOSED): frozenset({S, Y}),
    (Status.RESOLVED, Status.REOPENED): frozenset({R, S}),  # requester: within the window
    (Status.REOPENED, Status.ASSIGNED): frozenset({S}),
    (Status.REOPENED, Status.IN_PROGRESS): frozenset({S}),
    (Status.REOPENED, Status.WAITING_ON_REQUESTER): frozenset({S}),
    (Status.REOPENED, Status.RESOLVED): frozenset({S}),
    (Status.REOPENED, Status.CANCELLED): frozenset({S, R}),
}

STATUS_LABELS = {
    Status.NEW: _l("New"),
    Status.ASSIGNED: _l("Assigned"),
    Status.IN_PROGRESS: _l("In progress"),
    Status.WAITING_ON_REQUESTER: _l("Waiting on requester"),
    Status.RESOLVED: _l("Resolved"),
    Status.CLOSED: _l("Closed"),
    Status.REOPENED: _l("Reopened"),
    Status.CANCELLED: _l("Cancelled"),
}


@dataclass
class TransitionError(Exception):
    """A refused status change; `message` is shown to the user."""

    message: object

    def __str__(self) -> str:
        return str(self.message)


def targets_of(actor: Actor) -> list[Status]:
    """Statuses `actor` may move some ticket to, in the labels' order (a list of choices that
    offers none they can never pick)."""
    reachable = {to for (_frm, to), who in TRANSITIONS.items() if actor in who}
    return [status for status in STATUS_LABELS if status in reachable]


def allowed_targets(current: Status, actor: Actor) -> list[Status]:
    """Statuses `actor` may move a ticket to from `current`, in lifecycle order."""
    return [to for (frm, to), who in TRANSITIONS.items() if frm is current and actor in who]


def check_transition(current: Status, target: Status, actor: Actor) -> None:
    """Raise TransitionError unless `actor` may move a ticket from `current` to `target`."""
    if current is target:
        raise TransitionError(
            _l("The ticket is already “%(status)s”.", status=STATUS_LABELS[current])
        )
    who = TRANSITIONS.get((current, target))
    if who is None or actor not in who:
        raise TransitionError(
            _l(
                "A ticket cannot go from “%(current)s” to “%(target)s”.",
                current=STATUS_LABELS[current],
                target=STATUS_LABELS[target],
            )
        )
