"""The wire form of a notification e-mail: threaded headers, 7-bit clean, no header injection."""

from __future__ import annotations

import binascii
import re
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.parser import BytesParser

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


def test_message_is_7bit_crlf_multipart_alternative_with_threading_headers(app, monkeypatch):
    # monkeypatch: the app is the session's, and a later test reads the default sender.
    monkeypatch.setitem(
        app.config, "MAIL_FROM", "Centre de services Université <desk@umontpellier.fr>"
    )
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


# --- The bytes are written by desk.notifications.mime itself: what a reader must get back. ---

ENCODED_WORD = re.compile(rb"=\?utf-8\?q\?([^?]*)\?=")


def _header_block(data: bytes) -> list[bytes]:
    return data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


def _assert_wire_limits(data: bytes) -> None:
    """7-bit, CRLF only, every line within 78 characters but unencoded ASCII header lines
    (written unfolded up to 998), encoded words of at most 75 characters holding whole
    UTF-8 characters each (RFC 2047 6.3)."""
    assert data.isascii()
    assert b"\r" not in data.replace(b"\r\n", b"") and b"\n" not in data.replace(b"\r\n", b"")
    headers = _header_block(data)
    for line in data.split(b"\r\n"):
        if len(line) > 78:
            assert line in headers and b"=?" not in line, line
            assert len(line) <= 998
    for word in ENCODED_WORD.finditer(data):
        assert len(word.group(0)) <= 75, word.group(0)
        binascii.a2b_qp(word.group(1), header=True).decode("utf-8")  # no cut character


@pytest.mark.parametrize("character", ["é", "🎓", "中", "’"])
@pytest.mark.parametrize("offset", range(12))
def test_multibyte_characters_at_encoded_word_boundaries_read_back_exactly(app, character, offset):
    # Every offset puts a different byte of the multi-byte characters at each word's limit.
    subject = "[DEM-2026-000001] " + "a" * offset + (character + "b") * 40 + character * 30
    mail = _encode(app, subject=subject)
    _assert_wire_limits(mail.data)
    assert len(ENCODED_WORD.findall(mail.data)) > 2
    assert message_from_bytes(mail.data, policy=policy.default)["Subject"] == subject
    raw = message_from_bytes(mail.data)["Subject"]  # compat32: the encoded words as sent
    assert str(make_header(decode_header(raw))) == subject


def test_a_non_ascii_sender_name_is_one_encoded_word_before_the_address(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FROM", "Direction du numérique 🎓 <desk@up.fr>")
    mail = _encode(app)
    _assert_wire_limits(mail.data)
    word = b"=?utf-8?q?Direction_du_num=C3=A9rique_=F0=9F=8E=93?="
    assert b"\r\nFrom: " + word + b" <desk@up.fr>\r\n" in mail.data
    sender = message_from_bytes(mail.data, policy=policy.default)["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("Direction du numérique 🎓", "desk@up.fr")
    # A longer address, which would not fit on the line, goes to the next one.
    monkeypatch.setitem(app.config, "MAIL_FROM", "Direction du numérique 🎓 <desk@umontpellier.fr>")
    mail = _encode(app)
    assert b"\r\nFrom: " + word + b"\r\n <desk@umontpellier.fr>\r\n" in mail.data
    sender = message_from_bytes(mail.data, policy=policy.default)["From"].addresses[0]
    assert sender.display_name == "Direction du numérique 🎓"


def test_a_long_non_ascii_sender_name_stays_within_the_limits(app, monkeypatch):
    name = "Centre de services numériques de l’Université de Montpellier — pôle assistance"
    monkeypatch.setitem(app.config, "MAIL_FROM", f"{name} <desk@umontpellier.fr>")
    mail = _encode(app)
    _assert_wire_limits(mail.data)
    raw = message_from_bytes(mail.data)["From"]  # a reader that drops the space between words
    assert str(make_header(decode_header(raw))) == f"{name} <desk@umontpellier.fr>"


def test_an_ascii_sender_name_is_quoted_when_it_needs_to_be(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FROM", '"Dupont, Jean (DSI) \\"desk\\"" <desk@up.fr>')
    mail = _encode(app)
    assert b'\r\nFrom: "Dupont, Jean (DSI) \\"desk\\"" <desk@up.fr>\r\n' in mail.data
    sender = message_from_bytes(mail.data, policy=policy.default)["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ('Dupont, Jean (DSI) "desk"', "desk@up.fr")


AWKWARD_BODY = "\n".join(
    [
        "x" * 76,
        "y" * 77,
        "é" * 40,
        "a" * 74 + " ",  # b2a_qp alone makes this one 77 characters long once encoded
        "b" * 73 + "\t",
        "c" * 75 + " ",
        "trailing spaces   ",
        "tabs\t\t",
        " ",
        ".",
        ".leading dot",
        "From the desk",
        "From ",
        "a=b == c =20 =3D =",
        "=",
        "-- ",
        "--===============1234567890123456789==",
        "",
        "mot " * 40,
        "\x00\x0b\x0c\x7f\x85\u2028 end",
    ]
)


@pytest.mark.parametrize("ending", ["", "\n", " ", "\t", "\r\n"])
def test_awkward_bodies_read_back_exactly(app, ending):
    text, html = AWKWARD_BODY + ending, "<pre>\n" + AWKWARD_BODY + ending
    mail = _encode(app, text=text, html=html)
    _assert_wire_limits(mail.data)
    parts = message_from_bytes(mail.data).get_payload()
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    for part, body in zip(parts, (text, html), strict=True):
        expected = body.replace("\r\n", "\n")
        expected = (expected if expected.endswith("\n") else expected + "\n").replace("\n", "\r\n")
        assert part.get_payload(decode=True) == expected.encode()
        encoded = part.get_payload()
        assert max(len(line) for line in encoded.split("\r\n")) <= 76


def test_a_lone_carriage_return_is_a_line_break_not_a_raw_cr(app):
    mail = _encode(app, text="one\rtwo\r\nthree\nfour\r")
    _assert_wire_limits(mail.data)
    text = message_from_bytes(mail.data).get_payload()[0].get_payload(decode=True)
    assert text == b"one\r\ntwo\r\nthree\r\nfour\r\n"


def test_the_boundary_delimits_exactly_two_parts_whatever_the_bodies_say(app):
    mail = _encode(app, text="--===============0000000000000000001==\n--\n", html="-- \n")
    (boundary,) = re.findall(rb'boundary="(=+\d{19}==)"', mail.data)
    assert mail.data.count(b"\r\n--" + boundary + b"\r\n") == 2
    assert mail.data.endswith(b"\r\n--" + boundary + b"--\r\n")
    assert mail.data.count(b"--" + boundary) == 3


def test_a_typical_french_notification_parses_back_with_the_modern_parser(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FROM", "Centre de services Université <desk@up.fr>")
    subject = "[DEM-2026-004217] Nouvelle réponse : Problème d’accès à la messagerie 🎓 中文"
    text = (
        "Bonjour Claire,\n\nVotre compte a été débloqué à 14 h 20.\n\n-- \nCentre de services\n" * 8
    )
    html = "<p>Bonjour Claire,</p>\n<blockquote>Votre compte a été débloqué.</blockquote>\n" * 20
    mail = _encode(app, subject=subject, text=text, html=html)
    _assert_wire_limits(mail.data)
    message = BytesParser(policy=policy.default).parsebytes(mail.data)
    assert message["MIME-Version"] == "1.0" and mail.data.count(b"MIME-Version") == 1
    assert message["Subject"] == subject
    assert message["From"].addresses[0].display_name == "Centre de services Université"
    assert message["Date"].datetime.tzinfo is not None
    assert [name for name, _ in message.items()][-len(HEADERS) :] == list(HEADERS)
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == text
    assert message.get_body(("html",)).get_content().replace("\r\n", "\n") == html
    for part in message.iter_parts():
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
        assert part.get_content_charset() == "utf-8" and part["MIME-Version"] is None


@pytest.mark.parametrize("separator", ["\v", "\f", "\x1c", "\x85", "\u2028"])
def test_any_line_separator_in_a_header_value_is_refused(app, separator):
    # str.splitlines() breaks there: compat32 code re-folding the message would start a line.
    with pytest.raises(ValueError):
        _encode(app, headers={**HEADERS, "References": f"<a@b>{separator}Bcc: victim@x.org"})


def test_an_ascii_header_over_998_characters_is_folded_at_spaces(app):
    references = " ".join(f"<ticket-DEM-2026-{n:06d}@desk.example>" for n in range(40))
    mail = _encode(app, headers={**HEADERS, "References": references})
    assert max(len(line) for line in mail.data.split(b"\r\n")) <= 998
    assert b"\r\n <ticket-DEM-2026-" in mail.data
    assert message_from_bytes(mail.data, policy=policy.default)["References"] == references


@pytest.mark.parametrize(
    "reply_to", ["support@univ.example\r\nBcc: x@evil.example", "pas-une-adresse"]
)
def test_an_unusable_reply_to_is_left_out_and_the_mail_still_goes(app, reply_to):
    """An answer about no ticket leads back to the queue's address, which the reference file
    does not check: a bad one is dropped, not written nor a reason to fail the answer."""
    from desk.notifications.mailer import build_message

    with app.app_context():
        mail = build_message(
            notification_id=1,
            reference="digest",
            to="claire@umontpellier.fr",
            subject="s",
            text="t",
            html="<p>t</p>",
            reply_to=reply_to,
        )
    message = message_from_bytes(mail.data, policy=policy.default)
    assert message["Reply-To"] is None and message["Bcc"] is None
