"""Every route of `app.url_map`, sent what no browser sends: never a 5xx, always desk's headers.

`test_fuzz.py` fills the fields desk reads with hostile values, always well encoded. Here the
request itself is malformed, the way a hand-made client writes it: raw bytes that are not
UTF-8 in the query string, the form body and the headers; a JSON, plain-text or broken
multipart body where a form is read; parameters repeated; no CSRF token or a forged one; a
`next`, a `pour` and a Referer naming another site. Routes are taken from the URL map (with
the authorization matrix's objects), so a new route is swept without a line here. Found this
way: raw non-UTF-8 bytes in the query string made every route a 500 (werkzeug decodes it
strictly on first use of `request.args`).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from tests.conftest import Client
from tests.security.access_world import build_access_world
from tests.security.test_authorization_matrix import _build, _routes, params

HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
)
# WSGI servers hand the request line over as latin-1 text: one character per raw byte.
RAW_QUERY = "q=\xff\xfe&\xff=1&page=\xc3\x28&next=\xff"
RAW_HEADERS = {
    "Accept-Language": "\xff\xfe;q=x",
    "Referer": "\xff",
    "X-Request-ID": "\xff\x01",
    "User-Agent": "\xff",
}
ELSEWHERE = "next=//evil.example&pour=https://evil.example&after=1&after=2&page=1&page=2"


def _check(response, what: str, problems: list[str]) -> None:
    if response.status_code >= 500 or "Traceback" in response.get_data(as_text=True):
        problems.append(f"{what}: {response.status_code}")
    missing = [name for name in HEADERS if name not in response.headers]
    if missing:
        problems.append(f"{what}: no {', '.join(missing)}")
    target = urlsplit(response.headers.get("Location", ""))
    if target.netloc not in ("", "localhost"):
        problems.append(f"{what}: redirected to {target.geturl()}")


def _client(app, world, role: str) -> Client:
    client: Client = app.test_client()  # type: ignore[assignment]
    if role == "anonymous":
        client.get("/login")
    else:
        assert client.login(world.users[role].email).status_code == 302
        client.get("/account/password")  # the session's CSRF token
    return client


def _refused_without_token(response, role: str) -> bool:
    if response.status_code in (400, 403, 404, 405):
        return True
    to_login = urlsplit(response.headers.get("Location", "")).path == "/login"
    return role == "anonymous" and response.status_code == 302 and to_login


def _ordered(routes):
    """Destructive routes and the logout last: they are sent only tokenless posts."""
    return sorted(routes, key=lambda r: (r[0] == "/logout", _destructive(r[0]), r))


def _destructive(rule: str) -> bool:
    return rule.endswith(("/delete", "/remove", "/suppression", "/deactivate", "/logout"))


def _sweep_get(client: Client, url: str, what: str, problems: list[str]) -> int:
    raw = client.get(url, environ_overrides={"QUERY_STRING": RAW_QUERY})
    _check(raw, f"{what} raw query", problems)
    _check(client.get(url, headers=RAW_HEADERS), f"{what} raw headers", problems)
    _check(client.get(url, headers={"Accept": "application/json"}), f"{what} json", problems)
    hostile = client.get(f"{url}?{ELSEWHERE}", headers={"Referer": "https://evil.example/"})
    _check(hostile, f"{what} elsewhere", problems)
    return hostile.status_code


def _sweep_post(client: Client, url: str, what: str, role: str, problems: list[str]) -> int:
    token = client.last_csrf or ""
    for name, data in (("none", {}), ("forged", {"csrf_token": "forged"})):
        response = client.post(url, data=data)
        _check(response, f"{what} {name} token", problems)
        if not _refused_without_token(response, role):
            problems.append(f"{what} {name} token: {response.status_code}, not refused")
    raw = client.post(url, environ_overrides={"QUERY_STRING": RAW_QUERY}, data={})
    _check(raw, f"{what} raw query", problems)
    if _destructive(url):
        return raw.status_code
    body = f"csrf_token={token}&body=\xff\xfe&name=\xc3\x28&\xff=1".encode("latin-1")
    form = "application/x-www-form-urlencoded"
    _check(client.post(url, data=body, content_type=form), f"{what} raw form", problems)
    as_json = json.dumps({"csrf_token": token, "body": [1], "name": {"a": 1}})
    sent = client.post(
        url, data=as_json, content_type="application/json", headers={"X-CSRFToken": token}
    )
    _check(sent, f"{what} json body", problems)
    plain = client.post(url, data=f"csrf_token={token}", content_type="text/plain")
    _check(plain, f"{what} text/plain", problems)
    multipart = client.post(url, data=b"garbage", content_type="multipart/form-data")
    _check(multipart, f"{what} multipart without boundary", problems)
    hostile = client.post(
        f"{url}?{ELSEWHERE}",
        data={"csrf_token": token, "next": "https://evil.example", "pour": "//evil.example"},
        headers={"Referer": "https://evil.example/"},
    )
    _check(hostile, f"{what} elsewhere", problems)
    return hostile.status_code


def test_every_route_survives_malformed_requests(app, app_ctx):
    world = build_access_world()
    app.test_client_class = Client
    problems: list[str] = []
    statuses: list[int] = []
    for role in ("anonymous", "requester_a", "admin"):
        client = _client(app, world, role)
        for rule_text, method in _ordered(_routes(app)):
            rule = next(r for r in app.url_map.iter_rules() if r.rule == rule_text)
            url = _build(app, rule, params(world, rule_text))
            what = f"{method} {url} as {role}"
            if method == "GET":
                statuses.append(_sweep_get(client, url, what, problems))
            else:
                statuses.append(_sweep_post(client, url, what, role, problems))
    assert problems == []
    assert statuses.count(200) > 50  # the sweep reached the pages, not only refusals


def test_a_raw_non_utf8_query_string_is_desks_400_in_the_users_language(app_ctx, login):
    from tests.support.factories import make_user

    client = login(make_user(locale="en"))
    response = client.get("/catalogue", environ_overrides={"QUERY_STRING": "q=caf\xe9"})
    assert response.status_code == 400
    assert "<title>Bad request · desk</title>" in response.text
    assert client.get("/catalogue", query_string={"q": "café"}).status_code == 200


@pytest.mark.parametrize("host", ["x" * 64, "a..b", "a." + "b" * 300])
def test_a_host_header_werkzeug_cannot_read_is_desks_400(client, host):
    """A Host no DNS name can be (a label past 63 characters): werkzeug cannot bind the URL
    map to it, so no link of a page could be built, the error page's own included: the
    server's bare 500, without desk's headers, for anyone who sends it."""
    for url in ("/catalogue", "/login", "/no-such-page"):
        response = client.get(url, headers={"Host": host, "Accept-Language": "en"})
        assert response.status_code == 400, url
        assert "<title>Bad request · desk</title>" in response.text
        assert 'href="/login"' in response.text  # its links, relative as always
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
    assert client.get("/login").status_code == 200
