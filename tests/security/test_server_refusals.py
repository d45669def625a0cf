"""Requests gunicorn refuses before desk's app sees them: desk's own error page, never
gunicorn's bare English one.

gunicorn parses the request line and headers itself and answered what it could not parse
from its worker's `handle_error`: "Bad Request" and its parser's message, in English, without
desk's look, security headers or log line, and 501 (a 5xx) for a transfer coding it does not
know. gunicorn.conf.py's worker (DeskWorker) now hands them to the app (desk.core.refused).
Only a real gunicorn shows it; each request below reached `handle_error` (checked with gunicorn's
own sync worker, `-k sync`, before the fix).
"""

from __future__ import annotations

import json
import socket

import pytest

from tests.support.processes import running_gunicorn


def _head(language: bytes) -> bytes:
    return b"Host: 127.0.0.1\r\nAccept-Language: " + language + b"\r\nX-Request-ID: refused-1\r\n"


def _cases(language: bytes) -> dict[str, tuple[bytes, int]]:
    """Name → (raw request, the status desk answers it with)."""
    h = _head(language)
    post = b"POST /login HTTP/1.1\r\n" + h
    return {
        "request line": (b"GARBAGE\r\n" + h + b"\r\n", 400),
        "method": (b"G(T / HTTP/1.1\r\n" + h + b"\r\n", 400),
        "lower-case method": (b"get / HTTP/1.1\r\n" + h + b"\r\n", 400),
        "HTTP version": (b"GET / HTTP/9.9\r\n" + h + b"\r\n", 400),
        "NUL in the path": (b"GET /\x00 HTTP/1.1\r\n" + h + b"\r\n", 400),
        "space in the path": (b"GET /a b HTTP/1.1\r\n" + h + b"\r\n", 400),
        # The headers come after a line over gunicorn's limit: read after it, for the language.
        "request line too long": (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n" + h + b"\r\n", 414),
        "header too long": (b"GET / HTTP/1.1\r\n" + h + b"X-A: " + b"a" * 9000 + b"\r\n\r\n", 431),
        "cookie too long": (
            b"GET / HTTP/1.1\r\n" + h + b"Cookie: a=" + b"b" * 9000 + b"\r\n\r\n",
            431,
        ),
        "too many headers": (
            b"GET / HTTP/1.1\r\n" + h + b"".join(b"X-%d: 1\r\n" % i for i in range(120)) + b"\r\n",
            431,
        ),
        "header name": (b"GET / HTTP/1.1\r\n" + h + b"X(A): 1\r\n\r\n", 400),
        "NUL in a header": (b"GET / HTTP/1.1\r\n" + h + b"X-A: a\x00b\r\n\r\n", 400),
        "NUL in the cookie": (b"GET / HTTP/1.1\r\n" + h + b"Cookie: session=\xff\x00\r\n\r\n", 400),
        "header without a colon": (b"GET / HTTP/1.1\r\n" + h + b"XA\r\n\r\n", 400),
        "folded header": (b"GET / HTTP/1.1\r\n" + h + b"X-A: 1\r\n  more\r\n\r\n", 400),
        "Content-Length not a number": (post + b"Content-Length: abc\r\n\r\n", 400),
        "negative Content-Length": (post + b"Content-Length: -1\r\n\r\n", 400),
        "two Content-Lengths": (post + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
        "chunked and a length": (
            post + b"Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
        ),
        "unknown transfer coding (gunicorn's 501)": (
            post + b"Transfer-Encoding: foo\r\n\r\n",
            400,
        ),
        "Expect": (b"GET / HTTP/1.1\r\n" + h + b"Expect: 200-ok\r\n\r\n", 417),
        "scheme headers that disagree": (
            b"GET / HTTP/1.1\r\n" + h + b"X-Forwarded-Proto: https\r\nX-Forwarded-Ssl: off\r\n\r\n",
            400,
        ),
        "HTTP/2 preface": (b"PRI * HTTP/2.0\r\n" + h + b"\r\nSM\r\n\r\n", 400),
    }


def _send(port: int, data: bytes) -> tuple[str, str, str]:
    """The status line, the headers (lower-cased) and the body gunicorn answered `data` with."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _sep, body = answer.partition(b"\r\n\r\n")
    status, _sep, headers = head.decode("latin-1").partition("\r\n")
    return status, headers.lower(), body.decode()


@pytest.mark.worker
def test_requests_gunicorn_refuses_get_desks_page_in_the_readers_language(app, test_env, tmp_path):
    log = tmp_path / "gunicorn.log"
    with running_gunicorn(test_env, log, WEB_CONCURRENCY="1") as port:
        answers = {
            (name, language): (_send(port, data), status)
            for language in ("fr", "en")
            for name, (data, status) in _cases(language.encode()).items()
        }
    problems = []
    for (name, language), ((line, headers, body), status) in answers.items():
        what = f"{name} ({language})"
        if not line.startswith(f"HTTP/1.1 {status} ") or line.endswith("Bad Request"):
            problems.append(f"{what}: {line}")  # gunicorn's reason is "Bad Request", desk's BAD
            continue
        for header in ("x-frame-options: deny", "content-security-policy:", "connection: close"):
            if header not in headers:
                problems.append(f"{what}: no {header}")
        if "x-request-id: refused-1" not in headers:
            problems.append(f"{what}: the proxy's request id is lost")
        if f'<html lang="{language}"' not in body or 'class="card narrow error-page"' not in body:
            problems.append(f"{what}: not desk's page in {language}")
        title = "Requête incorrecte" if language == "fr" else "Bad request"
        if status == 400 and f"<h1>{title}</h1>" not in body:
            problems.append(f"{what}: no {title!r}")
    assert problems == []
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert [e for e in entries if e["level"] in ("ERROR", "CRITICAL")] == []
    refusals = [e for e in entries if e["logger"] == "desk.core.refused"]
    assert len(refusals) == len(answers)
    assert {e["request_id"] for e in refusals} == {"refused-1"}
    refused = [e for e in entries if e.get("request_id") == "refused-1"]
    accessed = [e["status"] for e in entries if e["logger"] == "desk.access" and e in refused]
    assert sorted(accessed) == sorted(status for _answer, status in answers.values())


# Raw request → the method and path its log lines name (what the worker could read of it).
LOGGED = {
    b"G(T /x HTTP/1.1\r\n": ("G(T", "/x"),
    b"GARBAGE\r\n": ("GARBAGE", "-"),
    b"GET /a\x00b?q=1 HTTP/1.1\r\n": ("GET", "/a\\x00b"),
    b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n": ("GET", "/" + "a" * 511 + "…"),
    b"POST /login?next=/ HTTP/1.1\r\nContent-Length: abc\r\n": ("POST", "/login"),
    # A signed link's token is a credential: hidden, as on every other log line.
    b"GET /evaluation/s3cret-token HTTP/1.1\r\nX(A): 1\r\n": ("GET", "/evaluation/[hidden]"),
}


@pytest.mark.worker
def test_refused_requests_are_logged_as_sent(app, test_env, tmp_path):
    """The access line of a refused request names its method and path, not the GET of "/"
    the worker hands the app in its place; the refusal's INFO line names them too."""
    log = tmp_path / "gunicorn.log"
    ids = {}
    with running_gunicorn(test_env, log, WEB_CONCURRENCY="1") as port:
        for i, (line, expected) in enumerate(LOGGED.items()):
            ids[f"logged-{i}"] = expected
            _send(port, line + b"Host: 127.0.0.1\r\nX-Request-ID: logged-%d\r\n\r\n" % i)
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    access = {e["request_id"]: e for e in entries if e["logger"] == "desk.access"}
    refusals = {e["request_id"]: e for e in entries if e["logger"] == "desk.core.refused"}
    for rid, (method, path) in ids.items():
        assert (access[rid]["method"], access[rid]["path"]) == (method, path)
        assert access[rid]["status"] in (400, 414, 431)
        assert access[rid]["message"] == f"{method} {path} {access[rid]['status']}"
        assert (refusals[rid]["method"], refusals[rid]["path"]) == (method, path)
    assert "s3cret-token" not in log.read_text()
