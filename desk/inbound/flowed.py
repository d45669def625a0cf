"""Plain text sent as format=flowed (RFC 3676), read back as the paragraphs typed. Pure.

Thunderbird, Apple Mail and many webmails send their text part so: long lines are cut at
about 72 columns, each cut marked by a space left at the end of the line. Read as is, a
requester's paragraph became a comment of short hard-broken lines; and a ">" quoted line
cut the same way would lose its ">" on the next line, so that the reply cutter took the
history for an answer below it.
"""

from __future__ import annotations

_SIGNATURE = "-- "


def _line(depth: int, text: str) -> str:
    return (">" * depth + " " + text) if depth else text


def unflowed(text: str, *, delsp: bool = False) -> str:
    """`text` with its soft line breaks joined; quoted lines keep their ">" depth."""
    lines: list[str] = []
    pending: tuple[int, str] | None = None  # a paragraph not yet ended, and its depth
    for raw in text.replace("\r\n", "\n").split("\n"):
        depth = len(raw) - len(raw.lstrip(">"))
        content = raw[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing (or the space after the ">")
        flowed = content.endswith(" ") and content != _SIGNATURE
        if pending is not None and pending[0] != depth:
            lines.append(_line(*pending))  # a change of depth ends a paragraph
            pending = None
        if flowed and delsp:
            content = content[:-1]
        joined = (pending[1] if pending else "") + content
        if flowed:
            pending = (depth, joined)
        else:
            lines.append(_line(depth, joined))
            pending = None
    if pending is not None:
        lines.append(_line(*pending))
    return "\n".join(lines)
