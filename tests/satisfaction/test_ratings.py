"""Satisfaction: the requester rates a resolved ticket once, from its page or the e-mail's
signed link; bad input is refused with a message and nothing saved; the report shows it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from desk.auth.models import Role
from desk.extensions import db
from desk.satisfaction.models import Rating
from desk.satisfaction.services import link_token
from desk.tickets.models import Status
from tests.support.factories import make_queue, make_request_type, make_ticket, make_user


def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Rating)) or 0


@pytest.fixture
def resolved(app_ctx):
    queue = make_queue(code="reseau")
    requester = make_user("claire@umontpellier.fr", name="Claire")
    tech = make_user("tech@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    ticket = make_ticket(
        queue=queue,
        requester=requester,
        status="resolved",
        resolved_at=dt.datetime.now(dt.UTC),
        request_type=make_request_type(queue=queue),
    )
    return ticket, requester, tech


def _page(ref: str) -> str:
    return f"/mes-demandes/{ref}"


def test_rate_from_the_ticket_page_once(resolved, login):
    ticket, requester, _tech = resolved
    client = login(requester)
    page = client.get(_page(ticket.reference)).text
    assert "Évaluez le traitement de votre demande" in page
    response = client.submit(
        f"/mes-demandes/{ticket.reference}/evaluation",
        {"score": "4", "comment": "Rapide, merci"},
        page=_page(ticket.reference),
    )
    assert response.status_code == 302
    (rating,) = db.session.scalars(select(Rating)).all()
    assert (rating.score, rating.comment, rating.user_id) == (4, "Rapide, merci", requester.id)
    page = client.get(_page(ticket.reference)).text
    assert "4 sur 5" in page and 'name="score"' not in page
    again = client.submit(
        f"/mes-demandes/{ticket.reference}/evaluation",
        {"score": "1"},
        page=_page(ticket.reference),
    )
    assert again.status_code == 400 and "Vous avez déjà évalué ce ticket." in again.text
    assert _count() == 1


@pytest.mark.parametrize("score", ["0", "6", "-1", "abc", "", "4.5"])
def test_a_score_outside_1_to_5_is_refused(resolved, login, score):
    ticket, requester, _tech = resolved
    response = login(requester).submit(
        f"/mes-demandes/{ticket.reference}/evaluation",
        {"score": score},
        page=_page(ticket.reference),
    )
    assert response.status_code == 400
    assert "Choisissez une note de 1 à 5." in response.text
    assert _count() == 0


def test_someone_elses_ticket_is_refused(resolved, login):
    ticket, _requester, tech = resolved
    # The technician sees the ticket (their queue) but did not ask for it.
    tech_client = login(tech)
    response = tech_client.submit(
        f"/mes-demandes/{ticket.reference}/evaluation",
        {"score": "5"},
        page="/home",
    )
    assert response.status_code == 400
    assert "Seul le demandeur peut évaluer ce ticket." in response.text
    # A stranger does not even learn the ticket exists.
    stranger = login(make_user())
    response = stranger.submit(
        f"/mes-demandes/{ticket.reference}/evaluation", {"score": "5"}, page="/home"
    )
    assert response.status_code == 404
    assert _count() == 0


def test_an_open_ticket_cannot_be_rated(resolved, login):
    ticket, requester, _tech = resolved
    ticket.status, ticket.resolved_at = Status.IN_PROGRESS, None
    db.session.commit()
    client = login(requester)
    assert 'name="score"' not in client.get(_page(ticket.reference)).text
    response = client.submit(
        f"/mes-demandes/{ticket.reference}/evaluation", {"score": "5"}, page="/home"
    )
    assert response.status_code == 400 and "une fois résolu" in response.text
    assert _count() == 0


def test_the_signed_link_rates_without_login_once(resolved, client):
    ticket, requester, _tech = resolved
    url = f"/evaluation/{link_token(ticket.reference, requester.id)}"
    page = client.get(url)
    assert page.status_code == 200 and ticket.reference in page.text
    # It names the ticket to someone not signed in: kept out of a shared computer's cache.
    assert page.headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    response = client.submit(url, {"score": "5", "comment": "Parfait"})
    assert response.status_code == 200 and "Merci pour votre évaluation" in response.text
    assert _count() == 1
    again = client.submit(url, {"score": "2"})
    assert again.status_code == 400 and "Vous avez déjà évalué ce ticket." in again.text
    assert _count() == 1


def test_the_link_opened_again_says_why_it_cannot_rate(resolved, client):
    # The e-mail's link clicked a second time, or after the ticket was reopened, says which:
    # not one "cannot be rated (again)" for both.
    ticket, requester, _tech = resolved
    url = f"/evaluation/{link_token(ticket.reference, requester.id)}"
    assert client.submit(url, {"score": "4"}).status_code == 200
    page = client.get(url).text
    assert "Vous avez déjà évalué ce ticket." in page and 'name="score"' not in page
    db.session.delete(db.session.scalar(select(Rating)))
    ticket.status, ticket.resolved_at = Status.REOPENED, None
    db.session.commit()
    page = client.get(url).text
    assert "Un ticket peut être évalué une fois résolu." in page and 'name="score"' not in page


@pytest.mark.parametrize(
    "token",
    ["forged", "eyJyIjoiREVNIn0.abc.def", "x" * 600],
)
def test_a_forged_link_is_refused(resolved, client, token):
    response = client.get(f"/evaluation/{token}")
    assert response.status_code == 404 and "Ce lien n’est pas valide" in response.text
    assert client.post(f"/evaluation/{token}", data={"score": "5"}).status_code in (400, 404)
    assert _count() == 0


def test_a_link_for_another_ticket_cannot_be_retargeted(resolved, client, app):
    ticket, requester, _tech = resolved
    token = link_token(ticket.reference, requester.id)
    payload, rest = token.split(".", 1)
    tampered = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + rest
    assert client.get(f"/evaluation/{tampered}").status_code == 404


def test_the_resolution_email_carries_the_rating_link(resolved, smtp, app):
    from desk.tickets.history import apply_status
    from desk.tickets.workflow import Actor
    from tests.notifications.helpers import deliver_all

    ticket, requester, tech = resolved
    ticket.status, ticket.resolved_at = Status.IN_PROGRESS, None
    db.session.commit()
    apply_status(ticket, Status.RESOLVED, tech, Actor.STAFF)
    db.session.commit()
    deliver_all()
    (message,) = smtp.to(requester.email)
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"(http\S+/evaluation/\S+)", text).group(1)
    response = app.test_client().get(link.replace(app.config["BASE_URL"], ""))
    assert response.status_code == 200 and ticket.reference in response.text


def test_ratings_appear_per_queue_and_type_in_the_report(resolved, login):
    ticket, requester, tech = resolved
    db.session.add(Rating(ticket_id=ticket.id, user_id=requester.id, score=4, comment=""))
    other = make_ticket(
        queue=ticket.queue,
        requester=requester,
        status="closed",
        resolved_at=dt.datetime.now(dt.UTC),
        request_type=ticket.request_type,
    )
    db.session.add(Rating(ticket_id=other.id, user_id=requester.id, score=5, comment=""))
    db.session.commit()
    page = login(tech).get("/sla/report").text
    section = page[page.index('id="satisfaction-queues"') :]
    assert "4,5" in section and "2 évaluations" in section
    assert 'id="satisfaction-request_types"' in page
    # A technician of another queue sees none of it.
    outsider = make_user(role=Role.TECHNICIAN, queues=(make_queue(),))
    assert "4,5" not in login(outsider).get("/sla/report").text
