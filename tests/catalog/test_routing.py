"""Routing rules, one by one: conditions, order, fallback, and the domain guard."""

from __future__ import annotations

import logging

from desk.auth.models import Role
from desk.catalog.models import RoutingRule, TicketKind
from desk.catalog.services import route
from desk.extensions import db
from tests.catalog.world import only_ticket
from tests.support.factories import make_queue, make_user


def _rule(world, queue, position=0, **conditions):
    rule = RoutingRule(name=f"r{position}", position=position, queue=queue, **conditions)
    db.session.add(rule)
    db.session.commit()
    return rule


def test_without_a_matching_rule_the_default_queue_is_used(world):
    assert route(world.types["list"], site_id=world.triolet[0].id).code == "messagerie"
    assert route(world.types["network"], site_id=None).code == "reseau"
    assert route(world.types["network"], site_id=world.stpriest[0].id).code == "reseau"


def test_demo_rules_send_network_incidents_to_their_site_queue(world):
    assert route(world.types["network"], site_id=world.triolet[0].id).code == "reseau-triolet"
    assert route(world.types["network"], site_id=world.richter[0].id).code == "reseau-richter"


def test_kind_condition(world):
    # The Wi-Fi request is in the network category too, but it is not an incident.
    assert route(world.types["wifi"], site_id=world.triolet[0].id).code == "reseau"


def test_request_type_condition(world):
    special = make_queue(world.it, code="messagerie-2")
    _rule(world, special, request_type_id=world.types["list"].id)
    assert route(world.types["list"]).code == "messagerie-2"
    assert route(world.types["zoom"]).code == "visio"


def test_category_condition(world):
    video = make_queue(world.it, code="visio-2")
    _rule(world, video, category_id=world.cats["videoconf"].id)
    assert route(world.types["zoom"]).code == "visio-2"
    assert route(world.types["list"]).code == "messagerie"


def test_first_matching_rule_wins(world):
    early = make_queue(world.it, code="reseau-tous")
    _rule(world, early, position=5, kind=TicketKind.INCIDENT)
    assert route(world.types["network"], site_id=world.triolet[0].id).code == "reseau-tous"


def test_inactive_rules_and_inactive_queues_are_skipped(world):
    world.rules[0].is_active = False
    db.session.commit()
    assert route(world.types["network"], site_id=world.triolet[0].id).code == "reseau"
    world.rules[0].is_active = True
    world.queues["reseau-richter"].is_active = False
    db.session.commit()
    assert route(world.types["network"], site_id=world.richter[0].id).code == "reseau"


def test_a_rule_never_moves_a_ticket_to_another_domain(world):
    _rule(world, world.queues["reseau"], position=0)  # empty conditions: matches anything
    assert route(world.types["phone"]).code == "rh-admin"
    assert route(world.types["zoom"]).code == "reseau"


def test_an_entry_whose_default_queue_is_closed_routes_to_an_open_one(world, staff, login, caplog):
    """Closed by the reference file (the admin refuses it while the entry is active), visio
    would take the Zoom entry's new requests where nobody looks: they go to an open queue of
    the domain, one with members first, and the log says so."""
    world.queues["visio"].is_active = False
    make_user(role=Role.TECHNICIAN, queues=(world.queues["reseau-triolet"],))
    db.session.commit()
    with caplog.at_level(logging.WARNING, logger="desk.catalog.services"):
        login(staff).submit(
            "/catalogue/licence-zoom",
            {"zoom_email": "claire.martin@umontpellier.fr", "account_created": "y"},
        )
    assert only_ticket().queue.code == "reseau-triolet"  # staffed, not 'messagerie'
    assert "routes to closed queue visio: new request sent to reseau-triolet" in caplog.text
    # No open queue left in its domain: the closed one, rather than no ticket at all.
    world.queues["rh-admin"].is_active = False
    db.session.commit()
    with caplog.at_level(logging.ERROR, logger="desk.catalog.services"):
        assert route(world.types["phone"]).code == "rh-admin"
    assert "its domain has no open queue" in caplog.text
