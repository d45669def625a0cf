"""The one access rule: requester OR queue member OR admin sees; staff work needs membership.

Checked per role for the list query, for single-ticket lookups and attachments, and through
the pages a technician-who-is-a-requester uses: confirmation, "Mes demandes", the staff page.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from desk.auth.models import Role
from desk.extensions import db
from desk.tickets.access import (
    can_see,
    can_work,
    get_visible_attachment_or_404,
    get_visible_ticket_or_404,
    get_worked_ticket_or_404,
    timeline_events,
    visible_tickets,
    worked_tickets,
)
from desk.tickets.models import Attachment, EventKind, Status, TicketEvent
from tests.support.factories import make_queue, make_ticket, make_user


@pytest.fixture
def world(app_ctx):
    network = make_queue(code="reseau")
    hr = make_queue(network.domain, code="rh")
    tech = make_user("tech@umontpellier.fr", role=Role.TECHNICIAN, queues=(network,))
    hr_tech = make_user("rh@umontpellier.fr", role=Role.TECHNICIAN, queues=(hr,))
    admin = make_user("admin@umontpellier.fr", role=Role.ADMIN)
    requester = make_user("claire@umontpellier.fr")
    stranger = make_user("leo@etu.umontpellier.fr")
    # The technician's own request, routed to a queue they are not in.
    own = make_ticket(queue=hr, requester=tech, subject="Changement de numéro")
    network_ticket = make_ticket(queue=network, requester=requester)
    hr_ticket = make_ticket(queue=hr, requester=requester)
    note = TicketEvent(
        ticket=own, actor=hr_tech, kind=EventKind.NOTE, body="note RH", is_internal=True
    )
    db.session.add(note)
    db.session.flush()
    internal_file = Attachment(
        ticket_id=own.id,
        event_id=note.id,
        uploader_id=hr_tech.id,
        filename="interne.pdf",
        content_type="application/pdf",
        size=3,
        sha256="0" * 64,
        is_internal=True,
    )
    public_file = Attachment(
        ticket_id=own.id,
        uploader_id=tech.id,
        filename="capture.png",
        content_type="image/png",
        size=3,
        sha256="1" * 64,
    )
    db.session.add_all([internal_file, public_file])
    db.session.commit()
    return SimpleNamespace(**locals())


def _refs(query) -> set[str]:
    return {t.reference for t in db.session.scalars(query)}


def test_list_queries_per_role(world):
    w = world
    everything = {w.own.reference, w.network_ticket.reference, w.hr_ticket.reference}
    assert _refs(visible_tickets(w.requester)) == {
        w.network_ticket.reference,
        w.hr_ticket.reference,
    }
    assert _refs(visible_tickets(w.stranger)) == set()
    # The technician sees their queue AND their own request in the HR queue...
    assert _refs(visible_tickets(w.tech)) == {w.network_ticket.reference, w.own.reference}
    # ...but works only their queue.
    assert _refs(worked_tickets(w.tech)) == {w.network_ticket.reference}
    assert _refs(visible_tickets(w.hr_tech)) == {w.own.reference, w.hr_ticket.reference}
    assert _refs(worked_tickets(w.hr_tech)) == {w.own.reference, w.hr_ticket.reference}
    assert _refs(visible_tickets(w.admin)) == everything
    assert _refs(worked_tickets(w.admin)) == everything
    assert _refs(worked_tickets(w.requester)) == set()


def test_object_access_agrees_with_the_list_queries(world):
    w = world
    users = [w.tech, w.hr_tech, w.admin, w.requester, w.stranger]
    for user in users:
        seen, worked = _refs(visible_tickets(user)), _refs(worked_tickets(user))
        for ticket in (w.own, w.network_ticket, w.hr_ticket):
            assert can_see(user, ticket) is (ticket.reference in seen), (user, ticket)
            assert can_work(user, ticket) is (ticket.reference in worked), (user, ticket)
            if ticket.reference in seen:
                assert get_visible_ticket_or_404(user, ticket.reference) is ticket
            else:
                with pytest.raises(NotFound):
                    get_visible_ticket_or_404(user, ticket.reference)
            if ticket.reference not in worked:
                with pytest.raises(NotFound):
                    get_worked_ticket_or_404(user, ticket.reference)


def test_an_inactive_account_sees_nothing(world):
    world.admin.is_active_account = False
    assert _refs(visible_tickets(world.admin)) == set()
    assert not can_see(world.admin, world.own)


def test_internal_entries_only_for_the_staff_working_the_ticket(world):
    w = world
    assert [e.kind for e in timeline_events(w.tech, w.own)] == [EventKind.CREATED]
    assert EventKind.NOTE in [e.kind for e in timeline_events(w.hr_tech, w.own)]
    assert EventKind.NOTE in [e.kind for e in timeline_events(w.admin, w.own)]
    assert get_visible_attachment_or_404(w.tech, w.public_file.id) is w.public_file
    with pytest.raises(NotFound):
        get_visible_attachment_or_404(w.tech, w.internal_file.id)
    assert get_visible_attachment_or_404(w.hr_tech, w.internal_file.id) is w.internal_file
    with pytest.raises(NotFound):
        get_visible_attachment_or_404(w.stranger, w.public_file.id)


def test_a_technician_follows_their_own_request_through_the_pages(world, login):
    w = world
    tech = login(w.tech)
    ref = w.own.reference
    assert tech.get(f"/catalogue/confirmation/{ref}").status_code == 200
    listing = tech.get("/mes-demandes")
    assert ref in listing.text
    page = tech.get(f"/mes-demandes/{ref}")
    assert page.status_code == 200 and "note RH" not in page.text
    # The staff page of another team's ticket stays closed to them.
    assert tech.get(f"/tickets/{ref}").status_code == 404
    assert tech.get(f"/attachments/{w.internal_file.id}").status_code == 404


def test_a_technician_answers_their_own_request_waiting_on_them(world, login):
    w = world
    w.own.status = Status.WAITING_ON_REQUESTER
    db.session.commit()
    tech = login(w.tech)
    response = tech.submit(
        f"/mes-demandes/{w.own.reference}/commentaire",
        {"body": "Voici le numéro demandé."},
        page=f"/mes-demandes/{w.own.reference}",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert w.own.status is Status.IN_PROGRESS
    bodies = db.session.scalars(
        select(TicketEvent.body).where(
            TicketEvent.ticket_id == w.own.id, TicketEvent.kind == EventKind.COMMENT
        )
    ).all()
    assert bodies == ["Voici le numéro demandé."]
