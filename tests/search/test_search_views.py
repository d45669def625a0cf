"""Search pages through the real views: scope by role, every way to match, bad input, paging."""

from __future__ import annotations

import re

import pytest

from desk.extensions import db
from desk.tickets.actions import add_note, add_reply
from tests.support.factories import make_ticket


def _refs(html: str) -> list[str]:
    return re.findall(r'<tr data-ref="([^"]+)"', html)


def _search(client, q, url="/recherche", **extra):
    response = client.get(url, query_string={"q": q, **extra})
    assert response.status_code == 200, response.text[:300]
    return response


def _is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def test_a_word_of_the_description_finds_the_ticket_folded_and_stemmed(world, login):
    client = login(world.tech)
    # Accents folded ("batiment"), another form of the word ("imprimante"), any case.
    html = _search(client, "IMPRIMANTE batiment").text
    assert _refs(html) == [world.printer.reference]
    assert f'href="/tickets/{world.printer.reference}"' in html
    assert "Claire Martin" in html


def test_french_stemming_on_postgresql(world, login):
    if not _is_postgres():
        pytest.skip("stemming is PostgreSQL's")
    client = login(world.tech)
    # The subject says "Impression": the plural shares its stem (a LIKE would not match).
    assert _refs(_search(client, "impressions").text) == [world.printer.reference]


def test_staff_search_stays_inside_the_queues_the_user_works(world, login):
    tech = login(world.tech)
    assert _refs(_search(tech, "diffusion").text) == []
    assert "Aucun ticket ne correspond" in _search(tech, "diffusion").text
    mail_tech = login(world.mail_tech)
    assert _refs(_search(mail_tech, "diffusion").text) == [world.mailing.reference]
    assert _refs(_search(mail_tech, "imprimantes").text) == []
    admin = login(world.admin)
    assert _refs(_search(admin, "diffusion").text) == [world.mailing.reference]
    assert _refs(_search(admin, "imprimantes").text) == [world.printer.reference]


def test_found_by_reference_requester_name_and_email(world, login):
    client = login(world.admin)
    assert _refs(_search(client, world.printer.reference.lower()).text) == [world.printer.reference]
    # A piece of a reference (trigram on PostgreSQL, LIKE on SQLite).
    number = world.mailing.reference[-6:]
    assert world.mailing.reference in _refs(_search(client, number).text)
    assert _refs(_search(client, "Claire Martin").text) == [world.printer.reference]
    assert _refs(_search(client, "leo.petit@etu.umontpellier.fr").text) == [world.mailing.reference]
    # A piece of a name or address.
    assert _refs(_search(client, "petit@etu").text) == [world.mailing.reference]
    # Form data: a list value.
    assert _refs(_search(client, "anne.roux@umontpellier.fr").text) == [world.mailing.reference]


def test_a_reference_past_a_million_ranks_its_ticket_first(world, login):
    # desk writes numbers past 999,999 on seven to ten digits (references.REFERENCE): the
    # whole reference is the ticket itself, ahead of a longer one that merely contains it.
    exact = make_ticket(queue=world.network, requester=world.claire, subject="Exact")
    longer = make_ticket(queue=world.network, requester=world.claire, subject="Longer")
    exact.reference, longer.reference = "DEM-2026-123456789", "DEM-2026-1234567890"
    db.session.commit()
    client = login(world.admin)
    assert _refs(_search(client, "dem-2026-123456789").text)[0] == exact.reference
    assert _refs(_search(client, "DEM-2026-1234567890").text) == [longer.reference]


def test_replies_and_notes_are_searchable_as_soon_as_saved(world, login):
    add_reply(world.printer, "Le toner a été remplacé ce matin.", actor=world.tech)
    add_note(world.printer, "Contrat de maintenance Ricoh expiré.", actor=world.tech)
    client = login(world.tech)
    assert _refs(_search(client, "toner").text) == [world.printer.reference]
    assert _refs(_search(client, "ricoh").text) == [world.printer.reference]


def test_requesters_search_their_own_tickets_without_internal_notes(world, login):
    add_reply(world.printer, "Le toner a été remplacé ce matin.", actor=world.tech)
    add_note(world.printer, "Contrat de maintenance Ricoh expiré.", actor=world.tech)
    claire = login(world.claire)
    url = "/mes-demandes/recherche"
    html = _search(claire, "toner", url).text
    assert _refs(html) == [world.printer.reference]
    assert f'href="/mes-demandes/{world.printer.reference}"' in html
    assert _refs(_search(claire, "ricoh", url).text) == []  # an internal note: never
    assert _refs(_search(claire, "diffusion", url).text) == []  # Léo's ticket
    assert _refs(_search(claire, world.mailing.reference, url).text) == []
    # The search box is on "Mes demandes".
    assert 'action="/mes-demandes/recherche"' in claire.get("/mes-demandes").text


def test_renaming_a_requester_reindexes_their_tickets(world, login):
    world.claire.display_name = "Claire Dubois-Martin"
    db.session.commit()
    client = login(world.tech)
    assert _refs(_search(client, "Dubois").text) == [world.printer.reference]


def test_who_may_not_search(world, client, login):
    response = client.get("/recherche?q=imprimante")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert login(world.claire).get("/recherche?q=imprimante").status_code == 403
    response = client.get("/mes-demandes/recherche?q=imprimante")
    assert response.status_code == 302


@pytest.mark.parametrize(
    "q",
    [
        '"',
        "'",
        "l'imprimante \"bâtiment",
        "%",
        "_",
        "%_%",
        "\\",
        "a\x01b",
        "or -",
        "!!! & | :* <-> ()",
        "DEM-2026-",
        "😀 ünïcødé",
        "x" * 5000,
        "imprimante " * 100_000,  # about 1 MB
    ],
)
def test_any_string_is_a_search_never_an_error(world, login, q):
    client = login(world.tech)
    response = client.get("/recherche", query_string={"q": q})
    mine = login(world.claire).get("/mes-demandes/recherche", query_string={"q": q})
    assert response.status_code == 200
    assert mine.status_code == 200
    if len(q) > 200:
        assert "Seuls les 200 premiers caractères" in response.text
    if q in ("%", "_", "%_%", "\\"):
        assert _refs(response.text) == []  # wildcards are searched as characters


@pytest.mark.parametrize("q", ["a\x00b", "\x00"])
def test_nul_in_a_search_is_refused_app_wide(world, login, q):
    """PostgreSQL cannot take NUL: desk.core.input answers 400 before the search runs."""
    response = login(world.tech).get("/recherche", query_string={"q": q})
    assert response.status_code == 400
    assert "ne peut pas être enregistré" in response.text


def test_results_are_ranked_and_paged_by_keyset(world, login):
    for n in range(30):
        make_ticket(queue=world.network, requester=world.leo, subject=f"Onduleur {n}")
    best = make_ticket(
        queue=world.network,
        requester=world.leo,
        subject="Onduleur onduleur",
        data={"description": "onduleur du local onduleur"},
    )
    client = login(world.tech)
    first = _search(client, "onduleur").text
    page1 = _refs(first)
    assert len(page1) == 25
    if _is_postgres():
        assert page1[0] == best.reference  # more and weightier matches rank first
    cursor = re.search(r'rel="next" href="[^"]*after=([^"&]+)', first).group(1)
    second = _search(client, "onduleur", after=cursor).text
    page2 = _refs(second)
    assert len(page2) == 6
    assert not set(page1) & set(page2)
    assert "next" not in re.findall(r'rel="(\w+)"', second)


def test_a_forged_cursor_shows_the_first_page_with_a_message(world, login):
    client = login(world.tech)
    html = _search(client, "imprimantes", after="not-a-cursor").text
    assert _refs(html) == [world.printer.reference]
    assert "ce lien de page n’est plus valable" in html.lower() or "plus valable" in html


def test_too_many_matches_rank_the_newest_and_say_so(world, login, monkeypatch):
    from desk.search import services

    monkeypatch.setattr(services, "MAX_WORD_MATCHES", 3)
    monkeypatch.setattr("desk.search.views.MAX_WORD_MATCHES", 3)
    made = [
        make_ticket(queue=world.network, requester=world.leo, subject=f"Onduleur {n}")
        for n in range(5)
    ]
    html = _search(login(world.tech), "onduleur").text
    assert sorted(_refs(html)) == sorted(t.reference for t in made[-3:])
    assert "seuls les 3 plus récents sont classés" in html
    # A requester's own tickets are searched before the cap: none of theirs is lost.
    mine = _search(login(world.leo), "onduleur", "/mes-demandes/recherche").text
    assert len(_refs(mine)) == 3 and "seuls les 3 plus récents" in mine


def test_a_result_names_its_request_type_once(world, login):
    """A subject that begins with the request type's title does not get the title again
    under it; another subject (a ticket that came by e-mail) does."""
    titled = make_ticket(
        queue=world.network, requester=world.claire, subject="placeholder", language="fr"
    )
    titled.subject = f"{titled.request_type.title_fr} – prise B16-1-023"
    db.session.commit()
    html = _search(login(world.admin), "B16").text
    subject = html.split(f'href="/tickets/{titled.reference}"')[1].split("</td>")[1]
    assert f"{titled.request_type.title_fr} – prise B16-1-023" in subject
    assert "<small" not in subject
    html = _search(login(world.tech), "imprimantes").text
    subject = html.split(f'href="/tickets/{world.printer.reference}"')[1].split("</td>")[1]
    title = world.printer.request_type.title_fr
    assert f'Impression impossible<br><small class="muted">{title}</small>' in subject
