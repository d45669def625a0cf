"""A few tickets for `make run`'s demo desk, filed through the catalogue's own forms.

A newcomer signing in as a demo technician should find work in their queues. The tickets
are filed by the demo student, so the demo requester's "Mes demandes" stays theirs to fill.
Each one goes through its form's validation and `create_ticket`, as a web submission
would: routed, numbered, with its SLA due dates and its acknowledgement in the outbox.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from desk.auth.models import User
from desk.catalog.forms import form_class
from desk.catalog.forms.fields import display_tz
from desk.catalog.services import get_active_request_type, may_use
from desk.core.db import utcnow
from desk.extensions import db
from desk.reference.models import Building, Floor, Site
from desk.tickets.models import Ticket
from desk.tickets.services import create_ticket

REQUESTER = "leo.petit@etu.umontpellier.fr"


class DemoError(Exception):
    """The demo data does not match the reference data loaded."""


@dataclass(frozen=True)
class DemoTicket:
    slug: str
    form: dict[str, str]
    place: tuple[str, str, str] | None = None  # site, building and floor codes


def _demo_tickets(now: dt.datetime) -> list[DemoTicket]:
    since = now.astimezone(display_tz()) - dt.timedelta(hours=2)
    return [
        DemoTicket(
            "probleme-connexion-reseau",
            {
                "checked_cable": "y",
                "wall_socket": "B16-1-023",
                "since": since.strftime("%Y-%m-%dT%H:%M"),
                "pc_name": "UM-PC-1187",
                "plugged_via": "docking",
                "connection": "wired",
                "description": "Plus de réseau sur ce poste depuis ce matin, "
                "l’icône indique « câble débranché ».",
            },
            ("triolet", "b16", "1"),
        ),
        DemoTicket(
            "licence-zoom",
            {"zoom_email": REQUESTER, "account_created": "y"},
        ),
        DemoTicket(
            "creation-liste-diffusion",
            {
                "list_name": "bde-sciences",
                "purpose": "Informations aux membres du bureau des étudiants.",
                "recipients": "leo.petit@etu.umontpellier.fr",
                "owners": REQUESTER,
            },
        ),
    ]


def _place(codes: tuple[str, str, str]) -> dict[str, str]:
    site = db.session.scalar(select(Site).filter_by(code=codes[0]))
    building = site and db.session.scalar(
        select(Building).filter_by(site_id=site.id, code=codes[1])
    )
    floor = building and db.session.scalar(
        select(Floor).filter_by(building_id=building.id, code=codes[2])
    )
    if floor is None:
        raise DemoError(f"no place {'/'.join(codes)}: load the demo reference data first")
    return {"site": str(site.id), "building": str(building.id), "floor": str(floor.id)}


def file_demo_tickets() -> list[str]:
    """File the demo tickets on a desk that has none; return their references."""
    if db.session.scalar(select(Ticket.id).limit(1)) is not None:
        return []
    requester = db.session.scalar(select(User).filter_by(email=REQUESTER))
    if requester is None:
        raise DemoError(f"no user {REQUESTER}: load the demo reference data first")
    references = []
    for demo in _demo_tickets(utcnow()):
        request_type = get_active_request_type(demo.slug)
        cls = form_class(request_type.form_key) if request_type else None
        if cls is None or not may_use(requester, request_type):
            raise DemoError(f"no catalogue entry {demo.slug} for {REQUESTER}")
        data: dict[str, Any] = dict(demo.form)
        if demo.place:
            data.update(_place(demo.place))
        with current_app.test_request_context(method="POST", data=MultiDict(data)):
            form = cls(request_type=request_type, user=requester, meta={"csrf": False})
            form.prepare(fresh=False)
            if not form.validate():
                raise DemoError(f"{demo.slug}: {form.errors}")
            # Written in French (the texts above): a web submission records its page's
            # language, and so must these, or an English page draws them unmarked (RGAA 8.7).
            ticket, _created = create_ticket(form.new_ticket(language="fr"), actor=requester)
        references.append(ticket.reference)
    return references
