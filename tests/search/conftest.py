"""Two queues, their technicians, an admin and two requesters, with searchable tickets."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from desk.auth.models import Role
from tests.support.factories import make_queue, make_ticket, make_user


@pytest.fixture
def world(app_ctx):
    network = make_queue(code="reseau")
    mail = make_queue(network.domain, code="messagerie")
    tech = make_user("tech.reseau@umontpellier.fr", role=Role.TECHNICIAN, queues=(network,))
    mail_tech = make_user("tech.visio@umontpellier.fr", role=Role.TECHNICIAN, queues=(mail,))
    admin = make_user("admin@umontpellier.fr", role=Role.ADMIN, name="Admin Desk")
    claire = make_user("claire.martin@umontpellier.fr", name="Claire Martin")
    leo = make_user("leo.petit@etu.umontpellier.fr", name="Léo Petit")
    printer = make_ticket(
        queue=network,
        requester=claire,
        subject="Impression impossible",
        data={"description": "Les imprimantes du bâtiment B ne répondent plus", "floor": 2},
    )
    mailing = make_ticket(
        queue=mail,
        requester=leo,
        subject="Liste de diffusion",
        data={"list_name": "l3-informatique", "owners": ["anne.roux@umontpellier.fr"]},
    )
    return SimpleNamespace(
        network=network,
        mail=mail,
        tech=tech,
        mail_tech=mail_tech,
        admin=admin,
        claire=claire,
        leo=leo,
        printer=printer,
        mailing=mailing,
    )
