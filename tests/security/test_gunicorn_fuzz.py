"""Every route of `app.url_map`, over a real gunicorn, sent hostile values: never a 5xx, never a
stack trace, never an ERROR line.

test_fuzz.py, test_fuzz_fields.py and test_raw_requests.py send the same kinds of values
through werkzeug's test client, which builds the WSGI environ itself. Here the bytes go over a
socket and gunicorn parses them, as in production: NUL and invalid UTF-8 percent-encoded in the
query, the path and the form, raw bytes that are not UTF-8 in cookies, headers and multipart
parts, numbers past every column and past float, a 10 MB field (also chunked); as someone not
signed in, a requester, a technician and an administrator, with a valid CSRF token so that
forms run past it. The form fields are the ones the route's own page draws (`name="..."`), and
a few every view reads. It found nothing on 2026-12-07; it fails when the NUL check of
desk.core.input is taken out (on PostgreSQL).
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
from urllib.parse import quote

import pytest

from tests.security.access_world import build_access_world
from tests.security.test_authorization_matrix import _build, _routes, params
from tests.security.test_raw_requests import _destructive
from tests.support.processes import not_json_lines, running_gunicorn

QUERY_NAMES = (
    "q", "page", "after", "site", "to", "from", "status", "sort", "pour", "next", "queue",
    "category", "assignee", "type", "days", "year", "month", "lang", "format", "id",
)  # fmt: skip
VALUES = {
    "NUL": "%00",
    "invalid UTF-8": "%FF%FE",
    "broken UTF-8": "%C3%28",
    "huge number": "9" * 40,
    "negative": "-99999999999999999999",
    "past float": "1e309",
    "lone surrogate": "%ED%A0%80",
}
# In place of every path parameter (the int converter's too).
PATH_VALUES = ("%FF%00", "9" * 40, "%ED%A0%80", "..%2F..%2Fetc%2Fpasswd", "%C3%28", "-1")
BAD_HEADERS = {
    b"Accept-Language": b"\xff\xfe;q=x",
    b"Referer": b"\xff",
    b"X-Request-ID": b"\xff",  # \x01 would be refused by gunicorn (test_server_refusals.py)
    b"User-Agent": b"\xff",
    b"If-Modified-Since": b"\xff",
    b"If-None-Match": b"\xff",
    b"Range": b"bytes=99999999999999999999-",
    b"Authorization": b"Bearer \xff",
    b"X-Forwarded-For": b"\xff, 999.999.999.999",
    b"Accept": b"\xff/\xff",
}
JUNK_COOKIES = b"; x=\xff\xfe; remember_token=\xff\xfe|\xc3(; session=garbage"
BIG = 10 * 1024 * 1024
_NAME = re.compile(r'name="([^"]+)"')


class Browser:
    """A client over raw sockets that keeps its cookies."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.token = ""

    def send(
        self,
        method: str,
        target: str,
        *,
        body: bytes | None = None,
        headers: dict[bytes, bytes] | None = None,
        cookie_extra: bytes = b"",
        content_type: bytes = b"application/x-www-form-urlencoded",
        chunked: bool = False,
    ) -> tuple[int, bytes, bytes]:
        head = [f"{method} {target} HTTP/1.1".encode(), b"Host: 127.0.0.1", b"Connection: close"]
        all_headers = {b"Accept-Language": b"en", **(headers or {})}
        head += [name + b": " + value for name, value in all_headers.items()]
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items()).encode() + cookie_extra
        if cookie:
            head.append(b"Cookie: " + cookie)
        if body is not None:
            head.append(b"Content-Type: " + content_type)
            length = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % len(body)
            head.append(length)
        data = b"\r\n".join(head) + b"\r\n\r\n" + (body or b"")
        answer = _exchange(self.port, data)
        status_line, _sep, rest = answer.partition(b"\r\n")
        headers_blob, _sep, page = rest.partition(b"\r\n\r\n")
        for line in headers_blob.split(b"\r\n"):
            if line.lower().startswith(b"set-cookie:"):
                pair = line.split(b":", 1)[1].split(b";", 1)[0].strip().decode("latin-1")
                name, _eq, value = pair.partition("=")
                if value and b"1970" not in line:
                    self.cookies[name] = value
                else:
                    self.cookies.pop(name, None)
        try:
            status = int(status_line.split()[1])
        except (IndexError, ValueError):
            status = 0  # no answer at all
        if b'name="csrf_token"' in page:
            match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
            if match:
                self.token = match.group(1).decode()
        return status, headers_blob, page


def _exchange(port: int, data: bytes) -> bytes:
    """Send `data` (from a thread: a server that answers before reading a large body closes
    on it) and read the whole answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=120)

    def send() -> None:
        with contextlib.suppress(OSError):
            sock.sendall(data)

    sender = threading.Thread(target=send)
    sender.start()
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except OSError:
        pass
    sender.join()
    sock.close()
    return answer


def _field_names(page: bytes) -> list[str]:
    names = {n for n in _NAME.findall(page.decode("utf-8", "replace")) if n != "csrf_token"}
    return sorted(names | {"body", "name", "email", "q", "next", "pour"})


def _form(token: str, names: list[str], value: str) -> bytes:
    return "&".join([f"csrf_token={token}"] + [f"{quote(n)}={value}" for n in names]).encode()


def _chunked(body: bytes, size: int = 65536) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


MULTIPART = b"multipart/form-data; boundary=fuzz"


def _multipart(token: str, names: list[str]) -> bytes:
    """Every field as a file part named with NUL, invalid UTF-8 and a path, its content NUL
    and raw bytes, after the token."""
    parts = [b'Content-Disposition: form-data; name="csrf_token"\r\n\r\n' + token.encode()]
    for name in names:
        parts.append(
            b'Content-Disposition: form-data; name="%s"; filename="..\\\xff\x00a.txt"\r\n'
            b"Content-Type: \xff/\xfe\r\n\r\n\x00\xff\xfe" % name.encode()
        )
    return b"".join(b"--fuzz\r\n" + p + b"\r\n" for p in parts) + b"--fuzz--\r\n"


def _sign_in(browser: Browser, email: str) -> None:
    browser.send("GET", "/login")
    body = f"csrf_token={browser.token}&email={quote(email)}&password=password".encode()
    assert browser.send("POST", "/login", body=body)[0] == 302, email


def _check(problems: list[str], what: str, answer: tuple[int, bytes, bytes]) -> int:
    status, headers, page = answer
    if status == 0 or status >= 500 or b"Traceback" in page:
        problems.append(f"{what}: {status}")
    elif b"x-frame-options" not in headers.lower():
        problems.append(f"{what}: {status} without desk's headers")
    return status


@pytest.mark.worker
def test_every_route_over_gunicorn_survives_hostile_bytes(app, app_ctx, test_env, tmp_path):
    world = build_access_world()
    log = tmp_path / "gunicorn.log"
    problems: list[str] = []
    statuses: list[int] = []
    with running_gunicorn(test_env, log, WEB_CONCURRENCY="2") as port:
        routes = sorted(_routes(app), key=lambda r: (r[0] == "/logout", _destructive(r[0]), r))
        for role in ("anonymous", "requester_a", "tech_queue", "admin"):
            browser = Browser(port)
            browser.send("GET", "/login")
            if role != "anonymous":
                _sign_in(browser, world.users[role].email)
            for rule_text, method in routes:
                rule = next(r for r in app.url_map.iter_rules() if r.rule == rule_text)
                url = _build(app, rule, params(world, rule_text))
                what = f"{method} {url} as {role}"
                page = browser.send("GET", url)
                names = _field_names(page[2]) if page[0] == 200 else _field_names(b"")
                if method == "GET":
                    for kind, value in VALUES.items():
                        query = "&".join(f"{n}={value}" for n in (*QUERY_NAMES, *names))
                        answer = browser.send("GET", f"{url}?{query}")
                        statuses.append(_check(problems, f"{what} {kind}", answer))
                    answer = browser.send("GET", url, headers=BAD_HEADERS)
                    _check(problems, f"{what} headers", answer)
                    answer = browser.send("GET", url, cookie_extra=JUNK_COOKIES)
                    _check(problems, f"{what} cookies", answer)
                    if rule.arguments and role != "anonymous":
                        for segment in PATH_VALUES:
                            hostile = re.sub(r"<[^>]+>", segment, rule_text)
                            answer = browser.send("GET", hostile)
                            _check(problems, f"GET {hostile} as {role}", answer)
                    for other in ("HEAD", "OPTIONS", "PUT", "DELETE", "PROPFIND"):
                        _check(problems, f"{other} {url} as {role}", browser.send(other, url))
                    continue
                if _destructive(url) and role != "anonymous":
                    continue  # would end the sweep's own session or world
                for kind, value in VALUES.items():
                    body = _form(browser.token, names, value)
                    answer = browser.send("POST", url, body=body)
                    statuses.append(_check(problems, f"{what} {kind}", answer))
                raw = _form(browser.token, names, "").replace(b"=&", b"=\xff\xfe&")
                _check(problems, f"{what} raw bytes", browser.send("POST", url, body=raw))
                if role == "admin":
                    big = _form(browser.token, names[:1], "a" * BIG)
                    _check(problems, f"{what} 10 MB", browser.send("POST", url, body=big))
                    chunked = _chunked(big)
                    answer = browser.send("POST", url, body=chunked, chunked=True)
                    _check(problems, f"{what} 10 MB chunked", answer)
                answer = browser.send(
                    "POST", url, body=_chunked(_form(browser.token, names, "%00")), chunked=True
                )
                _check(problems, f"{what} chunked NUL", answer)
                multipart = _multipart(browser.token, names)
                answer = browser.send("POST", url, body=multipart, content_type=MULTIPART)
                _check(problems, f"{what} multipart", answer)
                answer = browser.send(
                    "POST", url, body=_form(browser.token, names, "1"), headers=BAD_HEADERS
                )
                _check(problems, f"{what} headers", answer)
                answer = browser.send(
                    "POST",
                    url,
                    body=_form(browser.token, names, "%E9"),
                    content_type=b"application/x-www-form-urlencoded; charset=\xff",
                    cookie_extra=JUNK_COOKIES,
                )
                _check(problems, f"{what} charset and cookies", answer)
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    errors = [
        f"{e.get('message')} {e.get('exc_info', '')[-300:]}"
        for e in entries
        if e["level"] in ("ERROR", "CRITICAL")
    ]
    assert problems == []
    assert errors == []
    assert not_json_lines(log.read_text()) == []  # nothing a log pipeline would drop
    assert statuses.count(200) > 50  # the sweep reached the pages, not only refusals
