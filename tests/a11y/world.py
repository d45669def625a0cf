"""The data the accessibility crawl walks through: the demo reference file, plus tickets
made through the real forms (with a long "name <e-mail>" and a guest file) and worked on by
a technician, so that every kind of page has something to show."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from desk.auth.models import User
from desk.extensions import db
from desk.reference.loader import load_reference
from desk.reference.models import Building, Site
from desk.tickets.actions import add_note, add_reply, claim_ticket
from desk.tickets.models import Ticket
from tests.support.factories import make_user

DEMO = Path(__file__).resolve().parents[2] / "desk/reference/data/demo.yaml"

# Who crawls, with the demo passwords; "anonymous" crawls from the login page.
ROLES = {
    "anonymous": None,
    "requester": ("claire.martin@umontpellier.fr", "demo-requester"),
    "student": ("leo.petit@etu.umontpellier.fr", "demo-student"),
    "technician": ("tech.reseau@umontpellier.fr", "demo-technician"),
    # The HR queue's technician: the HR requests and their queue, not IT's.
    "hr": ("rh.gestion@umontpellier.fr", "demo-hr"),
    "admin": ("admin@umontpellier.fr", "demo-admin"),
}


def sign_in(page, base: str, role: str) -> None:
    """Sign `role` in through the real login form in a Playwright page."""
    email, password = ROLES[role]
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("form button[type=submit]")


# What the world writes in French only (typed by a French-speaking requester, a disruption
# with no English title): on an English page, each is marked lang="fr" wherever it is drawn.
FRENCH_ONLY = ("Journée doctorale", "Aucune connexion depuis ce matin", "Connexions filaires")

LONG_NAME = "Marie-Christine de La Tour-Dupin-Gouvernet-Montmorency"
LONG_EMAIL = "marie-christine.delatourdupingouvernetmontmorency@umontpellier.fr"


def build_world(app: Flask) -> None:
    """Load the demo file and make a few tickets through the web forms; commits."""
    from tests.conftest import Client

    with app.app_context():
        load_reference(DEMO)
        make_user(LONG_EMAIL, name=LONG_NAME)
        richter = db.session.scalar(select(Site).filter_by(code="richter"))
        building = db.session.scalar(select(Building).filter_by(site_id=richter.id, code="a"))
        site_id, building_id = richter.id, building.id

    app.test_client_class = Client
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    since = (dt.datetime.now() - dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    network = {
        "checked_cable": "y",
        "checked_wifi": "y",
        "wall_socket": "A-1-12",
        "since": since,
        "pc_name": "UM-PC-0042",
        "plugged_via": "direct",
        "connection": "wired",
        "site": str(site_id),
        "building": str(building_id),
        "description": "Aucune connexion depuis ce matin.\n" + "x" * 300,
    }
    wifi = {
        "event_name": "Journée doctorale",
        "site": str(site_id),
        "building": str(building_id),
        "first_day": tomorrow.isoformat(),
        "last_day": tomorrow.isoformat(),
        "guest_file": (
            io.BytesIO("nom;prénom;e-mail\nDurand;Alice;alice@example.org\n".encode()),
            "invites.csv",
        ),
    }
    zoom = {"zoom_email": "leo.petit@etu.umontpellier.fr", "account_created": "y"}
    # Routed to HR: the HR technician's queue and ticket pages have something to show.
    hr_phone = {
        "new_phone": "04 67 14 12 34",
        "effective_date": tomorrow.isoformat(),
        "comment": "Nouveau bureau au bâtiment A.",
    }
    for (email, password), slug, data in [
        (("claire.martin@umontpellier.fr", "demo-requester"), "probleme-connexion-reseau", network),
        (("claire.martin@umontpellier.fr", "demo-requester"), "comptes-wifi-evenement", wifi),
        ((LONG_EMAIL, "password"), "probleme-connexion-reseau", dict(network)),
        (("leo.petit@etu.umontpellier.fr", "demo-student"), "licence-zoom", zoom),
        (
            ("claire.martin@umontpellier.fr", "demo-requester"),
            "changement-numero-telephone",
            hr_phone,
        ),
    ]:
        client = app.test_client()
        assert client.login(email, password).status_code == 302
        answer = client.submit(f"/catalogue/{slug}", data, content_type="multipart/form-data")
        assert answer.status_code == 302, (slug, answer.text[-1500:])

    # A search in the catalogue's box that finds nothing: the knowledge-base report's list of
    # searches with no result (forms' texts are no longer counted as searches, d629d71).
    client = app.test_client()
    assert client.login("leo.petit@etu.umontpellier.fr", "demo-student").status_code == 302
    assert client.get("/catalogue?q=traceur+A0+du+labo").status_code == 200

    with app.app_context():
        tech = db.session.scalar(select(User).filter_by(email="tech.reseau@umontpellier.fr"))
        for ticket in db.session.scalars(
            select(Ticket).filter(Ticket.queue.has(code="reseau-richter"))
        ):
            claim_ticket(ticket, actor=tech)
            add_reply(ticket, "Pouvez-vous redémarrer le poste ?", actor=tech)
            add_note(ticket, "Prise murale à vérifier sur place.", actor=tech)
        db.session.commit()
        _in_copy()
        _disruptions(tech)
        _incoming_mail()
        _unattended()
        _away(tech)
        _erased()


def _erased() -> None:
    """A request of Claire's erased past its retention (among her finished requests), and an
    account that ended (the admin's erasure page, with its confirmation)."""
    from desk.core.db import utcnow
    from desk.privacy.services import erase_ticket
    from tests.support.factories import make_ticket

    claire = db.session.scalar(select(User).filter_by(email="claire.martin@umontpellier.fr"))
    kind = db.session.scalar(select(Ticket).filter_by(requester_id=claire.id)).request_type
    long_ago = utcnow() - dt.timedelta(days=4 * 365)  # its reference is of that year
    old = make_ticket(
        requester=claire,
        request_type=kind,
        status="closed",
        subject="Ancienne",
        created_at=long_ago,
    )
    erase_ticket(old.id)
    gone = make_user("jean.parti@umontpellier.fr", name="Jean Parti", is_active=False)
    gone.deactivated_at = utcnow()
    db.session.commit()


def _away(tech: User) -> None:
    """The network technician is away from today (his absence page, with the offer to give
    his tickets back; "away until" on his tickets and in the lists to assign them)."""
    from desk.absences.services import plan_absence

    today = dt.date.today()
    plan_absence(tech, today, today + dt.timedelta(days=3), actor=tech)


def _unattended() -> None:
    """A queue with an open ticket and no member (Léo's Zoom request, moved there): the
    admin page's warning."""
    from desk.reference.models import Queue
    from tests.support.factories import make_queue

    leo = db.session.scalar(select(User).filter_by(email="leo.petit@etu.umontpellier.fr"))
    ticket = db.session.scalar(select(Ticket).filter_by(requester_id=leo.id))
    visio = db.session.get(Queue, ticket.queue_id)
    orphan = make_queue(visio.domain, code="visio-nuit")
    orphan.name_fr, orphan.name_en = "Visioconférence – astreinte", "Video – on call"
    ticket.queue = orphan
    db.session.commit()


def _in_copy() -> None:
    """People in copy of Claire's requests (one with a long name), the student among them:
    the copy list of her ticket pages, its management page, and a page read in copy."""
    from desk.watchers.services import add_watcher

    claire = db.session.scalar(select(User).filter_by(email="claire.martin@umontpellier.fr"))
    for ticket in db.session.scalars(select(Ticket).filter_by(requester_id=claire.id)):
        add_watcher(ticket, "leo.petit@etu.umontpellier.fr", actor=claire)
        add_watcher(db.session.get(Ticket, ticket.id), LONG_EMAIL, actor=claire)


def _disruptions(tech: User) -> None:
    """A current disruption of the network (French only: marked lang="fr" on English pages),
    later than its expected end and followed by the requester, one fixed today, planned work
    of every service in two days and planned work called off: the banners and the status
    page in each of their shapes."""
    import datetime as dt

    from desk.core.db import utcnow
    from desk.reference.models import Category
    from desk.status.services import (
        DisruptionText,
        end_disruption,
        follow_disruption,
        publish_disruption,
    )

    network = db.session.scalar(select(Category).filter_by(code="network"))
    current = publish_disruption(
        DisruptionText(
            title_fr="Connexions filaires coupées au bâtiment A de Richter, " + "très " * 12,
            details_fr="Depuis 8 h.\nUtilisez le Wi-Fi eduroam en attendant.",
            category=network,
            starts_at=utcnow() - dt.timedelta(hours=3),
            expected_end_at=utcnow() - dt.timedelta(minutes=30),
        ),
        actor=tech,
    )
    claire = db.session.scalar(select(User).filter_by(email="claire.martin@umontpellier.fr"))
    follow_disruption(current, claire)
    fixed = publish_disruption(
        DisruptionText(title_fr="Messagerie lente", details_fr="", title_en="Slow e-mail"),
        actor=tech,
    )
    end_disruption(fixed, actor=tech)
    start = utcnow() + dt.timedelta(days=2)
    publish_disruption(
        DisruptionText(
            title_fr="Maintenance de l’ENT et de la messagerie",
            details_fr="Services indisponibles pendant l’intervention.",
            title_en="Maintenance of the intranet and e-mail",
            starts_at=start,
            expected_end_at=start + dt.timedelta(hours=4),
        ),
        actor=tech,
    )
    called_off = publish_disruption(
        DisruptionText(title_fr="Migration des imprimantes", details_fr="", starts_at=start),
        actor=tech,
    )
    end_disruption(called_off, actor=tech)


def _incoming_mail() -> None:
    """A request by e-mail to a queue's address, a held stranger and a failed message, so the
    admins' incoming-mail page and the e-mail request's ticket page have content."""
    from desk.inbound.parsing import parse
    from desk.inbound.services import process, record_failure
    from tests.inbound import samples

    for sender in ("claire.martin@umontpellier.fr", "inconnu@gmail.example"):
        raw = samples.outlook_fr(
            sender=sender, to="support@localhost", subject=f"Écran noir – {LONG_NAME}"
        )
        process(parse(raw))
    record_failure(b"\x00 illisible", "malformed", {"what": "headers"})
