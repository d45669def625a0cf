"""Fuzzing every form field, query parameter and path parameter: never a 5xx, never a traceback.

Forms are found the way a person finds them: each GET page is opened as the requester, a
technician and an admin, and every `<form method="post">` on it is filled with hostile values
(NUL and control characters, 1 MB strings, huge and negative numbers, impossible dates), with
fields repeated or left out. The CSRF token stays valid, so the views really run. Query strings
get the same values under the parameter names desk reads, plus raw invalid percent-encoded
UTF-8; string path segments get them too. Forms that log out or delete are left out (their only
input is the path, fuzzed with the rest).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote, urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from tests.conftest import Client
from tests.security.access_world import build_access_world
from tests.security.test_authorization_matrix import _build, _routes, params

QUERY_NAMES = [
    "q",
    "after",
    "page",
    "size",
    "sort",
    "status",
    "priority",
    "assignee",
    "type",
    "sla",
    "show",
    "site",
    "building",
    "from",
    "to",
    "next",
    "days",
    "ticket",
    "canned",
    "record",
]
HOSTILE = [
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[31m\x7f",
    "\u202e\ufeff\u200b",
    "9" * 40,
    "9" * 5000,
    "²",
    " ",
    "2147483648",
    "-2147483649",
    "-1",
    "0",
    "1e309",
    "NaN",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "2026-13-45T25:61",
    "../../etc/passwd",
    "<script>x</script>\"'",
    "%",
    "DEM-2026-000001",
    "x" * 1_000_000,
]
VALUES = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=30),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates().map(lambda d: d.isoformat()),
)
RAW_QUERIES = ["q=%FF%FE", "page=%C3%28", "%ED%A0%80=1", "q=%", "q=%zz", "to=%00", "q=a&q=b&q=c"]
FUZZ = settings(
    max_examples=8,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


# Status codes seen, to prove the fuzzed requests reached the views (not only the CSRF check).
SEEN: list[int] = []


def _check(response, what: str) -> None:
    SEEN.append(response.status_code)
    body = response.get_data(as_text=True)
    assert response.status_code < 500, f"{what}: {response.status_code}\n{body[:800]}"
    assert "Traceback" not in body, what


class _Forms(HTMLParser):
    """The POST forms of a page: (action, [field names], has a file input)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._current: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("method") or "").lower() == "post":
            self._current = {"action": attributes.get("action") or "", "fields": []}
        elif self._current is not None and tag in ("input", "textarea", "select"):
            name = attributes.get("name")
            kind = (attributes.get("type") or "").lower()
            if name and name != "csrf_token" and kind not in ("file", "submit"):
                self._current["fields"].append(name)

    def handle_endtag(self, tag):
        if tag == "form" and self._current is not None:
            self.forms.append(self._current)
            self._current = None


def _forms(client: Client, page: str) -> list[dict]:
    parser = _Forms()
    parser.feed(client.get(page).get_data(as_text=True))
    return parser.forms


def _clients(app, world) -> dict[str, Client]:
    app.test_client_class = Client
    clients = {}
    for role in ("requester_a", "tech_queue", "admin"):
        client: Client = app.test_client()  # type: ignore[assignment]
        client.login(world.users[role].email)
        client.get("/account/password")
        clients[role] = client
    return clients


def _get_pages(app, world) -> list[tuple[str, str]]:
    pages = []
    for rule_text, method in _routes(app):
        if method == "GET" and rule_text not in ("/healthz", "/catalogue/modele-invites.csv"):
            rule = next(r for r in app.url_map.iter_rules() if r.rule == rule_text)
            pages.append((rule_text, _build(app, rule, params(world, rule_text))))
    return pages


def test_fuzz_every_form(app, app_ctx):
    world = build_access_world()
    clients = _clients(app, world)
    seen: set[tuple[str, str]] = set()
    targets = []
    for _rule, page in _get_pages(app, world):
        for role, client in clients.items():
            for form in _forms(client, page):
                action = form["action"] or page
                key = (role, action)
                skip = action.endswith(("/delete", "/remove", "/logout")) or not form["fields"]
                if key in seen or skip:
                    continue
                seen.add(key)
                targets.append((role, action, sorted(set(form["fields"]))))
    assert len(targets) > 30  # the discovery found the forms (catalogue, ticket, admin...)

    SEEN.clear()
    for role, action, fields in targets:
        _fuzz_form(clients[role], role, action, fields)
    assert SEEN.count(302) + SEEN.count(200) > len(targets)  # many went through the views


def _fuzz_form(client: Client, role: str, action: str, fields: list[str]) -> None:
    @FUZZ
    @given(st.data())
    def fuzz(data):
        chosen = data.draw(st.lists(st.sampled_from(fields), max_size=len(fields) + 2))
        pairs = [(name, data.draw(VALUES)) for name in chosen]  # repeated or missing
        pairs.append(("csrf_token", client.last_csrf or ""))
        response = client.post(action, data=MultiDict(pairs))
        _check(response, f"POST {action} as {role} with {[(k, v[:60]) for k, v in pairs]}")

    fuzz()


def _fuzz_query(client: Client, role: str, page: str) -> None:
    @FUZZ
    @given(st.data())
    def fuzz(data):
        names = data.draw(st.lists(st.sampled_from(QUERY_NAMES), max_size=4))
        query = urlencode([(name, data.draw(VALUES)) for name in names])
        response = client.get(f"{page}?{query}")
        _check(response, f"GET {page}?{query[:300]} as {role}")

    fuzz()


def test_fuzz_every_query_and_path_parameter(app, app_ctx):
    world = build_access_world()
    clients = _clients(app, world)
    pages = _get_pages(app, world)

    for rule_text, page in pages:
        for role in ("requester_a", "admin"):
            _fuzz_query(clients[role], role, page)
            for raw in RAW_QUERIES:
                _check(clients[role].get(f"{page}?{raw}"), f"GET {page}?{raw} as {role}")

        strings = re.findall(r"<([a-z_]+)>", rule_text)
        if not strings:
            continue
        for value in [*HOSTILE[:-1], "x" * 5000, "%FF%FE", "%ED%A0%80"]:
            url = rule_text
            for name in strings:
                encoded = value if value.startswith("%") else quote(value, safe="")
                url = url.replace(f"<{name}>", encoded)
            _check(clients["admin"].get(url), f"GET {url[:200]}")
