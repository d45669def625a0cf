"""Two queues, a lead, a plain technician, an admin, requesters in French and English."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from desk.auth.models import Role
from desk.canned.models import CannedReply
from desk.extensions import db
from tests.support.factories import make_queue, make_ticket, make_user
from tests.support.live_server import chromium, live_server

__all__ = ["chromium", "live_server", "team"]


@pytest.fixture
def team(app_ctx):
    network = make_queue(code="reseau")
    mail = make_queue(network.domain, code="messagerie")
    lead = make_user(
        "lead.reseau@umontpellier.fr",
        role=Role.TECHNICIAN,
        queues=(network, mail),
        leads=(network,),
        name="Karim Benali",
    )
    tech = make_user("tech.reseau@umontpellier.fr", role=Role.TECHNICIAN, queues=(network,))
    admin = make_user("admin@umontpellier.fr", role=Role.ADMIN, name="Admin Desk")
    claire = make_user("claire.martin@umontpellier.fr", name="Claire Martin", locale="fr")
    john = make_user("john.smith@umontpellier.fr", name="John Smith", locale="en")
    ticket = make_ticket(queue=network, requester=claire, subject="Wi-Fi en panne")
    english = make_ticket(queue=network, requester=john, subject="No Wi-Fi")
    welcome = CannedReply(
        queue_id=network.id,
        title="Prise en charge",
        body_fr="Bonjour {requester_name},\nNous traitons {reference}. {agent_name}",
        body_en="Hello {requester_name},\nWe are on {reference}. {agent_name}",
    )
    other = CannedReply(queue_id=mail.id, title="Messagerie", body_fr="Texte messagerie")
    db.session.add_all([welcome, other])
    db.session.commit()
    return SimpleNamespace(
        network=network,
        mail=mail,
        lead=lead,
        tech=tech,
        admin=admin,
        claire=claire,
        john=john,
        ticket=ticket,
        english=english,
        welcome=welcome,
        other=other,
    )
