"""Queue lists: filters from the URL, search, sorts, keyset pages, bad input as messages."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from desk.auth.models import Role
from desk.queues.cursor import decode_cursor, encode_cursor
from tests.support.factories import (
    make_queue,
    make_request_type,
    make_site_tree,
    make_ticket,
    make_user,
)

NOW = dt.datetime.now(dt.UTC)


def _refs(html: str) -> list[str]:
    return re.findall(r'<tr data-ref="([^"]+)"', html)


def _next(html: str) -> str | None:
    match = re.search(r'<a rel="next" href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


@pytest.fixture
def board(app_ctx):
    queue = make_queue(code="reseau")
    other = make_queue(queue.domain, code="visio")
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,), name="Karim Benali")
    mate = make_user(role=Role.TECHNICIAN, queues=(queue,), name="Sophie Durand")
    alice = make_user("alice.dupont@umontpellier.fr", name="Alice Dupont")
    wifi = make_request_type(slug="wifi", queue=queue)
    site, _b, _f = make_site_tree("triolet")
    t = {
        "late": make_ticket(
            queue=queue,
            request_type=wifi,
            subject="Borne HS",
            resolution_due_at=NOW - dt.timedelta(hours=1),
            priority=4,
            status="in_progress",
            assignee=tech,
            site_id=site.id,
        ),
        "soon": make_ticket(
            queue=queue,
            request_type=wifi,
            subject="Câble 100%_cassé",
            resolution_due_at=NOW + dt.timedelta(hours=1),
            resolution_warn_at=NOW - dt.timedelta(minutes=5),
            requester=alice,
        ),
        "later": make_ticket(
            queue=queue,
            subject="Prise réseau",
            assignee=mate,
            status="waiting_on_requester",
            resolution_due_at=NOW + dt.timedelta(days=2),
        ),
        "nodue": make_ticket(queue=queue, subject="Sans échéance"),
        "closed": make_ticket(
            queue=queue,
            subject="Vieux ticket",
            status="closed",
            resolution_due_at=NOW - dt.timedelta(days=30),
        ),
        "elsewhere": make_ticket(queue=other, subject="Autre file"),
    }
    return {"queue": queue, "tech": tech, "mate": mate, "t": t}


def _list(client, query=""):
    response = client.get(f"/queues/reseau{query}")
    assert response.status_code == 200, response.text[:300]
    return response


def test_default_view_is_open_tickets_by_due_date_without_due_last(board, login):
    refs = _refs(_list(login(board["tech"])).text)
    t = board["t"]
    assert refs == [
        t["late"].reference,
        t["soon"].reference,
        t["later"].reference,
        t["nodue"].reference,
    ]


@pytest.mark.parametrize(
    "query, keys",
    [
        ("?status=all", ["closed", "late", "soon", "later", "nodue"]),
        ("?status=closed", ["closed"]),
        ("?status=in_progress&status=waiting_on_requester", ["late", "later"]),
        ("?priority=critical", ["late"]),
        ("?assignee=mine", ["late"]),
        ("?assignee=unassigned", ["soon", "nodue"]),
        ("?type=wifi", ["late", "soon"]),
        ("?site=triolet", ["late"]),
        ("?sla=breached", ["late"]),
        ("?sla=warning", ["soon"]),
        ("?sla=none", ["nodue"]),
        ("?q=borne", ["late"]),
        ("?q=ALICE.dupont", ["soon"]),
        ("?q=Alice+Dupont", ["soon"]),
        ("?q=100%25_", ["soon"]),
        ("?q=%25", ["soon"]),  # a literal percent sign, not a wildcard
        ("?q=e%25", []),
        ("?sort=-created", ["nodue", "later", "soon", "late"]),
        ("?sort=created", ["late", "soon", "later", "nodue"]),
    ],
)
def test_filters(board, login, query, keys):
    refs = _refs(_list(login(board["tech"]), query).text)
    assert refs == [board["t"][k].reference for k in keys]


def test_assignee_by_id_and_search_by_reference(board, login):
    client = login(board["tech"])
    t = board["t"]
    assert _refs(_list(client, f"?assignee={board['mate'].id}").text) == [t["later"].reference]
    assert _refs(_list(client, f"?q={t['nodue'].reference.lower()}").text) == [t["nodue"].reference]


@pytest.mark.parametrize(
    "query, message",
    [
        ("?status=bogus", "Statut « bogus » inconnu"),
        ("?priority=urgent", "Priorité « urgent » inconnue"),
        ("?assignee=999999", "n’est pas membre de la file"),
        ("?type=nope", "Type de demande inconnu"),
        ("?site=mars", "Site inconnu"),
        ("?sla=late", "État de SLA « late » inconnu"),
        ("?sort=random", "Tri inconnu"),
        ("?size=7", "Taille de page inconnue"),
        ("?size=%C2%B2", "Taille de page inconnue"),  # "²": isdigit(), yet not a number
        ("?size=" + "9" * 5000, "Taille de page inconnue"),  # past int()'s 4,300 digits
        ("?after=garbage", "Ce lien de page n’est plus valable"),
    ],
)
def test_unknown_filter_values_are_reported_and_ignored(board, login, query, message):
    response = _list(login(board["tech"]), query)
    assert message in response.text
    assert len(_refs(response.text)) == 4  # the unfiltered default view


def test_filter_values_are_escaped(board, login):
    response = _list(login(board["tech"]), "?status=<b>x</b>&q=<script>")
    assert "<b>x</b>" not in response.text and "<script>" not in response.text


def test_keyset_pages_cover_every_ticket_once(board, login):
    queue = board["queue"]
    for i in range(23):  # more tickets, some sharing a due date, some without
        due = NOW + dt.timedelta(hours=i // 3) if i % 4 else None
        make_ticket(queue=queue, subject=f"Lot {i}", resolution_due_at=due)
    client = login(board["tech"])
    seen, url, pages = [], "/queues/reseau?size=10", 0
    while url:
        html = client.get(url).text
        seen += _refs(html)
        url = _next(html)
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 27
    assert seen == _refs(_list(client, "?size=100").text)


def test_keyset_pages_for_created_sorts(board, login):
    for i in range(12):
        make_ticket(queue=board["queue"], subject=f"Lot {i}")
    client = login(board["tech"])
    for sort in ("created", "-created"):
        seen, url = [], f"/queues/reseau?size=10&sort={sort}&status=all"
        while url:
            html = client.get(url).text
            seen += _refs(html)
            url = _next(html)
        assert seen == _refs(_list(client, f"?size=100&sort={sort}&status=all").text)
        assert len(seen) == 17


def test_filters_are_kept_in_the_next_page_link(board, login):
    for _i in range(12):
        make_ticket(queue=board["queue"], priority=4)
    html = _list(login(board["tech"]), "?priority=critical&size=10").text
    link = _next(html)
    assert "priority=critical" in link and "size=10" in link and "after=" in link


def test_cursor_round_trip_and_forgeries():
    moment = dt.datetime(2026, 11, 21, 9, 30, 0, 123456, tzinfo=dt.UTC)
    token = encode_cursor("due", moment, 42)
    assert decode_cursor(token, "due") == (moment, 42)
    assert decode_cursor(encode_cursor("due", None, 7), "due") == (None, 7)
    assert decode_cursor(token, "created") is None  # made for another sort
    assert decode_cursor(encode_cursor("created", None, 7), "created") is None
    import base64
    import json

    def forge(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()

    for bad in (
        ["due", "2026-01-01T00:00:00", 1],
        ["due", "yesterday", 1],
        ["due", None, -1],
        ["due", None, "1"],
        ["due", None, True],
        ["due", None, 2**70],
        ["due", 12, 1],
        ["due", "0001-01-01T00:00:00+05:00", 1],
        {"a": 1},
        ["due", None],
    ):
        assert decode_cursor(forge(bad), "due") is None
    for bad in ("", "!!!", "x" * 500, base64.urlsafe_b64encode(b"\xff\xfe").decode()):
        assert decode_cursor(bad, "due") is None


def test_list_of_an_unknown_queue_is_404(board, login):
    client = login(board["tech"])
    for code in ("nope", "x" * 300):
        assert client.get(f"/queues/{code}").status_code == 404
    assert client.get("/queues/%00").status_code == 400  # refused app-wide


def test_control_characters_in_the_search_are_dropped(board, login):
    response = _list(login(board["tech"]), "?q=Borne%01")
    assert _refs(response.text) == [board["t"]["late"].reference]
    # NUL, which PostgreSQL cannot take, is refused app-wide (desk.core.input).
    assert login(board["tech"]).get("/queues/reseau?q=Borne%00").status_code == 400


def test_pages_of_one_shape_share_a_statement_but_not_its_values(board, login):
    """The page's statement is built once per shape of filters (desk.queues.query): the
    queue, the user, the search text and the time are values bound at each request."""
    from desk.queues.listing import QueueFilters
    from desk.queues.query import _page_statement, _shape, fetch_page

    queue, t = board["queue"], board["t"]
    late = t["late"].reference  # due an hour ago
    breached = QueueFilters(sla="breached")
    two_hours_ago = fetch_page(queue, breached, NOW - dt.timedelta(hours=2)).tickets
    now = fetch_page(queue, breached, NOW).tickets
    assert [r.reference for r in two_hours_ago] == [] and [r.reference for r in now] == [late]
    same = _page_statement(_shape(QueueFilters(sla="breached")))
    assert _page_statement(_shape(breached)) is same
    tech, mate = login(board["tech"]), login(board["mate"])
    for client, search, expected in (
        (tech, "borne", ["late"]),
        (mate, "prise", ["later"]),
        (tech, "prise", ["later"]),
    ):
        assert _refs(_list(client, "?assignee=mine").text) == [
            t["late" if client is tech else "later"].reference
        ]
        found = _refs(_list(client, f"?status=all&q={search}").text)
        assert found == [t[k].reference for k in expected]
    # Another queue, same shape, one after the other: each its own tickets only.
    admin = login(make_user(role=Role.ADMIN))
    for code, keys in (("reseau", ["late", "soon", "later", "nodue"]), ("visio", ["elsewhere"])):
        assert _refs(admin.get(f"/queues/{code}").text) == [t[k].reference for k in keys]


def test_the_request_type_filter_lists_only_the_queues_domain(board, login):
    """An IT queue's list does not offer HR's request types: none of its tickets can have one
    (routing and transfers keep a ticket in its domain)."""
    make_request_type(slug="hr-phone", queue=make_queue(code="rh"))  # another domain
    html = _list(login(board["tech"])).text
    select = re.search(r'<select id="f-type".*?</select>', html, re.S).group(0)
    values = re.findall(r'<option value="([^"]*)"', select)
    assert "wifi" in values and "hr-phone" not in values
