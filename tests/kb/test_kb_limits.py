"""The public help pages are rate limited per address: a 429 in the reader's language, JSON
for the suggestions fetched as people type, a page for the search."""

from __future__ import annotations

import pytest

from tests.support.factories import make_user

LIMITS = ("RATELIMIT_SEARCH", "RATELIMIT_SUGGEST")


@pytest.fixture
def low_limits(app):
    saved = {name: app.config[name] for name in LIMITS}
    app.config.update(dict.fromkeys(LIMITS, "3 per minute"))
    yield
    app.config.update(saved)


def _suggest(client, query, address, **kwargs):
    return client.get(
        "/aide/suggestions",
        query_string={"q": query},
        environ_base={"REMOTE_ADDR": address},
        **kwargs,
    )


def test_suggestions_past_the_limit_get_a_json_429_in_french(demo_kb, client, low_limits):
    address = "203.0.113.61"
    answers = [_suggest(client, q, address) for q in ("zo", "zoo", "zoom", "zoom 4")]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    blocked = answers[-1]
    # JSON whatever the Accept header (a script reads it), never an HTML page.
    assert blocked.is_json
    assert blocked.json == {
        "error": "Trop de requêtes",
        "detail": "Patientez un instant avant de réessayer.",
    }
    assert int(blocked.headers["Retry-After"]) > 0
    # An empty query searches nothing and is not counted; another address is not affected.
    assert _suggest(client, "", address).status_code == 200
    assert _suggest(client, "zoom", "198.51.100.61").status_code == 200
    # Typing uses its own budget: the search page still answers from the same address.
    assert client.get("/aide?q=zoom", environ_base={"REMOTE_ADDR": address}).status_code == 200


def test_an_english_reader_gets_the_429_in_english(demo_kb, login, low_limits):
    reader = login(make_user(locale="en"))
    address = "203.0.113.62"
    answers = [
        _suggest(reader, "zoom", address, headers={"Accept": "application/json"}) for _ in range(4)
    ]
    assert answers[-1].status_code == 429
    assert answers[-1].json["error"] == "Too many requests"


def test_the_public_search_past_the_limit_gets_the_429_page(demo_kb, client, low_limits):
    address = {"REMOTE_ADDR": "203.0.113.63"}
    answers = [client.get(f"/aide?q=zoom+{n}", environ_base=address) for n in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    page = answers[-1]
    assert page.mimetype == "text/html"
    assert "Trop de requêtes" in page.text and "instant avant de réessayer" in page.text
    # The article list (no query) and the articles themselves are still readable.
    assert client.get("/aide", environ_base=address).status_code == 200
    assert client.get("/aide/mot-de-passe-oublie", environ_base=address).status_code == 200
