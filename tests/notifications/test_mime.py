"""The wire form of a notification e-mail: threaded headers, 7-bit clean, no header injection."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from desk.notifications.mime import InvalidAddress, encode

HEADERS = {
    "Message-ID": "<ticket-DEM-2026-000001.notif-7@desk.example>",
    "In-Reply-To": "<ticket-DEM-2026-000001@desk.example>",
    "References": "<ticket-DEM-2026-000001@desk.example>",
    "Auto-Submitted": "auto-generated",
}


def _encode(app, **overrides):
    values = {
        "to": "claire.martin@umontpellier.fr",
        "subject": "Votre demande « Wi‑Fi » est reçue",
        "text": "Bonjour Claire,\n.\nUne ligne qui commence par un point, et des accents : éàç.\n",
        "html": "<p>Bonjour Claire, é</p>",
        "headers": HEADERS,
    }
    values.update(overrides)
    with app.app_context():
        return encode(**values)


def test_message_is_7bit_crlf_multipart_alternative_with_threading_headers(app):
    app.config["MAIL_FROM"] = "Centre de services Université <desk@umontpellier.fr>"
    mail = _encode(app)
    assert mail.sender == "desk@umontpellier.fr"
    assert mail.data.isascii()
    assert b"\r\n" in mail.data and b"\n" not in mail.data.replace(b"\r\n", b"")
    message = message_from_bytes(mail.data, policy=policy.default)
    assert message.get_content_type() == "multipart/alternative"
    for name, value in HEADERS.items():
        assert message[name] == value
    assert message["Subject"] == "Votre demande « Wi‑Fi » est reçue"
    assert message["From"].addresses[0].display_name == "Centre de services Université"
    text = message.get_body(("plain",))
    assert text["Content-Transfer-Encoding"] == "quoted-printable"
    assert text.get_content().replace("\r\n", "\n") == _text()  # CRLF on the wire
    html = message.get_body(("html",)).get_content()
    assert html.replace("\r\n", "\n") == "<p>Bonjour Claire, é</p>\n"


def _text() -> str:
    return "Bonjour Claire,\n.\nUne ligne qui commence par un point, et des accents : éàç.\n"


def test_a_long_mixed_subject_reads_back_exactly(app):
    subject = "[DEM-2026-900001] Nouveau ticket dans votre file : Imprimante bloquée " * 3
    mail = _encode(app, subject=subject)
    message = message_from_bytes(mail.data, policy=policy.default)
    assert message["Subject"] == subject.strip()
    assert max(len(line) for line in mail.data.split(b"\r\n")) <= 998


def test_a_subject_cannot_add_headers(app):
    mail = _encode(app, subject="Imprimante\r\nBcc: victim@example.org\nX-Evil: 1")
    message = message_from_bytes(mail.data, policy=policy.default)
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert message["Subject"] == "Imprimante Bcc: victim@example.org X-Evil: 1"


@pytest.mark.parametrize(
    "to", ["", "a@b", "two@example.org, three@example.org", "é@example.org", "x@y.org\r\nBcc: z"]
)
def test_unusable_recipients_are_refused(app, to):
    with pytest.raises(InvalidAddress):
        _encode(app, to=to)


def test_a_header_value_on_two_lines_is_refused(app):
    with pytest.raises(ValueError):
        _encode(app, headers={**HEADERS, "References": "<a@b>\r\nBcc: victim@example.org"})


def test_a_long_text_body_stays_within_smtp_line_limits(app):
    text = "é" * 5000 + "\n" + "mot " * 3000
    mail = _encode(app, text=text)
    assert mail.data.isascii()
    message = message_from_bytes(mail.data, policy=policy.default)
    encoded = message.get_body(("plain",)).get_payload()  # quoted-printable, as on the wire
    assert max(len(line) for line in encoded.splitlines()) <= 76
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == text + "\n"


def test_encoded_words_stay_within_rfc_2047s_75_characters(app):
    import re

    subject = "[DEM-2026-000001] Nouveau ticket : Association d’un compte Zoom à la licence " * 2
    mail = _encode(app, subject=subject)
    words = re.findall(rb"=\?utf-8\?q\?[^?]*\?=", mail.data)
    assert words and max(len(w) for w in words) <= 75
    message = message_from_bytes(mail.data, policy=policy.default)
    assert message["Subject"] == " ".join(subject.split())
