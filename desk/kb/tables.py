"""An article's tables on a narrow screen (RGAA 10.11, WCAG 1.4.10).

A Markdown table a few columns wide, at 320 CSS pixels, either pushed the whole page sideways
or cut its headers inside words ("Systè/me"). Each table now sits in a box of its own that
scrolls sideways, as the application's own tables do (`.table-scroll`): reachable from the
keyboard and named, so a screen reader's list of regions tells them apart. Pure: no Flask.
"""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup, escape

# The sanitizer (desk.kb.rendering) keeps no attribute on <table>: this is how each begins.
_OPEN, _CLOSE = "<table>", "</table>"


def scrolling_tables(body: Markup, name: Callable[[int], str]) -> Markup:
    """`body` (sanitized article HTML) with each table wrapped in a named scroll box;
    `name(n)` names the n-th (from 1)."""
    pieces = str(body).split(_OPEN)
    if len(pieces) == 1:
        return body
    out = [pieces[0]]
    for number, piece in enumerate(pieces[1:], start=1):
        label = escape(name(number))
        out.append(
            f'<div class="table-scroll" role="region" tabindex="0" aria-label="{label}">'
            f'<table aria-label="{label}">{piece.replace(_CLOSE, _CLOSE + "</div>", 1)}'
        )
    return Markup("".join(out))  # noqa: S704 - sanitized body; our own tags, label escaped
