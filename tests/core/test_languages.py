"""desk.core.languages: which of French and English a few typed words are plainly in."""

from __future__ import annotations

import pytest

from desk.core.languages import words_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hello John, your Zoom licence is now active. Regards", "en"),
        ("Could you try the other wall socket and tell me if it works?", "en"),
        ("I'd like to know when the Wi-Fi accounts will be ready.", "en"),
        ("Bonjour, votre licence Zoom est activée. Cordialement", "fr"),
        ("Je n'ai toujours pas de réseau dans le bureau B16-1-023.", "fr"),
        ("L'imprimante du 2e étage ne répond plus depuis ce matin.", "fr"),
        ("Pouvez-vous essayer avec un autre câble ? Merci", "fr"),
    ],
)
def test_plain_messages_are_told_apart(text, language):
    assert words_language(text) == language


@pytest.mark.parametrize(
    "text",
    [
        "",
        "OK",
        "Merci !",  # one word: too short to tell
        "Thanks!",
        "DEM-2026-00042 PC-IUT-0042 B16-1-023",  # references, labels, numbers
        "John Smith, Claire Martin",
        "Hello, bonjour, thanks, merci",  # as much of each
        "\x00\ufffd" * 50,
    ],
)
def test_too_short_or_mixed_keeps_what_the_caller_knew(text):
    assert words_language(text) is None


def test_a_long_message_costs_one_pass():
    # A reply may hold 20,000 characters: the tally reads each word once.
    assert words_language("the network is down " * 5000) == "en"
