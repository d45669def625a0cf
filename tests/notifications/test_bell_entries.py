"""The bell's list as its reader sees it now (desk.notifications.bell): a link only to a
page the reader may still open, else the entry says they no longer have access; people,
queues and request types named as they are called today; a constant number of statements
per page, whatever its length."""

from __future__ import annotations

import re

from sqlalchemy import select

from desk.auth.models import Role
from desk.reference.models import QueueMembership
from desk.tickets.actions import assign_ticket, claim_ticket, release_tickets, transfer_ticket
from tests.notifications.helpers import submit
from tests.support.factories import make_queue, make_request_type, make_user
from tests.support.sql import statements_sent

NO_ACCESS = "You no longer have access to this ticket."
LINK = re.compile(r'name="next" value="(/(?:tickets|mes-demandes)/[^"]+)"')


def _entries(page: str) -> list[str]:
    """Each entry of the list page, as HTML."""
    return re.findall(r'<li class="notification.*?</li>', page, flags=re.S)


def _entry(page: str, reference: str) -> list[str]:
    return [e for e in _entries(page) if reference in e]


def _team():
    first = make_queue()
    other = make_queue(domain=first.domain)
    karim = make_user(role=Role.TECHNICIAN, queues=(first,), locale="en", name="Karim Benali")
    sophie = make_user(role=Role.TECHNICIAN, queues=(first, other), name="Sophie Durand")
    return first, other, karim, sophie, make_user(name="Claire Martin")


def test_an_entry_links_only_to_a_page_its_reader_may_still_open(db, login):
    first, other, karim, sophie, requester = _team()
    kept = submit(requester, queue=first, subject="Imprimante")
    moved = submit(requester, queue=first, subject="Écran noir")
    own = submit(karim, queue=first, subject="Mon clavier")  # Karim's own PC, in his queue
    for ticket in (kept, moved, own):
        assign_ticket(ticket, karim, actor=sophie)  # "Assigned to you", in Karim's bell
    db.session.commit()
    as_karim = login(karim)
    page = as_karim.get("/notifications").text
    assert NO_ACCESS not in page
    # (Each new ticket of his queue, and each assignment.)
    assert set(LINK.findall(page)) == {f"/tickets/{t.reference}" for t in (kept, moved, own)}

    # Sophie moves one to a queue that is not Karim's: its page would answer 404 to him.
    transfer_ticket(moved, other, reason="Pour l'autre équipe", actor=sophie)
    db.session.commit()
    page = as_karim.get("/notifications").text
    gone = _entry(page, moved.reference)
    assert len(gone) == 3  # new, assigned, transferred away: each still tells what happened
    for entry in gone:
        assert NO_ACCESS in entry and "Open the ticket" not in entry and "/tickets/" not in entry
    assert "transferred it to the queue “Queue”" in page  # where it went, still said
    assert as_karim.get(f"/tickets/{moved.reference}").status_code == 404
    for entry in _entry(page, kept.reference):
        assert NO_ACCESS not in entry and f'value="/tickets/{kept.reference}"' in entry
    assert as_karim.get(f"/tickets/{kept.reference}").status_code == 200

    # Karim is taken out of his queue: the staff's pages are no longer his; the ticket he
    # filed himself he still follows from his requests, and its entry opens that page.
    karim.memberships.remove(
        db.session.scalar(select(QueueMembership).where(QueueMembership.user_id == karim.id))
    )
    release_tickets(karim, actor=None)
    db.session.commit()
    page = as_karim.get("/notifications").text
    for entry in _entry(page, kept.reference):
        assert NO_ACCESS in entry and "/tickets/" not in entry
    for entry in _entry(page, own.reference):
        assert NO_ACCESS not in entry and f'value="/mes-demandes/{own.reference}"' in entry
    assert as_karim.get(f"/mes-demandes/{own.reference}").status_code == 200
    # Marking an entry read still works where there is nothing to open.
    assert "Mark as read" in _entry(page, moved.reference)[0]


def test_the_bell_names_people_and_queues_as_they_are_called_now(db, login):
    first, other, karim, sophie, requester = _team()
    kind = make_request_type(queue=first)
    ticket = submit(requester, queue=first, request_type=kind, subject=f"{kind.title_fr} — Wi-Fi")
    moved = submit(requester, queue=first, subject="Écran noir")
    for each in (ticket, moved):
        claim_ticket(each, actor=karim)
    db.session.commit()
    claim_ticket(ticket, actor=sophie)  # "Sophie Durand took this ticket", in Karim's bell
    transfer_ticket(moved, other, reason="Autre équipe", actor=sophie)
    db.session.commit()

    # Later: Sophie's name changes (the directory), the queue and the request type are renamed.
    sophie.display_name = "Sophie Roux"
    other.name_en = "Networks"
    kind.title_en = "Wireless access"
    db.session.commit()
    page = login(karim).get("/notifications").text
    assert "Sophie Roux took this ticket: it is no longer assigned to you." in page
    assert "Sophie Roux transferred it to the queue “Networks”." in page
    assert "Sophie Durand" not in page and "“Queue”" not in page
    assert "Wireless access — Wi-Fi" in page


def test_the_list_costs_the_same_statements_whatever_the_number_of_entries(db, app, login):
    first, other, karim, sophie, requester = _team()
    colleagues = [
        make_user(role=Role.TECHNICIAN, queues=(first,), name=f"Tech {n}") for n in range(6)
    ]

    def counted() -> tuple[int, str]:
        client = login(karim)
        client.get("/home")  # signed in and settled: count the list alone
        with statements_sent(db.engine) as seen:
            page = client.get("/notifications").text
        return len(seen), page

    def one_more_round() -> None:
        # One ticket Karim held taken by each colleague (taken over, a name each), and one
        # transferred away from him (a queue named): entries naming several people and queues.
        for colleague in colleagues:
            ticket = submit(requester, queue=first, subject="Imprimante")
            claim_ticket(ticket, actor=karim)
            db.session.commit()
            claim_ticket(ticket, actor=colleague)
            db.session.commit()
        ticket = submit(requester, queue=first, subject="Écran noir")
        claim_ticket(ticket, actor=karim)
        db.session.commit()
        transfer_ticket(ticket, other, reason="Autre équipe", actor=sophie)
        db.session.commit()

    one_more_round()
    few, page = counted()
    shown = len(_entries(page))
    assert shown >= 7
    one_more_round()
    many, page = counted()
    assert len(_entries(page)) == 2 * shown
    assert many == few, (few, many)
    for colleague in colleagues:
        assert f"{colleague.display_name} took this ticket" in page
