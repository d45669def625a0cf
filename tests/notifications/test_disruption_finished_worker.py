"""Tickets a colleague resolved by ending the disruption they came from, end to end: the
status page's button, a real Celery worker process, a real SMTP server, the bell. Each
holder hears once, in their language, which disruption resolved their ticket."""

from __future__ import annotations

import pytest

from desk.status.services import DisruptionText, publish_disruption
from tests.notifications.test_staff_worker import _settled
from tests.notifications.test_taken_over_worker import _text, three_technicians
from tests.status.test_status_tickets import _link
from tests.support.factories import make_category, make_request_type, make_ticket

pytestmark = pytest.mark.worker

STATUS = "/etat-des-services"


def test_each_holder_hears_which_disruption_resolved_their_ticket(db, smtp, worker, login):
    queue, karim, sophie, leo, requester = three_technicians()
    network = make_category(queue.domain, code="reseau")
    wifi = make_request_type(slug="wifi", form_key="network_problem", queue=queue, category=network)
    disruption = publish_disruption(
        DisruptionText(
            title_fr="Wi-Fi coupé", details_fr="", title_en="No Wi-Fi", category=network
        ),
        actor=leo,
    )
    held = {
        person: make_ticket(
            request_type=wifi, requester=requester, status="in_progress", assignee=person
        )
        for person in (karim, sophie)
    }
    as_leo = login(leo)
    for ticket in held.values():
        assert _link(as_leo, disruption, ticket).status_code == 302

    as_leo.submit(f"{STATUS}/{disruption.id}/fin", page=STATUS)
    _settled(smtp, 4)  # the requester of each ticket, and each holder

    (to_karim,) = smtp.to(karim.email)
    assert " ".join(to_karim["Subject"].split()).startswith(
        f"[{held[karim].reference}] Finished by a colleague: "
    )
    assert (
        "Léo Petit resolved this ticket you hold with the disruption it came from, now over: "
        "No Wi-Fi." in _text(to_karim)
    )
    html = to_karim.get_body(("html",)).get_content()
    assert "now over: <strong>No Wi-Fi</strong>" in html
    (to_sophie,) = smtp.to(sophie.email)
    assert to_sophie["Subject"].startswith(f"[{held[sophie].reference}] ")
    body = _text(to_sophie)
    assert "Bonjour Sophie Durand" in body and "Wi-Fi coupé" in body
    assert not smtp.to(leo.email)

    bell = login(karim).get("/notifications").text
    assert "Finished by a colleague" in bell
    assert "now over: <strong>No Wi-Fi</strong>" in bell
