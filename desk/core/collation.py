"""The order people expect of a list of names: "Écully" among the E's, "Bâtiment 9" before
"Bâtiment 10", whatever the case.

Python (and the databases' default collations) compare code points: a capital or an accented
first letter sorted apart from its letter, and "10" before "9". The key below is the primary
level of the Unicode collation for French and English (the two orders differ only in how accents
break ties): letters without accents, case or punctuation, ligatures spelled out, and numbers by
their value; the name itself breaks ties, so the order is total and stable.
"""

from __future__ import annotations

import re
import unicodedata

# Letters that do not decompose into a base letter and a mark, spelled as collation reads them.
_SPELLED_OUT = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ı": "i"})
# Runs of digits, runs of letters: everything else (spaces, hyphens, apostrophes) separates.
_PIECES = re.compile(r"\d+|[^\W\d_]+")


def sort_key(name: str) -> tuple:
    """A key to sort names as a French or English reader does (accent- and case-insensitive,
    numbers by value)."""
    decomposed = unicodedata.normalize("NFKD", name.casefold().translate(_SPELLED_OUT))
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Numbers before words, as in the collation (digits sort before letters).
    primary = tuple(
        (0, int(piece), "") if piece.isdigit() else (1, 0, piece)
        for piece in _PIECES.findall(folded)
    )
    return primary, name.casefold(), name
