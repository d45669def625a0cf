"""A small but complete catalogue, as in the demo file: domains, queues, places, the five
entries and the two network routing rules. Shared by the catalogue and portal tests."""

from __future__ import annotations

from types import SimpleNamespace

from desk.catalog.models import RequestType, RoutingRule, TicketKind
from desk.extensions import db
from desk.reference.models import Building, Category, Domain, Floor, Queue, Site


def _site(code: str, name: str) -> tuple[Site, Building, Floor]:
    site = Site(code=code, name=name)
    building = Building(site=site, code="b1", name=f"Bâtiment 1 {name}")
    floor = Floor(building=building, code="1", name="1er étage", position=1)
    db.session.add_all([site, building, floor])
    return site, building, floor


def build_world() -> SimpleNamespace:
    """Create the rows and commit; returns them by name."""
    it = Domain(code="it", name_fr="Informatique et Numérique", name_en="IT", position=0)
    hr = Domain(code="hr", name_fr="Ressources Humaines", name_en="Human resources", position=1)
    cats = {
        "network": Category(
            domain=it, code="network", name_fr="Réseau et Wi-Fi", name_en="Network", position=0
        ),
        "messaging": Category(
            domain=it, code="messaging", name_fr="Messagerie", name_en="E-mail", position=1
        ),
        "videoconf": Category(
            domain=it, code="videoconf", name_fr="Visioconférence", name_en="Video", position=2
        ),
        "directory": Category(
            domain=hr,
            code="directory",
            name_fr="Annuaire et téléphonie",
            name_en="Directory",
            position=0,
        ),
    }
    queues = {
        code: Queue(domain=domain, code=code, name_fr=f"File {code}", name_en=f"Queue {code}")
        for code, domain in [
            ("reseau", it),
            ("reseau-triolet", it),
            ("reseau-richter", it),
            ("messagerie", it),
            ("visio", it),
            ("rh-admin", hr),
        ]
    }
    db.session.add_all([it, hr, *cats.values(), *queues.values()])
    triolet = _site("triolet", "Campus Triolet")
    richter = _site("richter", "Campus Richter")
    stpriest = _site("st-priest", "Campus Saint-Priest")

    def entry(slug, form_key, category, queue, kind=TicketKind.REQUEST, **extra):
        rt = RequestType(
            slug=slug,
            title_fr=f"Titre {slug}",
            title_en=f"Title {slug}",
            description_fr=f"Description de {slug}",
            description_en=f"About {slug}",
            kind=kind,
            domain=category.domain,
            category=category,
            default_queue=queues[queue],
            form_key=form_key,
            **extra,
        )
        db.session.add(rt)
        return rt

    types = {
        "wifi": entry(
            "comptes-wifi", "wifi_guests", cats["network"], "reseau", is_staff_only=True, position=1
        ),
        "list": entry("liste-diffusion", "mailing_list", cats["messaging"], "messagerie"),
        "zoom": entry("licence-zoom", "zoom_licence", cats["videoconf"], "visio"),
        "phone": entry("numero-telephone", "hr_phone", cats["directory"], "rh-admin"),
        "network": entry(
            "connexion-reseau",
            "network_problem",
            cats["network"],
            "reseau",
            kind=TicketKind.INCIDENT,
            position=2,
        ),
    }
    db.session.flush()
    rules = [
        RoutingRule(
            name="Triolet",
            position=10,
            kind=TicketKind.INCIDENT,
            category_id=cats["network"].id,
            site_id=triolet[0].id,
            queue=queues["reseau-triolet"],
        ),
        RoutingRule(
            name="Richter",
            position=20,
            kind=TicketKind.INCIDENT,
            category_id=cats["network"].id,
            site_id=richter[0].id,
            queue=queues["reseau-richter"],
        ),
    ]
    db.session.add_all(rules)
    db.session.commit()
    return SimpleNamespace(
        it=it,
        hr=hr,
        cats=cats,
        queues=queues,
        types=types,
        rules=rules,
        triolet=triolet,
        richter=richter,
        stpriest=stpriest,
    )


def counts() -> tuple[int, int, int, int]:
    """Rows of tickets, events, attachments and attachment contents."""
    from sqlalchemy import func, select

    from desk.tickets.models import Attachment, AttachmentContent, Ticket, TicketEvent

    db.session.expire_all()
    return tuple(  # type: ignore[return-value]
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Ticket, TicketEvent, Attachment, AttachmentContent)
    )


def assert_nothing_saved(before: tuple[int, int, int, int] = (0, 0, 0, 0)) -> None:
    """No new ticket, event, attachment or attachment content row."""
    assert counts() == before


def field_errors(page: str, field_id: str) -> list[str]:
    """The error messages shown next to a field (the macro's <ul id="FIELD-error">)."""
    import html
    import re

    match = re.search(
        rf'<ul class="errors" id="{re.escape(field_id)}-error">(.*?)</ul>', page, re.DOTALL
    )
    if not match:
        return []
    return [
        html.unescape(m.strip()) for m in re.findall(r"<li>(.*?)</li>", match.group(1), re.DOTALL)
    ]


def only_ticket():
    """The single ticket in the database."""
    from sqlalchemy import select

    from desk.tickets.models import Ticket

    db.session.expire_all()
    tickets = db.session.scalars(select(Ticket)).all()
    assert len(tickets) == 1, tickets
    return tickets[0]
