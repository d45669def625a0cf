"""A network and a mail service, their forms, a technician, an admin, requesters in French
and English."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from desk.auth.models import Role
from tests.notifications.conftest import smtp  # noqa: F401 - the real SMTP server fixture
from tests.support.factories import make_category, make_queue, make_request_type, make_user
from tests.support.live_server import chromium, live_server

__all__ = ["chromium", "live_server", "services"]


@pytest.fixture
def services(app_ctx):
    queue = make_queue(code="reseau")
    network = make_category(queue.domain, code="reseau")
    mail = make_category(queue.domain, code="messagerie")
    mail.name_fr, mail.name_en = "Messagerie", "E-mail"
    return SimpleNamespace(
        queue=queue,
        network=network,
        mail=mail,
        wifi_form=make_request_type(
            slug="wifi", form_key="network_problem", queue=queue, category=network
        ),
        mail_form=make_request_type(
            slug="boite", form_key="mailing_list", queue=queue, category=mail
        ),
        tech=make_user("tech@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,)),
        admin=make_user("admin@umontpellier.fr", role=Role.ADMIN),
        claire=make_user("claire@umontpellier.fr", name="Claire Martin", locale="fr"),
        john=make_user("john@umontpellier.fr", name="John Smith", locale="en"),
    )
