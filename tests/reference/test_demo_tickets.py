"""`flask desk demo-tickets`: the demo desk of `make run` starts with work in its queues."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select

from desk.auth.models import User
from desk.extensions import db
from desk.notifications.models import Channel, Notification, NotificationEvent
from desk.tickets.models import Ticket

DEMO = Path(__file__).resolve().parents[2] / "desk/reference/data/demo.yaml"


def _tickets() -> list[Ticket]:
    db.session.expire_all()
    return list(db.session.scalars(select(Ticket).order_by(Ticket.id)))


def test_the_demo_student_files_three_tickets_once(app, app_ctx, login):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["desk", "load-reference", str(DEMO)]).exit_code == 0
    result = runner.invoke(args=["desk", "demo-tickets"])
    assert result.exit_code == 0, result.output
    tickets = _tickets()
    assert {(t.request_type.slug, t.queue.code) for t in tickets} == {
        ("probleme-connexion-reseau", "reseau-triolet"),
        ("licence-zoom", "visio"),
        ("creation-liste-diffusion", "messagerie"),
    }
    assert all(t.requester.email == "leo.petit@etu.umontpellier.fr" for t in tickets)
    assert all(t.reference in result.output for t in tickets)
    network = next(t for t in tickets if t.queue.code == "reseau-triolet")
    assert network.data["pc_name"] == "UM-PC-1187" and network.floor_id is not None
    # Their texts are French, and say so on an English page (RGAA 8.7): the demo student
    # has no language of their own, and the tickets used to have none either.
    assert {t.language for t in tickets} == {"fr"}
    zoom = next(t for t in tickets if t.queue.code == "visio")
    assert zoom.resolution_due_at is not None  # the Zoom SLA applies, as on the web
    # Each acknowledged, like a submission from the catalogue.
    acks = db.session.scalar(
        select(func.count()).where(
            Notification.event == NotificationEvent.SUBMITTED,
            Notification.channel == Channel.EMAIL,
        )
    )
    assert acks == 3

    # Run again (the next `make run`): nothing more.
    again = runner.invoke(args=["desk", "demo-tickets"])
    assert again.exit_code == 0 and len(_tickets()) == 3

    # The demo technician finds them in their queue; the demo requester's list stays empty.
    sophie = db.session.scalar(select(User).filter_by(email="tech.visio@umontpellier.fr"))
    page = login(sophie, "demo-technician").get("/queues/visio").get_data(as_text=True)
    assert zoom.reference in page
    reseau = db.session.scalar(select(User).filter_by(email="tech.reseau@umontpellier.fr"))
    mark = login(reseau, "demo-technician").get(
        f"/tickets/{network.reference}", headers={"Accept-Language": "en"}
    )
    assert re.search(r'lang="fr"[^>]*>\s*Plus de réseau sur ce poste', mark.get_data(as_text=True))
    claire = db.session.scalar(select(User).filter_by(email="claire.martin@umontpellier.fr"))
    mine = login(claire, "demo-requester").get("/mes-demandes").get_data(as_text=True)
    assert not any(t.reference in mine for t in tickets)


def test_without_the_demo_reference_data_it_says_so(app, app_ctx):
    result = app.test_cli_runner().invoke(args=["desk", "demo-tickets"])
    assert result.exit_code != 0 and "load the demo reference data first" in result.output
    assert _tickets() == []
