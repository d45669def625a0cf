"""The report's "how requests came in": the catalogue, a queue's mailbox, or staff filing for
the person, counted from what the tickets already record, within the reader's queues."""

from __future__ import annotations

import re

from desk.auth.models import Role
from desk.extensions import db
from desk.tickets.services import NewTicket, create_ticket
from tests.support.catalog_fixtures import staff, world
from tests.support.factories import make_request_type, make_user

__all__ = ["staff", "world"]

ZOOM = "/catalogue/licence-zoom"
VALID = {"zoom_email": "claire.martin@umontpellier.fr", "account_created": "y"}


def _rows(page: str) -> dict[str, tuple[str, str]]:
    rows = re.findall(
        r"<tr data-intake><th scope=\"row\">([^<]+)</th><td>(\d+)</td><td>([^<]+)</td></tr>", page
    )
    return {
        label: (count, share.replace("\u202f", " ").replace("\xa0", " "))
        for label, count, share in rows
    }


def test_the_report_counts_each_way_in(world, staff, login):
    visio = world.queues["visio"]
    tech = make_user(role=Role.TECHNICIAN, queues=(visio,))
    login(staff).submit(ZOOM, VALID)  # the requester, through the catalogue
    client = login(tech)
    for intake in ("phone", "phone", "in_person"):
        client.submit(f"{ZOOM}?pour={staff.id}", {**VALID, "intake": intake})
    # A request to the queue's mailbox, as the inbound poller files it.
    mailbox = make_request_type(form_key="email_request", queue=visio)
    create_ticket(
        NewTicket(request_type=mailbox, requester=staff, subject="Par e-mail", data={}),
        actor=staff,
    )
    db.session.commit()

    rows = _rows(login(tech).get("/sla/report").text)
    assert rows == {
        "Catalogue de services, par le demandeur": ("1", "20 %"),
        "E-mail à une adresse de service": ("1", "20 %"),
        "Appel téléphonique, saisi par le personnel": ("2", "40 %"),
        "En personne, saisi par le personnel": ("1", "20 %"),
    }
    # Within the reader's queues only: a technician of another queue sees none of them.
    other = make_user(role=Role.TECHNICIAN, queues=(world.queues["reseau"],))
    page = login(other).get("/sla/report").text
    assert _rows(page) == {} and "Aucun ticket n’a été créé sur cette période." in page
