"""Placeholders of canned replies: which exist, which a text uses, and safe substitution.

Pure code (no Flask, no database). `{name}` is replaced by a value, `{{` and `}}` stand for
literal braces. Substitution is one pass of a regular expression over the template — never
`str.format`, which would let a template reach attributes (`{x.__class__}`) — so a value that
itself contains `{reference}` stays as typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDERS = ("requester_name", "reference", "subject", "agent_name")
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_ESCAPES = {"{{": "{", "}}": "}"}


def unknown_placeholders(template: str) -> list[str]:
    """The `{...}` of `template` that are not placeholders (a lone brace counts as one)."""
    unknown: list[str] = []
    for match in _TOKEN.finditer(template):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        name = match.group(1)
        if name is None:  # a lone "{" or "}"
            shown = token
        elif name in PLACEHOLDERS:
            continue
        else:
            shown = "{" + name + "}"
        if shown not in unknown:
            unknown.append(shown)
    return unknown


def render(template: str, values: Mapping[str, str]) -> str:
    """The template with each known placeholder replaced; anything else kept as written."""

    def replace(match: re.Match[str]) -> str:
        piece = match.group(0)
        if piece in _ESCAPES:
            return _ESCAPES[piece]
        name = match.group(1)
        if name is not None and name in PLACEHOLDERS:
            return str(values.get(name, ""))
        return piece

    return _TOKEN.sub(replace, template)
