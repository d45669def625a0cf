"""The size of what a form may be sent, and what a refused form page gives back.

A form without files (URL-encoded) was held only by the upload limit, 11 MB: every view read,
checked and drew again up to 11 MB of text, and the login page gave a refused 10 MB e-mail back
whole in its field. Now such a body is held to MAX_FORM_BODY_SIZE (1 MB; desk's 413 page in the
reader's language, never a 5xx), each text field of a form with files to MAX_FORM_MEMORY_SIZE
(500 kB) while its files keep their own limit, and a value past twice what its field takes is
not drawn again. Over HTTP (werkzeug's server here, a real gunicorn below), as a browser sends it.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from sqlalchemy import select

from desk.extensions import db
from desk.tickets.models import Attachment
from tests.security.test_gunicorn_fuzz import Browser, _chunked
from tests.support.factories import make_ticket, make_user
from tests.support.processes import running_gunicorn

FR = {b"Accept-Language": b"fr"}
TOO_LARGE_FR = "Envoi trop volumineux"
PDF = b"%PDF-1.4\n"
# A run of the refused value's characters: not in the page when it is not given back.
_RUN = re.compile(rb"(?:q){1000}")


def _port(base_url: str) -> int:
    return int(base_url.rsplit(":", 1)[1])


def _login_form(browser: Browser, email: str) -> bytes:
    browser.send("GET", "/login", headers=FR)
    return f"csrf_token={browser.token}&email={quote(email)}&password=x".encode()


def _assert_desks_413_in_french(answer: tuple[int, bytes, bytes]) -> None:
    status, headers, page = answer
    assert status == 413, re.findall(rb"<h1>.*?</h1>|<p[^>]*>.*?</p>", page)[:5]
    assert b"x-frame-options: deny" in headers.lower()  # desk's page, with its headers
    text = page.decode()
    assert '<html lang="fr"' in text and TOO_LARGE_FR in text


def _check_limits(port: int) -> None:
    """What each test below checks, on the server listening on `port`."""
    browser = Browser(port)
    # Past the form limit: desk's 413 page in French, whole or chunked, at the login form.
    big = _login_form(browser, "q" * 1_100_000 + "@example.org")
    _assert_desks_413_in_french(browser.send("POST", "/login", body=big, headers=FR))
    big = _login_form(browser, "q" * 1_100_000 + "@example.org")
    answer = browser.send("POST", "/login", body=_chunked(big), chunked=True, headers=FR)
    _assert_desks_413_in_french(answer)
    # Under it but past the field's length: refused next to the field, not given back.
    long = _login_form(browser, "q" * 900_000 + "@example.org")
    status, _headers, page = browser.send("POST", "/login", body=long, headers=FR)
    assert status == 400  # the login form's answer to a refused field
    assert "Saisissez une adresse e-mail valide." in page.decode()
    assert not _RUN.search(page)
    assert len(page) < 100_000


def test_a_form_past_its_limit_is_desks_413_and_long_values_are_not_given_back(app, live_server):
    _check_limits(_port(live_server))


@pytest.mark.worker
def test_the_same_under_gunicorn(app, test_env, tmp_path):
    with running_gunicorn(test_env, tmp_path / "gunicorn.log", WEB_CONCURRENCY="1") as port:
        _check_limits(port)


def _multipart(token: str, body: str, file: tuple[str, bytes] | None) -> bytes:
    parts = [
        b'Content-Disposition: form-data; name="csrf_token"\r\n\r\n' + token.encode(),
        b'Content-Disposition: form-data; name="body"\r\n\r\n' + body.encode(),
    ]
    if file is not None:
        name, content = file
        parts.append(
            b'Content-Disposition: form-data; name="attachment"; filename="%s"\r\n'
            b"Content-Type: application/pdf\r\n\r\n" % name.encode() + content
        )
    return b"".join(b"--fuzz\r\n" + p + b"\r\n" for p in parts) + b"--fuzz--\r\n"


MULTIPART = b"multipart/form-data; boundary=fuzz"


def test_a_form_with_files_keeps_its_upload_limit(app_ctx, live_server):
    """A requester's comment with an 8 MB file is saved (the files' limit, 10 MB, not the
    text's); a text field of 600 kB in it is desk's 413; a comment past its 5,000 characters,
    sent without a file, is refused on the page, given back only if a little too long."""
    user = make_user(locale="fr")
    ticket = make_ticket(requester=user)
    browser = Browser(_port(live_server))
    browser.send("GET", "/login")
    body = f"csrf_token={browser.token}&email={quote(user.email)}&password=password".encode()
    assert browser.send("POST", "/login", body=body)[0] == 302
    page = f"/mes-demandes/{ticket.reference}"
    url = f"{page}/commentaire"

    browser.send("GET", page, headers=FR)
    scan = PDF + b"0" * (8 * 1024 * 1024)
    sent = _multipart(browser.token, "Le scan demandé.", ("scan.pdf", scan))
    status, _headers, answer = browser.send(
        "POST", url, body=sent, content_type=MULTIPART, headers=FR
    )
    assert status == 302, answer[:500]
    db.session.expire_all()
    names = db.session.scalars(select(Attachment.filename).where(Attachment.ticket_id == ticket.id))
    assert list(names) == ["scan.pdf"]

    browser.send("GET", page, headers=FR)
    sent = _multipart(browser.token, "q" * 600_000, None)
    answer = browser.send("POST", url, body=sent, content_type=MULTIPART, headers=FR)
    _assert_desks_413_in_french(answer)

    # A little too long comes back to be shortened; past twice the limit, not at all.
    for length, given_back in ((5_001, True), (10_001, False), (400_000, False)):
        browser.send("GET", page, headers=FR)
        sent = f"csrf_token={browser.token}&body={'q' * length}".encode()
        status, _headers, answer = browser.send("POST", url, body=sent, headers=FR)
        assert status in (200, 400), answer[:500]
        assert "caractères au plus" in answer.decode()
        assert bool(re.search(rb"q{%d}" % length, answer)) is given_back, length
        assert given_back or not _RUN.search(answer)
