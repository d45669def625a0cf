"""Which of desk's languages a few typed words are in, from their commonest short words.

A person's words are stored with their language so that a page or an e-mail of another
language marks them (`lang`, RGAA 8.7). The page's language is the usual answer, but not
always the right one: a technician reading French pages answers an exchange student in
English, a student reading English pages writes to the French desk in French. Between French
and English the little words settle it: articles, pronouns, prepositions and the words of
greeting and thanks are frequent in any message and belong to one language only. A general
language detector (statistical models of dozens of languages) would be heavier than the
question; desk speaks two.

No Flask here: desk.core.i18n asks it about the words of the request.
"""

from __future__ import annotations

import re

# Words found in one language only (of these two), frequent in short messages. Left out:
# those both write ("a", "an", "as", "on", "me", "or", "son", "plus", "but", "car", "ai",
# "encore"), and the letters an apostrophe leaves ("s", "t", "m", "d": "I'd"), but French
# elisions ("l'", "j'", "n'", "qu'", "c'"), which English has not.
_FRENCH = """
    le la les un une des du de et est sont vous nous je tu il ils elle elles ce cette ces
    pour dans sur avec ne pas que qui quoi au aux votre vos notre nos mon ma mes tes leur
    leurs été être avoir avez avons bonjour merci cordialement bien depuis mais donc très
    aussi déjà fait peut pouvez voici l j n qu c y
"""
_ENGLISH = """
    the and is are was were you we i it its this that these those to of for in with not
    your our my their his her hello hi thanks thank please regards be been have has had can
    will would could should do does did there here from by if so no yes what which who when
    how just now still already done sorry dear
"""
_MARKERS: dict[str, frozenset[str]] = {
    "fr": frozenset(_FRENCH.split()),
    "en": frozenset(_ENGLISH.split()),
}
_WORD = re.compile(r"[^\W\d_]+")
# Fewer marker words than this: too short to tell (an "OK", a name, a reference).
_ENOUGH = 3


def words_language(text: str) -> str | None:
    """ "fr" or "en" when the marker words of one outnumber the other's more than two to one
    (and there are enough of them), else None: the caller keeps what it knew."""
    counts = dict.fromkeys(_MARKERS, 0)
    for word in _WORD.findall(text.lower()):
        for language, markers in _MARKERS.items():
            if word in markers:
                counts[language] += 1
    (first, most), (_, other) = sorted(counts.items(), key=lambda item: -item[1])
    if most >= _ENOUGH and most > 2 * other:
        return first
    return None
