"""French elision before a value put into a message: « la demande d’Anna », « l’absence
d’Éric », but « la demande de Claire ».

The catalogue cannot write it: « de %(name)s » is only right for a name that starts with a
consonant. So the French messages that have « de » or « que » just before a value are marked
once, when the catalogue is loaded (`mark_elisions`), and formatting such a message elides the
word for the value it is given. A value whose first word is an acronym (« UFR ») or that starts
with an h or a y (« de Hugo » and « d’Hugo » are both written, « de Yann ») keeps « de ».
English has no such « de »: its messages never match.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

# « de » / « que » as whole words (after a space, an apostrophe or the start), just before a
# value written as text.
_BEFORE_VALUE = re.compile(r"(?<![\w’'-])([Dd]e|[Qq]ue) %\((\w+)\)s")
_VOWELS = frozenset("aeiouAEIOUœŒæÆ")


def starts_with_vowel(text: str) -> bool:
    """The text's first word starts with a vowel and is not an acronym."""
    words = text.split(maxsplit=1)
    if not words:
        return False
    first = unicodedata.normalize("NFD", words[0][0])[0]
    if first not in _VOWELS:
        return False
    letters = "".join(ch for ch in words[0] if ch.isalpha())
    return not (len(letters) > 1 and letters.isupper())


def elide(pattern: str, values: Any) -> str:
    """`pattern` with « de %(x)s » written « d’%(x)s » where the value of x needs it."""
    if not isinstance(values, Mapping):
        return pattern

    def one(match: re.Match[str]) -> str:
        value = values.get(match.group(2))
        if value is None:
            return match.group(0)
        text = value.striptags() if isinstance(value, Markup) else str(value)
        if not starts_with_vowel(text):
            return match.group(0)
        return f"{match.group(1)[:-1]}’%({match.group(2)})s"

    return _BEFORE_VALUE.sub(one, pattern)


class ElidingText(str):
    """A catalogue message that elides its « de » / « que » when formatted with `%`."""

    __slots__ = ()

    def __mod__(self, values: Any) -> str:
        return str.__mod__(elide(self, values), values)


def needs_elision(message: str) -> bool:
    return bool(_BEFORE_VALUE.search(message))


def mark_elisions(catalog: dict[Any, Any]) -> int:
    """Mark the messages of a loaded catalogue that elide (in place); how many were marked."""
    marked = 0
    for key, message in catalog.items():
        fresh = isinstance(message, str) and not isinstance(message, ElidingText)
        if fresh and needs_elision(message):
            catalog[key] = ElidingText(message)
            marked += 1
    return marked
