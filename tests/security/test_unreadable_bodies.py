"""Request bodies gunicorn cannot read (a chunked body that breaks its framing, or that the
connection ends): a 400 page, never a 500.

Only a real gunicorn shows it: werkzeug's test client always sends a whole body with its
length. gunicorn hands a chunked body to the app unread and raises its own errors
(`InvalidChunkSize`, `ChunkMissingTerminator`) where the form is first read, in desk's first
hook on every POST: each was a 500 and an ERROR line, "unhandled error", for a client's
mistake, where a body cut short was already a 400 (kept here, with the others).
"""

from __future__ import annotations

import json
import socket

import pytest

from tests.support.processes import running_gunicorn

HEAD = (
    b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
)
BROKEN = {
    "chunk size not hexadecimal": HEAD + b"zz\r\nemail\r\n0\r\n\r\n",
    "chunk without its CRLF": HEAD + b"5\r\nemailXX0\r\n\r\n",
    "connection ends in a chunk": HEAD + b"100\r\nemail=a",
}


def _send(port: int, data: bytes) -> tuple[str, str]:
    """The status line and the headers (lower-cased) gunicorn answered `data` with."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    status, _sep, headers = head.partition("\r\n")
    return status, headers.lower()


@pytest.mark.worker
def test_a_broken_chunked_body_is_a_400_page_under_gunicorn(app, test_env, tmp_path):
    log = tmp_path / "gunicorn.log"
    with running_gunicorn(test_env, log, WEB_CONCURRENCY="1") as port:
        answers = {name: _send(port, body) for name, body in BROKEN.items()}
    for name, (status, headers) in answers.items():
        assert status == "HTTP/1.1 400 BAD REQUEST", (name, status)  # desk's, not gunicorn's
        assert "x-frame-options: deny" in headers, name
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    errors = [e["message"] for e in entries if e["level"] in ("ERROR", "CRITICAL")]
    assert errors == []
    statuses = [e.get("status") for e in entries if e["logger"] == "desk.access"]
    assert statuses.count(400) == len(BROKEN)
