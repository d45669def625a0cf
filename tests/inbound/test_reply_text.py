"""The new words of answers whose history mail-parser-reply did not see, the text of
format=flowed parts, senders that are not what they seem and robots without RFC 3834: read
by the pure functions, each as a client or a server writes it."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

import pytest

from desk.inbound.flowed import unflowed
from desk.inbound.headers import content_hash, sender_of
from desk.inbound.parsing import html_to_text, parse
from desk.inbound.replies import new_words
from desk.inbound.robots import automatic

HISTORY = "Bonjour Marie Dupont,\nVotre demande est enregistrée.\n"


@pytest.mark.parametrize(
    "header",
    [
        # Outlook for Windows: a no-break space before each colon, the whole history was kept.
        "De\xa0: Centre de services <desk@univ.fr>\nEnvoyé\xa0: lundi 7 décembre 2026 10:00\n"
        "À\xa0: Marie Dupont <marie@univ.fr>\nObjet\xa0: RE: [DEM-2026-000001] Imprimante\n",
        # Outlook for Mac and for Android: a "Date :" line, the "De : / Date :" lines were kept.
        "De : Centre de services <desk@univ.fr>\nDate : lundi 7 décembre 2026 à 10:00\n"
        "À : Marie Dupont <marie@univ.fr>\nObjet : [DEM-2026-000001] Imprimante\n",
        # German Outlook (its "AW:"), and a French client without the space before the colon.
        "Von: Centre de services <desk@univ.fr>\nGesendet: Montag, 7. Dezember 2026 10:00\n"
        "An: Marie Dupont\nBetreff: AW: [DEM-2026-000001] Imprimante\n",
        "De: Centre de services <desk@univ.fr>\nEnvoyé: lundi 7 décembre 2026 10:00\n"
        "À: Marie Dupont\nObjet: RE: [DEM-2026-000001] Imprimante\n",
    ],
)
def test_the_header_block_of_every_outlook_starts_the_history(header):
    assert new_words(f"C'est réparé, merci.\n\n{header}\n{HISTORY}") == "C'est réparé, merci."
    assert new_words(f"\n{header}\n{HISTORY}") == ""  # nothing typed: nothing kept


def test_typed_words_that_start_like_a_header_are_kept():
    words = "De : mon côté c'est réglé.\nDate : à voir avec Paul.\n\nMerci !"
    assert new_words(words) == words


@pytest.mark.parametrize(
    "attribution",
    [
        # A long sender's name: Gmail's 78 columns take the attribution over three lines...
        "Le lun. 7 déc. 2026 à 10:00, Centre de services numériques de\n"
        "l'Université de Montpellier <desk+DEM-2026-000001.0123456789abcdef@univ.fr>\n"
        "a écrit :",
        # ...and may cut inside "a écrit".
        "Le lun. 7 déc. 2026 à 10:00, Centre de services numériques de l'Université\n"
        "de Montpellier <desk+DEM-2026-000001.0123456789abcdef@univ.fr> a\nécrit :",
        "On Mon, Dec 7, 2026 at 10:00 AM Centre de services numériques de l'Université\n"
        "de Montpellier <desk+DEM-2026-000001.0123456789abcdef@univ.fr>\nwrote:",
    ],
)
def test_an_attribution_wrapped_over_three_lines_is_cut(attribution):
    assert new_words(f"Oui, c'est bon.\n\n{attribution}\n\n> Bonjour,\n> Quel modèle ?\n") == (
        "Oui, c'est bon."
    )


def test_a_phone_app_signature_is_cut():
    assert new_words("C'est fait.\n\nEnvoyé depuis l'application Mail Orange\n") == "C'est fait."


def test_outlook_on_the_web_history_after_appendonsend_is_dropped():
    html = (
        "<html><body><div>Merci, c'est réparé.</div><div><br></div><div id='appendonsend'>"
        "</div><hr><div id='divRplyFwdMsg'><b>De :</b> Centre de services<br><b>Envoyé :</b>"
        " lundi</div><div><div><p>Bonjour Marie Dupont,</p><p>Quel modèle ?</p></div></div>"
        "</body></html>"
    )
    assert html_to_text(html) == "Merci, c'est réparé."
    assert "Quel modèle ?" in html_to_text(html, quoted=True)  # a forward keeps it


def test_format_flowed_paragraphs_are_joined_and_quotes_keep_their_depth():
    text = (
        "Bonjour, l'imprimante du 2e étage affiche toujours le même \n"
        "message d'erreur.\n\n> Avez-vous essayé de \n> la redémarrer ?\n>> Le \n>> 1er\n"
        "-- \nMarie\n"
    )
    assert unflowed(text) == (
        "Bonjour, l'imprimante du 2e étage affiche toujours le même message d'erreur.\n\n"
        "> Avez-vous essayé de la redémarrer ?\n>> Le 1er\n-- \nMarie\n"
    )
    assert unflowed("un mot \ncoupé\n", delsp=True) == "un motcoupé\n"


def test_a_format_flowed_message_reads_as_typed():
    raw = (
        "From: marie@univ.fr\r\nTo: desk@univ.fr\r\nSubject: Re: x\r\nMessage-ID: <f@x>\r\n"
        "Content-Type: text/plain; charset=UTF-8; format=flowed\r\n\r\n"
        "Le poste 12 ne d\xe9marre toujours pas malgr\xe9 le changement de la carte \r\n"
        "m\xe8re.\r\n\r\nLe 07/12/2026 \xe0 10:00, Centre de services a \xe9crit\u00a0:\r\n"
        "> Bonjour,\r\n"
    ).encode()
    assert parse(raw).text == (
        "Le poste 12 ne démarre toujours pas malgré le changement de la carte mère."
    )


def _message(from_line: str) -> object:
    return message_from_bytes(f"From: {from_line}\r\n\r\nx".encode(), policy=default)


@pytest.mark.parametrize(
    "from_line",
    [
        "marie@univ.fr <eve@evil.example>",  # Python reads marie, a DMARC check eve
        "<marie@univ.fr> <eve@evil.example>",
        "Marie <marie@univ.fr>@evil.example",
        "marie@univ.fr, eve@evil.example",
        "=?utf-8?q?marie=40univ.fr?=",  # an address no server could check
    ],
)
def test_an_ambiguous_from_line_names_nobody(from_line):
    assert sender_of(_message(from_line)) == ""


@pytest.mark.parametrize(
    ("from_line", "sender"),
    [
        ("Marie Dupont <Marie@Univ.fr>", "marie@univ.fr"),
        ('"Marie Dupont <marie@univ.fr>" <eve@evil.example>', "eve@evil.example"),
        ("=?utf-8?q?marie=40univ.fr?= <eve@evil.example>", "eve@evil.example"),
        ("=?iso-8859-1?q?Fran=E7oise?= <francoise@univ.fr>", "francoise@univ.fr"),
        ("Marie Dupont <marie@univ.fr", "marie@univ.fr"),  # broken, not ambiguous
    ],
)
def test_the_from_line_names_its_one_address(from_line, sender):
    assert sender_of(_message(from_line)) == sender


def test_two_deliveries_of_one_message_have_one_content_hash():
    sent = b"From: marie@univ.fr\r\nSubject: Re: x\r\nMessage-ID: <a@x>\r\n\r\nMerci.\r\n"
    first = b"Delivered-To: desk+DEM@univ.fr\r\nReceived: from a\r\n" + sent
    second = b"Return-Path: <marie@univ.fr>\nDelivered-To: aide@univ.fr\n" + sent.replace(
        b"\r\n", b"\n"
    )
    assert content_hash(first) == content_hash(second)
    assert content_hash(first) != content_hash(first.replace(b"Merci.", b"Merci !"))
    assert content_hash(first) != content_hash(first.replace(b"Re: x", b"Re: y"))


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        ("Subject: RE: Absence du bureau : Re: [DEM-2026-000001] x\r\n", "auto_reply"),
        ("Subject: Automatische Antwort: [DEM-2026-000001] x\r\n", "auto_reply"),
        ("Subject: Message d'absence\r\nIn-Reply-To: <a@x>\r\n", "auto_reply"),
        ("Subject: Absence du bureau\r\n", None),  # a new request may be titled so
        # A read receipt (« Lu : ») is a report, but about no failed delivery.
        (
            "Subject: Lu : [DEM-2026-000001] x\r\n"
            "Content-Type: multipart/report; report-type=disposition-notification; b=1\r\n",
            "auto_reply",
        ),
        ("Subject: Undeliverable: x\r\nX-MS-Exchange-Message-Is-Ndr: \r\n", "bounce"),
        ("From: Postmaster@notes.univ.fr\r\nSubject: DELIVERY FAILURE: x\r\n", "bounce"),
        ("From: postmaster@univ.fr\r\nSubject: Non remis : x\r\n", "bounce"),
        ("From: postmaster@univ.fr\r\nSubject: Nouveau serveur\r\n", None),  # a person
    ],
)
def test_robots_without_rfc_3834_headers(head, reason):
    if not head.startswith("From:"):
        head = "From: marie@univ.fr\r\n" + head
    message = message_from_bytes(f"{head}\r\nJe suis absente.".encode(), policy=default)
    assert automatic(message) == reason
