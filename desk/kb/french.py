"""French stemming for the help search on SQLite (desk.kb.fts5), as PostgreSQL stems.

PostgreSQL's `french_unaccent` configuration folds a word's accents and case (unaccent), then
stems it with the Snowball French algorithm (`french_stem`): "imprimantes" and "imprimante"
are both `imprim`, "connecté", "connecter" and "connectez" `connect`. FTS5 has no French
stemmer (its `porter` is English), so the article's text is stemmed here, with the Snowball
project's own Python package (the same algorithm), before FTS5 indexes it; a query's words are
stemmed alike. Pure functions.

The stemmed text has one stem per word of the text, in order: the n-th stem is the n-th word's,
so `snippet` marks the very words whose stems matched, in the text as written.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left
from functools import lru_cache

import snowballstemmer

from desk.kb.rendering import fold

# A word: letters and digits (rendering.search_words splits a query the same way).
_WORD = re.compile(r"[^\W_]+")
# A stemmer keeps the word it is working on: one per thread.
_local = threading.local()


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """The stem of a folded word, as PostgreSQL's french_stem gives it ("imprimantes":
    "imprim"); letters and digits only, never empty."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("french")
    return "".join(_WORD.findall(stemmer.stemWord(word))) or word


def _folded(word: str) -> str:
    # A word of the text folded like a query's ("Connecté": "connecte"), kept one word.
    return "".join(_WORD.findall(fold(word))) or word.casefold()


def stems(text: str) -> str:
    """The text as the French FTS5 table indexes it: its words' stems, in order, one space
    apart ("Imprimantes connectées": "imprim connecte")."""
    return " ".join(stem(_folded(m.group())) for m in _WORD.finditer(text))


def snippet(
    text: str,
    stemmed: str,
    prefixes: tuple[str, ...],
    phrases: tuple[tuple[str, ...], ...] = (),
    *,
    marks: tuple[str, str],
    ellipsis: str,
    size: int,
) -> str:
    """What FTS5's snippet() gives for a stemmed column: at most `size` words of `text` where
    most of the query's terms match, each matched word between `marks`, `ellipsis` where the
    text is cut. A term is the beginning of a stem (`prefixes`) or stems in a row (`phrases`:
    "wi fi"). `stemmed` is stems(text); if it is not (the article changed without being
    indexed), the text's first words, unmarked."""
    words = list(_WORD.finditer(text))
    if not words:
        return ""
    stemmed_words = stemmed.split()
    if len(stemmed_words) != len(words):
        stemmed_words = []
    matched = _matched(stemmed_words, prefixes, phrases)
    start = _window(matched, size, len(words))
    end = min(len(words), start + size)
    out = [ellipsis] if start else []
    position = words[start].start() if start else 0
    for n in range(start, end):
        word = words[n]
        out.append(text[position : word.start()])
        out.append(f"{marks[0]}{word.group()}{marks[1]}" if n in matched else word.group())
        position = word.end()
    out.append(ellipsis if end < len(words) else text[position:])
    return "".join(out)


def _matched(stemmed_words: list[str], prefixes, phrases) -> dict[int, set]:
    # {index of a matched word: the terms it matches}
    matched: dict[int, set] = {}
    for n, word in enumerate(stemmed_words):
        if word.startswith(prefixes):
            matched[n] = {p for p in prefixes if word.startswith(p)}
    for phrase in phrases:
        for n, word in enumerate(stemmed_words):
            if word == phrase[0] and tuple(stemmed_words[n : n + len(phrase)]) == phrase:
                for i in range(n, n + len(phrase)):
                    matched.setdefault(i, set()).add(phrase)
    return matched


def _window(matched: dict[int, set], size: int, count: int) -> int:
    # FTS5's choice: the window with the most distinct terms, then the most matched words,
    # moved so that its matched words sit in its middle.
    best, best_score = 0, (0, 0)
    hits = sorted(matched)
    for i, first in enumerate(hits):
        inside = hits[i : bisect_left(hits, first + size)]
        terms = set().union(*(matched[n] for n in inside))
        score = (len(terms), len(inside))
        if score > best_score:
            best_score = score
            best = first - (size - (inside[-1] - first)) // 2
    return max(0, min(best, count - size))
