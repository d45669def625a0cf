"""A small desk: two queues, their technicians, an admin, a requester and a few tickets."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from desk.auth.models import Role
from tests.support.factories import make_queue, make_ticket, make_user


@pytest.fixture
def desk(app_ctx):
    network = make_queue(code="reseau")
    mail = make_queue(network.domain, code="messagerie")
    tech = make_user(
        "tech.reseau@umontpellier.fr", role=Role.TECHNICIAN, queues=(network,), name="Karim Benali"
    )
    mate = make_user(
        "mate.reseau@umontpellier.fr", role=Role.TECHNICIAN, queues=(network,), name="Sophie Durand"
    )
    mail_tech = make_user(
        "tech.visio@umontpellier.fr", role=Role.TECHNICIAN, queues=(mail,), name="Anne Roux"
    )
    admin = make_user("admin@umontpellier.fr", role=Role.ADMIN, name="Admin Desk")
    requester = make_user("claire.martin@umontpellier.fr", name="Claire Martin")
    ticket = make_ticket(queue=network, requester=requester, subject="Wi-Fi en panne salle 12")
    mail_ticket = make_ticket(queue=mail, requester=requester, subject="Liste de diffusion")
    return SimpleNamespace(
        network=network,
        mail=mail,
        tech=tech,
        mate=mate,
        mail_tech=mail_tech,
        admin=admin,
        requester=requester,
        ticket=ticket,
        mail_ticket=mail_ticket,
    )
