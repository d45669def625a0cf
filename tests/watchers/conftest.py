"""A network queue with its technician, another team's technician, an admin, a requester
(Claire) with an open ticket, and colleagues to put in copy."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from desk.auth.models import Role
from tests.support.factories import make_queue, make_request_type, make_ticket, make_user
from tests.support.live_server import chromium, live_server

__all__ = ["chromium", "live_server", "world"]


@pytest.fixture
def world(app_ctx):
    queue = make_queue(code="reseau")
    other = make_queue(code="rh")
    form = make_request_type(slug="wifi", form_key="network_problem", queue=queue)
    claire = make_user("claire.martin@umontpellier.fr", name="Claire Martin", locale="fr")
    return SimpleNamespace(
        queue=queue,
        claire=claire,
        paul=make_user("paul.durand@umontpellier.fr", name="Paul Durand", locale="fr"),
        john=make_user("john.smith@umontpellier.fr", name="John Smith", locale="en"),
        stranger=make_user("leo.petit@etu.umontpellier.fr", name="Léo Petit"),
        tech=make_user(
            "karim@umontpellier.fr", name="Karim Benali", role=Role.TECHNICIAN, queues=(queue,)
        ),
        tech_hr=make_user("rh@umontpellier.fr", role=Role.TECHNICIAN, queues=(other,)),
        admin=make_user("admin@umontpellier.fr", role=Role.ADMIN),
        ticket=make_ticket(
            request_type=form,
            requester=claire,
            status="in_progress",
            subject="Prise murale B204 morte",
        ),
    )
