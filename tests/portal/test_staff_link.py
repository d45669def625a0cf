"""A requester following a staff link (/tickets/REF) to a ticket of theirs lands on their page."""

from __future__ import annotations

from desk.extensions import db
from desk.watchers.services import add_watcher
from tests.support.factories import make_ticket, make_user


def test_the_requester_and_those_in_copy_are_sent_to_their_page(world, staff, login):
    ticket = make_ticket(requester=staff, request_type=world.types["zoom"], subject="Licence")
    colleague = make_user(email="colleague@umontpellier.fr")
    add_watcher(ticket, colleague.email, actor=staff)
    db.session.commit()
    for person in (staff, colleague):
        answer = login(person).get(f"/tickets/{ticket.reference}")
        assert answer.status_code == 302
        assert answer.headers["Location"] == f"/mes-demandes/{ticket.reference}"


def test_anyone_else_is_refused_and_learns_nothing(world, staff, login, client):
    ticket = make_ticket(requester=staff, request_type=world.types["zoom"], subject="Licence")
    stranger = login(make_user())
    # The same refusal for someone else's ticket and for a reference that does not exist.
    for reference in (ticket.reference, "DEM-2026-999999", "x<b>"):
        answer = stranger.get(f"/tickets/{reference}")
        assert answer.status_code == 403
        assert "Location" not in answer.headers
    assert "Accès refusé" in stranger.get(f"/tickets/{ticket.reference}").text
    anonymous = client.get(f"/tickets/{ticket.reference}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
