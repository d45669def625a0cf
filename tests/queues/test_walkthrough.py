"""As a new user would: the demo requester asks through the catalogue, the demo technician
finds the ticket in "my queues", claims it, replies, notes, waits, resolves; the requester sees
every step on her pages — and never the internal note."""

from __future__ import annotations

import re
from pathlib import Path

from desk.tickets.access import timeline_events
from desk.tickets.models import Status, Ticket

DEMO = Path(__file__).resolve().parents[2] / "desk/reference/data/demo.yaml"
SECRET = "Mot de passe admin du routeur : hunter2"


def _client(app, email, password):
    from tests.conftest import Client

    app.test_client_class = Client
    client = app.test_client()
    assert client.login(email, password).status_code == 302
    return client


def _act(client, ref, action, **data):
    html = client.get(f"/tickets/{ref}").text
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    response = client.post(
        f"/tickets/{ref}/{action}",
        data={"csrf_token": client.last_csrf, "version": version, **data},
    )
    assert response.status_code == 302, response.text[:500]
    return client.get(response.headers["Location"])


def test_demo_technician_works_a_catalogue_ticket(app, app_ctx):
    result = app.test_cli_runner().invoke(args=["desk", "load-reference", str(DEMO)])
    assert result.exit_code == 0, result.output
    claire = _client(app, "claire.martin@umontpellier.fr", "demo-requester")
    form = claire.get("/catalogue/licence-zoom")
    assert form.status_code == 200
    token = re.search(r'name="idempotency_token"[^>]*value="([^"]*)"', form.text)
    response = claire.post(
        "/catalogue/licence-zoom",
        data={
            "csrf_token": claire.last_csrf,
            "zoom_email": "claire.martin@umontpellier.fr",
            "account_created": "y",
            "idempotency_token": token.group(1) if token else "",
        },
    )
    assert response.status_code == 302, response.text[:500]
    from desk.extensions import db

    ticket = db.session.query(Ticket).one()
    ref = ticket.reference

    sophie = _client(app, "tech.visio@umontpellier.fr", "demo-technician")
    overview = sophie.get("/queues").text
    assert "Mes files" in overview
    queue = ticket.queue.code
    assert f'href="/queues/{queue}"' in overview
    assert ref in sophie.get(f"/queues/{queue}").text

    _act(sophie, ref, "claim")
    _act(sophie, ref, "reply", body="Votre licence est en cours d’attribution.")
    _act(sophie, ref, "note", body=SECRET)
    _act(
        sophie,
        ref,
        "status",
        status="waiting_on_requester",
        note="Merci de vous connecter une fois à Zoom.",
    )
    page = _act(sophie, ref, "status", status="resolved", note="Licence attribuée.").text
    assert SECRET in page  # staff see the note

    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.status is Status.RESOLVED
    mine = claire.get(f"/mes-demandes/{ref}")
    assert mine.status_code == 200
    for step in (
        "Votre licence est en cours d’attribution.",
        "Attribué",
        "En attente du demandeur",
        "Merci de vous connecter une fois à Zoom.",
        "Résolu",
        "Licence attribuée.",
    ):
        assert step in mine.text, step
    # The internal note is nowhere a requester can reach.
    for url in (
        "/mes-demandes",
        f"/mes-demandes/{ref}",
        "/mes-demandes?show=all",
        "/mes-demandes?show=closed",
        "/home",
        "/notifications",
    ):
        response = claire.get(url)
        assert SECRET not in response.text, url
        assert "hunter2" not in response.text, url
    # The staff page is not hers: the staff link leads to her own page, without the note.
    staff_link = claire.get(f"/tickets/{ref}")
    assert staff_link.status_code == 302
    assert staff_link.headers["Location"] == f"/mes-demandes/{ref}"
    requester = ticket.requester
    assert all(SECRET not in e.body for e in timeline_events(requester, ticket))
    assert any(SECRET in e.body for e in timeline_events(ticket.assignee, ticket))
