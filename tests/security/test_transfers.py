"""Transfers stay inside the ticket's domain ("HR requests never reach IT"), and the form says
truthfully who reads the reason: the requester does, in their ticket's history."""

from __future__ import annotations

import re

import pytest

from desk.auth.models import Role
from desk.extensions import db
from desk.tickets.actions import ActionError, transfer_ticket
from desk.tickets.models import Ticket
from tests.support.factories import make_domain, make_queue, make_ticket, make_user

REASON = "Les numéros de téléphone sont gérés par la paie"


@pytest.fixture
def desks(app_ctx):
    it, hr = make_domain("it"), make_domain("hr", name_fr="Ressources Humaines")
    network = make_queue(it, code="reseau")
    hr_admin = make_queue(hr, code="rh-admin")
    payroll = make_queue(hr, code="rh-paie")
    hr_tech = make_user(role=Role.TECHNICIAN, queues=(hr_admin, payroll), name="Hélène RH")
    requester = make_user(name="Claire Martin")
    ticket = make_ticket(queue=hr_admin, requester=requester, subject="Numéro de téléphone")
    return it, hr, network, hr_admin, payroll, hr_tech, requester, ticket


def _version(html: str) -> str:
    return re.search(r'name="version"[^>]*value="(\d+)"', html).group(1)


def _transfer(client, ticket, queue_id, reason=REASON):
    page = client.get(f"/tickets/{ticket.reference}")
    return client.post(
        f"/tickets/{ticket.reference}/transfer",
        data={
            "csrf_token": client.last_csrf,
            "version": _version(page.text),
            "queue": str(queue_id),
            "reason": reason,
        },
    )


def _queue_of(ticket) -> int:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id).queue_id


def test_an_hr_ticket_cannot_be_transferred_into_an_it_queue(desks, login):
    _it, _hr, network, hr_admin, _payroll, hr_tech, _requester, ticket = desks
    client = login(hr_tech)
    page = client.get(f"/tickets/{ticket.reference}").text
    offered = re.search(r'<select[^>]*name="queue".*?</select>', page, re.DOTALL).group(0)
    assert f'value="{network.id}"' not in offered  # not even offered
    response = _transfer(client, ticket, network.id)  # forged: refused as not offered
    assert response.status_code == 400
    assert _queue_of(ticket) == hr_admin.id


def test_the_service_refuses_whoever_calls_it(desks):
    _it, _hr, network, hr_admin, _payroll, _hr_tech, _requester, ticket = desks
    admin = make_user(role=Role.ADMIN)
    with pytest.raises(ActionError, match="reste dans son domaine") as refused:
        transfer_ticket(ticket, network, reason=REASON, actor=admin)
    assert refused.value.field == "queue"
    db.session.rollback()
    assert _queue_of(ticket) == hr_admin.id


def test_bulk_transfer_into_another_domain_changes_nothing(desks, login):
    _it, _hr, network, hr_admin, _payroll, hr_tech, _requester, ticket = desks
    client = login(hr_tech)
    page = client.get("/queues/rh-admin").text
    bulk_targets = re.search(r'<select id="bulk-queue".*?</select>', page, re.DOTALL).group(0)
    assert f'value="{network.id}"' not in bulk_targets
    response = client.post(
        "/queues/rh-admin/bulk",
        data={
            "csrf_token": client.last_csrf,
            "action": "transfer",
            "queue": str(network.id),
            "reason": REASON,
            "ticket": [f"{ticket.id}:{ticket.version}"],
        },
    )
    assert "Un ticket reste dans son domaine" in response.text
    assert _queue_of(ticket) == hr_admin.id


def test_the_form_says_the_requester_sees_the_reason_and_they_do(desks, login):
    _it, _hr, _network, _hr_admin, payroll, hr_tech, requester, ticket = desks
    client = login(hr_tech)
    page = client.get(f"/tickets/{ticket.reference}").text
    assert "Le demandeur voit ce motif dans l’historique du ticket." in page
    response = _transfer(client, ticket, payroll.id)
    assert response.status_code == 302
    assert _queue_of(ticket) == payroll.id
    seen = login(requester).get(f"/mes-demandes/{ticket.reference}").text
    assert REASON in seen
