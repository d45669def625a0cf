"""Admin changes to routing rules: create, edit, reorder, (de)activate, delete.

The checks mirror `desk.catalog.services.route()`: a rule whose queue is inactive or belongs to
another domain than the ticket's is skipped there, so the admin refuses to save such a rule
rather than let it look effective while it never applies.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select

from desk.auth.models import User
from desk.catalog.models import RequestType, RoutingRule, TicketKind
from desk.core.i18n import lazy_gettext as _l
from desk.core.i18n import number
from desk.extensions import db
from desk.reference.models import Category, Queue, Site

log = logging.getLogger(__name__)

NAME_MAX = 120
# New rules go last; positions are spaced so a rule loaded from the reference file can still
# be slotted between two others by hand.
POSITION_STEP = 10


INACTIVE_QUEUE = _l(
    "This queue is inactive: routing skips rules that point to it. Choose an active queue."
)


class RuleInvalid(ValueError):
    """Refused input: messages by form field name, shown next to the fields."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class RuleData:
    """What an admin may set on a rule; ids are as submitted (None = any)."""

    name: str
    queue_id: int | None
    request_type_id: int | None = None
    category_id: int | None = None
    kind: TicketKind | None = None
    site_id: int | None = None
    # A rule without any condition matches every ticket of its queue's domain. That is
    # sometimes wanted (redirect a whole domain during an outage) but easy to do by mistake,
    # so it is allowed only when the admin ticks an explicit confirmation.
    applies_to_all: bool = False


def _check(data: RuleData, rule: RoutingRule | None) -> dict[str, object]:
    """The validated values to store, or RuleInvalid with every problem found."""
    errors: dict[str, str] = {}
    name = (data.name or "").strip()
    if not name:
        errors["name"] = _l("Enter a name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _l("At most %(max)s characters.", max=number(NAME_MAX))
    else:
        # The reference file updates rules by name: two rules with one name would be ambiguous.
        same = select(RoutingRule.id).where(RoutingRule.name == name)
        if rule is not None:
            same = same.where(RoutingRule.id != rule.id)
        if db.session.scalar(same) is not None:
            errors["name"] = _l("Another rule already has this name.")

    def lookup(model, field: str, value: int | None):
        found = db.session.get(model, value) if value is not None else None
        if value is not None and found is None:
            errors[field] = _l("Choose an item from the list.")
        return found

    request_type = lookup(RequestType, "request_type", data.request_type_id)
    category = lookup(Category, "category", data.category_id)
    lookup(Site, "site", data.site_id)
    queue = lookup(Queue, "queue", data.queue_id)
    if data.queue_id is None:
        errors["queue"] = _l("Choose a queue.")

    # Conditions that can never hold together would make a rule that silently never applies.
    if (
        request_type is not None
        and category is not None
        and request_type.category_id != category.id
    ):
        errors["category"] = _l("The chosen entry is not in this category.")
    if request_type is not None and data.kind is not None and request_type.kind != data.kind:
        errors["kind"] = _l("The chosen entry is not of this kind.")

    if queue is not None:
        domain_ids = {c.domain_id for c in (request_type, category) if c is not None}
        if not queue.is_active:
            errors["queue"] = INACTIVE_QUEUE
        elif domain_ids and domain_ids != {queue.domain_id}:
            errors["queue"] = _l(
                "Choose a queue of the entry's or category's domain: routing never moves "
                "a ticket to another domain, so this rule would never apply."
            )

    no_condition = all(
        v is None for v in (data.request_type_id, data.category_id, data.kind, data.site_id)
    )
    if no_condition and not data.applies_to_all:
        errors["applies_to_all"] = _l(
            "This rule has no condition: tick the box to confirm it applies to every ticket "
            "of its queue's domain, or choose a condition."
        )
    if errors:
        raise RuleInvalid(errors)
    return {
        "name": name,
        "request_type_id": data.request_type_id,
        "category_id": data.category_id,
        "kind": data.kind,
        "site_id": data.site_id,
        "queue_id": data.queue_id,
    }


def create_rule(data: RuleData, *, actor: User) -> RoutingRule:
    """Add an active rule after the others (the caller commits)."""
    values = _check(data, None)
    last = db.session.scalar(select(func.max(RoutingRule.position)))
    rule = RoutingRule(position=(last or 0) + POSITION_STEP, is_active=True, **values)
    db.session.add(rule)
    db.session.flush()
    log.info("routing rule %s created by user %s", rule.id, actor.id)
    return rule


def update_rule(rule: RoutingRule, data: RuleData, *, actor: User) -> None:
    """Change a rule's name, conditions and queue (the caller commits)."""
    for key, value in _check(data, rule).items():
        setattr(rule, key, value)
    db.session.flush()
    log.info("routing rule %s updated by user %s", rule.id, actor.id)


def move_rule(rule: RoutingRule, direction: Literal["up", "down"], *, actor: User) -> bool:
    """Swap a rule with its neighbour in evaluation order; False if already at that end.

    Rules from the reference file may share a position (ties go by id), so the whole list is
    renumbered first: the swap then always changes the evaluation order.
    """
    rules = list(
        db.session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id))
    )
    i = rules.index(rule)
    j = i - 1 if direction == "up" else i + 1
    if not 0 <= j < len(rules):
        return False
    rules[i], rules[j] = rules[j], rules[i]
    for n, each in enumerate(rules, start=1):
        each.position = n * POSITION_STEP
    db.session.flush()
    log.info("routing rule %s moved %s by user %s", rule.id, direction, actor.id)
    return True


def set_rule_active(rule: RoutingRule, is_active: bool, *, actor: User) -> None:
    """Turn a rule on or off without losing it (the caller commits). A rule to a closed queue
    stays off, as its form refuses to save it: routing would skip it while it looks on."""
    if is_active and not rule.queue.is_active:
        raise RuleInvalid({"queue": INACTIVE_QUEUE})
    rule.is_active = is_active
    db.session.flush()
    log.info("routing rule %s active=%s by user %s", rule.id, is_active, actor.id)


def delete_rule(rule: RoutingRule, *, actor: User) -> None:
    """Remove a rule; tickets already routed keep their queue (the caller commits)."""
    db.session.delete(rule)
    db.session.flush()
    log.info("routing rule %s deleted by user %s", rule.id, actor.id)
