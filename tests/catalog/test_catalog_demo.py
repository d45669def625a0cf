"""As a new user would: the demo requester submits the five forms through the web pages."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from sqlalchemy import select

from desk.auth.models import User
from desk.extensions import db
from desk.reference.models import Building, Floor, Site
from desk.tickets.models import Ticket

DEMO = Path(__file__).resolve().parents[2] / "desk/reference/data/demo.yaml"


def test_demo_requester_submits_the_five_forms(app, app_ctx):
    result = app.test_cli_runner().invoke(args=["desk", "load-reference", str(DEMO)])
    assert result.exit_code == 0, result.output
    claire = db.session.scalar(select(User).filter_by(email="claire.martin@umontpellier.fr"))
    richter = db.session.scalar(select(Site).filter_by(code="richter"))
    building = db.session.scalar(select(Building).filter_by(site_id=richter.id, code="a"))
    floor = db.session.scalar(select(Floor).filter_by(building_id=building.id, code="1"))
    claire.site_id, claire.building_id, claire.floor_id = richter.id, building.id, floor.id
    db.session.commit()

    from tests.conftest import Client

    app.test_client_class = Client
    client = app.test_client()
    assert client.login("claire.martin@umontpellier.fr", "demo-requester").status_code == 302
    catalogue = client.get("/catalogue").text
    slugs = [
        "comptes-wifi-evenement",
        "creation-liste-diffusion",
        "licence-zoom",
        "changement-numero-telephone",
        "probleme-connexion-reseau",
    ]
    for slug in slugs:
        assert f'href="/catalogue/{slug}"' in catalogue

    tomorrow = dt.date.today() + dt.timedelta(days=1)
    csv = "nom;prénom;e-mail\nDurand;Alice;alice@example.org\n".encode()
    forms = {
        "comptes-wifi-evenement": {
            "event_name": "Journée doctorale",
            "site": str(richter.id),
            "building": str(building.id),
            "first_day": tomorrow.isoformat(),
            "last_day": tomorrow.isoformat(),
            "guest_file": (io.BytesIO(csv), "invites.csv"),
        },
        "creation-liste-diffusion": {
            "list_name": "doctorants-richter",
            "purpose": "Informations aux doctorants",
            "recipients": "group:doctorants\nalice@umontpellier.fr",
            "owners": "claire.martin@umontpellier.fr",
        },
        "licence-zoom": {"zoom_email": "claire.martin@umontpellier.fr", "account_created": "y"},
        "changement-numero-telephone": {
            "new_phone": "+33 4 67 14 12 34",
            "effective_date": dt.date.today().isoformat(),
        },
        "probleme-connexion-reseau": {
            "checked_cable": "y",
            "checked_wifi": "y",
            "wall_socket": "A-1-12",
            "since": (dt.datetime.now() - dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "pc_name": "UM-PC-0042",
            "plugged_via": "direct",
            "connection": "wired",
            # The location comes prefilled from Claire's preferences: posted as shown.
            "site": str(richter.id),
            "building": str(building.id),
            "floor": str(floor.id),
            "description": "Aucune connexion depuis ce matin.",
        },
    }
    for slug, data in forms.items():
        page = client.get(f"/catalogue/{slug}").text
        if slug == "probleme-connexion-reseau":
            assert f'<option selected value="{floor.id}">' in page
        response = client.submit(f"/catalogue/{slug}", data, content_type="multipart/form-data")
        assert response.status_code == 302, (slug, response.text[-2000:])

    expected = {
        "comptes-wifi-evenement": ("it", "reseau", "DEM"),
        "creation-liste-diffusion": ("it", "messagerie", "DEM"),
        "licence-zoom": ("it", "visio", "DEM"),
        "changement-numero-telephone": ("hr", "rh-admin", "DEM"),
        "probleme-connexion-reseau": ("it", "reseau-richter", "INC"),
    }
    db.session.expire_all()
    tickets = db.session.scalars(select(Ticket)).all()
    assert {
        t.request_type.slug: (t.domain.code, t.queue.code, t.reference[:3]) for t in tickets
    } == expected
    my_requests = client.get("/mes-demandes").text
    for ticket in tickets:
        assert ticket.reference in my_requests
        assert ticket.request_type.title_fr.split("«")[0].strip() in my_requests


def test_demo_hr_entries_are_for_staff_only(app, app_ctx):
    """HR manages staff: a student's phone number is not in the HR application, so the demo
    catalogue offers neither HR entry to the demo student, and refuses their form."""
    result = app.test_cli_runner().invoke(args=["desk", "load-reference", str(DEMO)])
    assert result.exit_code == 0, result.output
    from tests.conftest import Client

    app.test_client_class = Client
    hr = ("changement-numero-telephone", "autre-demande-rh")
    student = app.test_client()
    assert student.login("leo.petit@etu.umontpellier.fr", "demo-student").status_code == 302
    catalogue = student.get("/catalogue").text
    assert 'href="/catalogue/licence-zoom"' in catalogue
    for slug in hr:
        assert f'href="/catalogue/{slug}"' not in catalogue
        assert student.get(f"/catalogue/{slug}").status_code == 403
    staff = app.test_client()
    assert staff.login("claire.martin@umontpellier.fr", "demo-requester").status_code == 302
    catalogue = staff.get("/catalogue").text
    for slug in hr:
        assert f'href="/catalogue/{slug}"' in catalogue
        assert staff.get(f"/catalogue/{slug}").status_code == 200


def test_the_demo_entries_are_found_by_the_words_people_use_for_them(app, app_ctx):
    """The catalogue search reads titles and descriptions only: the network entry was not
    found by « prise », « câble », "Ethernet" or "socket", what one looks at when the network
    is down, nor the mailing list by « compte générique », the shared account people ask for."""
    result = app.test_cli_runner().invoke(args=["desk", "load-reference", str(DEMO)])
    assert result.exit_code == 0, result.output
    from tests.conftest import Client

    app.test_client_class = Client
    client = app.test_client()
    assert client.login("claire.martin@umontpellier.fr", "demo-requester").status_code == 302
    expected = {
        "probleme-connexion-reseau": ["prise réseau", "câble", "ethernet", "internet", "socket"],
        "creation-liste-diffusion": ["compte générique", "generic account"],
    }
    for slug, queries in expected.items():
        for query in queries:
            page = client.get("/catalogue", query_string={"q": query}).text
            assert f'href="/catalogue/{slug}"' in page, query
