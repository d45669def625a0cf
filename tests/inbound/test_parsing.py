"""Only the new words, from the shapes real clients produce; robots recognised."""

from __future__ import annotations

import base64

import pytest

from desk.inbound.parsing import MalformedMessage, html_to_text, identify, parse
from tests.inbound import samples

ARGS = {
    "sender": "Marie <marie@umontpellier.fr>",
    "to": "desk@univ.fr",
    "subject": "[DEM-2026-000001] X",
}


def test_french_outlook_reply_keeps_only_the_new_words():
    mail = parse(samples.outlook_fr(**ARGS))
    assert mail.text == "Merci, cela fonctionne."
    assert mail.sender == "marie@umontpellier.fr" and mail.auto_reason is None


def test_thunderbird_reply_drops_quote_and_signature():
    assert parse(samples.thunderbird(**ARGS)).text == "I tried again, same error."


def test_gmail_reply_drops_the_french_quote_header():
    assert parse(samples.gmail(**ARGS)).text == "D'accord, je passe demain."


def test_windows_1252_is_decoded():
    text = parse(samples.windows_1252(**ARGS)).text
    assert text == "Le problème persiste : l’écran reste noir… « urgent »"


def test_html_only_becomes_text_without_markup():
    text = parse(samples.html_only(**ARGS)).text
    assert "Voici le numéro de série : SN-1234" in text and "Merci" in text
    for markup in ("<", "alert", "color:red", "onerror"):
        assert markup not in text


def test_html_drops_quoted_blocks():
    assert html_to_text("<p>Oui</p><blockquote>Ancien message</blockquote>") == "Oui"


@pytest.mark.parametrize(
    "header",
    [
        ("Auto-Submitted", "auto-replied"),
        ("Precedence", "bulk"),
        ("Precedence", "junk"),
        ("X-Autoreply", "yes"),
        ("List-Id", "<annonces.umontpellier.fr>"),
    ],
)
def test_robots_are_recognised(header):
    raw = samples.thunderbird(**ARGS).replace(
        b"\r\nSubject:", f"\r\n{header[0]}: {header[1]}\r\nSubject:".encode(), 1
    )
    assert parse(raw).auto_reason == "auto_reply"


def test_auto_submitted_no_is_a_person():
    raw = samples.thunderbird(**ARGS).replace(
        b"\r\nSubject:", b"\r\nAuto-Submitted: no\r\nSubject:", 1
    )
    assert parse(raw).auto_reason is None


def test_exchange_out_of_office_is_an_auto_reply():
    assert parse(samples.exchange_out_of_office(**ARGS)).auto_reason == "auto_reply"


def test_references_are_read_newest_first():
    mail = parse(samples.thunderbird(**ARGS, in_reply_to="<ticket-DEM-2026-000001.notif-9@h>"))
    assert mail.references[0] == "ticket-DEM-2026-000001.notif-9@h"
    assert "ticket-thread@127.0.0.1" in mail.references


def test_garbage_is_refused_with_a_reason():
    with pytest.raises(MalformedMessage):
        parse(b"\x00\x01 not a message at all")


def test_html_newsletter_is_a_robot():
    mail = parse(samples.html_newsletter(**ARGS))
    assert mail.auto_reason == "auto_reply" and mail.text == ""


def test_a_malformed_tree_is_refused_with_its_reason():
    parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(150))
    raw = b"From: a@b.c\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" + parts + b"--b--"
    with pytest.raises(MalformedMessage) as caught:
        parse(raw)
    assert caught.value.reason == "malformed" and caught.value.data == {"what": "parts"}


def test_a_multipart_without_boundary_is_read_leniently():
    mail = parse(b"From: a@b.c\r\nSubject: s\r\nContent-Type: multipart/mixed\r\n\r\nhello\r\n")
    assert mail.attachments == [] and mail.sender == "a@b.c"


@pytest.mark.parametrize("space", [b"\xa0", b"\xc2\xa0", b"\xe9"])
def test_raw_8bit_between_two_addresses_of_a_from_line_gives_no_sender(space):
    """Raw 8-bit Subject and file names are read as text (Latin-1 or UTF-8); a From line is
    not: read so, "marie@univ.fr<NBSP><eve@…>" named marie, whom no server checked."""
    raw = (
        b"From: marie@univ.fr" + space + b"<eve@evil.example>\r\nSubject: Probl\xe8me\r\n\r\nx\r\n"
    )
    mail = parse(raw)
    assert mail.sender == "" and mail.subject == "Problème"


def _labelled(body: bytes, charset: str) -> bytes:
    return (
        b"From: Marie <marie@umontpellier.fr>\r\nTo: desk@univ.fr\r\n"
        b"Subject: [DEM-2026-000001] X\r\nMessage-ID: <lie@univ.fr>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=" + charset.encode() + b"\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body + b"\r\n"
    )


@pytest.mark.parametrize("charset", ["utf-16", "UTF-16LE", "utf-32"])
def test_a_utf16_label_on_8bit_text_is_a_lie(charset):
    # Read as UTF-16, "plain ascii words" became a line of Chinese characters.
    mail = parse(_labelled("Le problème persiste, merci".encode("cp1252"), charset))
    assert mail.text == "Le problème persiste, merci"


def test_real_utf16_text_is_read_as_labelled():
    body = "Le problème persiste, merci".encode("utf-16")
    raw = _labelled(b"", "utf-16").replace(b"8bit", b"base64")
    raw = raw[:-2] + base64.encodebytes(body).replace(b"\n", b"\r\n")
    assert parse(raw).text == "Le problème persiste, merci"


def test_a_failed_message_is_listed_with_its_raw_latin1_subject_readable():
    # A message too broken to read whole is listed by its header alone (identify): its raw
    # 8-bit subject is read as parse() reads it, not as "Probl\ufffdme".
    raw = (
        b"From: Marie <marie@umontpellier.fr>\r\nSubject: Probl\xe8me d'imprimante\r\n"
        b"Message-ID: <broken@univ.fr>\r\n\r\n"
    )
    message_id, _hash, sender, subject = identify(raw)
    assert (message_id, sender, subject) == (
        "broken@univ.fr",
        "marie@umontpellier.fr",
        "Problème d'imprimante",
    )
