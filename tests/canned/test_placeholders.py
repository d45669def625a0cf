"""Placeholders: found, reported, substituted in one safe pass."""

from __future__ import annotations

from desk.canned.placeholders import render, unknown_placeholders

VALUES = {"requester_name": "Claire", "reference": "DEM-2026-000001", "agent_name": "Karim"}


def test_known_placeholders_are_filled_in():
    text = "Bonjour {requester_name}, votre demande {reference} ({subject}) — {agent_name}"
    assert render(text, {**VALUES, "subject": "Wi-Fi"}) == (
        "Bonjour Claire, votre demande DEM-2026-000001 (Wi-Fi) — Karim"
    )


def test_unknown_placeholders_are_reported_once_each():
    text = "{nom} {requester_name} {nom} {ticket.__class__} { } {0} oops } {"
    assert unknown_placeholders(text) == ["{nom}", "{ticket.__class__}", "{ }", "{0}", "}", "{"]
    assert unknown_placeholders("Bonjour {requester_name}, {{ accolades }} {reference}") == []


def test_double_braces_are_literal_and_values_are_not_expanded_again():
    assert render("{{reference}} = {reference}", VALUES) == "{reference} = DEM-2026-000001"
    sneaky = {**VALUES, "requester_name": "{reference} {agent_name.__class__}"}
    assert render("{requester_name}", sneaky) == "{reference} {agent_name.__class__}"


def test_unknown_text_is_kept_as_written():
    assert render("{inconnu} et {x.y}", VALUES) == "{inconnu} et {x.y}"
