"""A ticket keeps the language its requester wrote it in; pages in the other language mark
what the requester typed with `lang` (RGAA 8.7), and the request type's title follows the
reader (marked when only its French form exists)."""

from __future__ import annotations

import re

from desk.auth.models import Role
from desk.extensions import db
from desk.tickets.models import Ticket
from tests.catalog.world import only_ticket
from tests.support.factories import make_user

URL = "/catalogue/licence-zoom"
ADDRESS = "claire.martin@umontpellier.fr"


def _send(client) -> Ticket:
    response = client.submit(URL, {"zoom_email": ADDRESS, "account_created": "y"})
    assert response.status_code == 302, response.text[-800:]
    return only_ticket()


def _subject_html(page: str, tag: str) -> str:
    """The markup of the subject inside the first `tag` (h1, or a list's cell)."""
    match = re.search(rf"<{tag}[^>]*>(.*?)</{tag}>", page, re.S)
    assert match, page[:500]
    return match.group(1)


def test_the_ticket_keeps_the_language_of_the_page_it_was_sent_from(world, staff, login):
    staff.locale = "en"
    db.session.commit()
    ticket = _send(login(staff))
    assert ticket.language == "en"


def test_a_french_reader_sees_english_typed_text_marked(world, staff, login):
    staff.locale = "en"
    tech = make_user("tech@umontpellier.fr", role=Role.TECHNICIAN, queues=(world.queues["visio"],))
    db.session.commit()
    ticket = _send(login(staff))
    french = login(tech)
    heading = _subject_html(french.get(f"/tickets/{ticket.reference}").text, "h1")
    assert f'Titre licence-zoom – <span lang="en">{ADDRESS}</span>' in heading
    listing = french.get("/queues/visio").text
    assert f'Titre licence-zoom – <span lang="en">{ADDRESS}</span>' in listing

    # The English requester reads their own words unmarked, the title in English.
    own = login(staff)
    heading = _subject_html(own.get(f"/mes-demandes/{ticket.reference}").text, "h1")
    assert heading.strip() == f"Title licence-zoom – {ADDRESS}"
    assert "lang=" not in own.get("/mes-demandes?show=all").text.split("<main", 1)[1]


def test_a_french_title_on_an_english_page_is_marked(world, staff, login):
    world.types["zoom"].title_en = ""
    staff.locale = "en"
    db.session.commit()
    ticket = _send(login(staff))
    heading = _subject_html(login(staff).get(f"/mes-demandes/{ticket.reference}").text, "h1")
    assert heading.strip() == f'<span lang="fr">Titre licence-zoom</span> – {ADDRESS}'


def test_an_old_ticket_of_unknown_language_is_not_marked(world, staff, login):
    tech = make_user("tech@umontpellier.fr", role=Role.TECHNICIAN, queues=(world.queues["visio"],))
    tech.locale = "en"
    db.session.commit()
    ticket = _send(login(staff))
    ticket.language = None
    db.session.commit()
    heading = _subject_html(login(tech).get(f"/tickets/{ticket.reference}").text, "h1")
    assert f"Title licence-zoom – {ADDRESS}" in heading and "lang=" not in heading


def test_typed_markup_stays_escaped(world, staff, login):
    staff.locale = "en"
    db.session.commit()
    ticket = _send(login(staff))
    ticket.subject = 'Titre licence-zoom – <script>alert("x")</script>'
    db.session.commit()
    page = login(staff).get(f"/mes-demandes/{ticket.reference}").text
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page
