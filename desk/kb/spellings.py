"""The other spellings of a hyphenated word, for the help search (desk.kb.search).

Both parsers split "Wi-Fi" into its parts (PostgreSQL also keeps "wi-fi"), so the word
"wifi" never matched an article that writes only "Wi-Fi". `kb_hyphenated_word`
(models.HyphenatedWord) holds each hyphenated word of the articles under its joined letters,
filled with the lexicon; a query word found there also looks for its hyphenated twin:
`(wifi | wi-fi)` on PostgreSQL (to_tsquery reads "wi-fi" as its parts in a row), `("wifi"* OR
"wi fi")` on SQLite. One small look-up by primary key per search. The other way round, a
hyphenated word typed ("wi-fi", "e-mail") also looks for its letters run together ("wifi",
"email"), without any look-up.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text

from desk.extensions import db
from desk.kb.models import Article, HyphenatedWord
from desk.kb.rendering import clean_text, fold, search_words

# A hyphenated word, folded: letters and digits, a hyphen between each part ("wi-fi").
_HYPHENATED = re.compile(r"[^\W_]+(?:-[^\W_]+)+")
# A word the query splits into several (rendering.search_words): hyphenated, or letters run
# into digits ("40min", "o365"), which an article may write as typed.
_SPLIT = re.compile(rf"{_HYPHENATED.pattern}|[^\W_]*(?:[^\W\d_]\d|\d[^\W\d_])[^\W_]*")


@dataclass
class Forms:
    """The other spellings of a query's words: `twins`, {word: the articles' hyphenated forms
    of it} ("wifi": ["wi-fi"]); `joins`, {index of the first word of a hyphenated word typed:
    (index after its last, its letters run together)} ("wi-fi" typed: {0: (2, "wifi")})."""

    twins: dict[str, list[str]]
    joins: dict[int, tuple[int, str]]


def hyphenated_words(*texts: str) -> set[tuple[str, str]]:
    """(joined, hyphenated) for the hyphenated words of `texts`, folded, whose joined form the
    search could be asked (3-40 characters, not only digits): {("wifi", "wi-fi")}."""
    return {pair for value in texts for pair in _hyphenated(fold(value))}


def _hyphenated(folded: str) -> list[tuple[str, str]]:
    found = []
    for word in _HYPHENATED.findall(folded):
        joined = word.replace("-", "")
        if 3 <= len(joined) <= 40 and not joined.isdigit():
            found.append((joined, word))
    return found


def twins(words: list[str]) -> dict[str, list[str]]:
    """{query word: hyphenated forms the articles use}: one look-up by primary key."""
    asked = sorted({w for w in words if len(w) >= 3 and not w.isdigit()})
    if not asked:
        return {}
    twins: dict[str, list[str]] = {}
    found = db.session.execute(
        db.select(HyphenatedWord.joined, HyphenatedWord.word)
        .where(HyphenatedWord.joined.in_(asked))
        .order_by(HyphenatedWord.joined, HyphenatedWord.word)
    )
    for joined, word in found:
        twins.setdefault(joined, []).append(word)
    return twins


def joins(query: str, words: list[str]) -> dict[int, tuple[int, str]]:
    """The hyphenated words typed, as runs of `words` (see Forms), found without a look-up:
    "wi-fi" also finds "wifi", and "e-mail" (its kept word "mail") "email"; so do letters
    run into digits, which the query splits: "40min" is "40 min" or "40min"."""
    joins: dict[int, tuple[int, str]] = {}
    start = 0
    for typed in _SPLIT.findall(fold(clean_text(query[:500]))):
        joined = typed.replace("-", "")
        if len(joined) > 40 or joined.isdigit():
            continue
        kept = search_words(typed.replace("-", " "), limit=len(words))
        for n in range(start, len(words) - len(kept) + 1):
            if kept and words[n : n + len(kept)] == kept:
                joins[n] = (n + len(kept), joined)
                start = n + len(kept)
                break
    return joins


def sqlite_hyphenated(article: Article) -> None:
    found = hyphenated_words(
        article.title_fr, article.title_en, article.keywords, article.plain_fr, article.plain_en
    )
    if found:
        db.session.execute(
            text(
                "INSERT INTO kb_hyphenated_word (joined, word) VALUES (:joined, :word)"
                " ON CONFLICT DO NOTHING"
            ),
            [{"joined": joined, "word": word} for joined, word in sorted(found)],
        )


def _unchanged(word: str) -> str:
    return word


def fts_match(
    words: list[str], joiner: str, forms: Forms, stem: Callable[[str], str] = _unchanged
) -> str:
    """The FTS5 query: each word a prefix; a hyphenated twin as a phrase of its parts
    (unicode61 splits "Wi-Fi" into wi, fi); a hyphenated word typed also joined. `stem`: what
    the table holds for a word (desk.kb.french.stem for the French table, whose text is
    stemmed before FTS5 sees it; the Porter table stems the query itself)."""

    def term(word: str) -> str:
        spellings = [f'"{stem(word)}"*'] + [
            '"' + " ".join(stem(part) for part in t.split("-")) + '"'
            for t in forms.twins.get(word, [])
        ]
        return "(" + " OR ".join(spellings) + ")" if len(spellings) > 1 else spellings[0]

    terms = []
    n = 0
    while n < len(words):
        if n in forms.joins:
            end, joined = forms.joins[n]
            parts = " AND ".join(term(w) for w in words[n:end])
            terms.append(f'(({parts}) OR "{stem(joined)}"*)')
            n = end
        else:
            terms.append(term(words[n]))
            n += 1
    return joiner.join(terms)


def fts_terms(words: list[str], forms: Forms) -> tuple[set[str], set[tuple[str, ...]]]:
    """What `fts_match` looks for: the words matched as prefixes (the query's, the joined
    forms), and the phrases (each hyphenated twin's parts)."""
    prefixes = set(words) | {joined for _end, joined in forms.joins.values()}
    phrases = {tuple(t.split("-")) for w in words for t in forms.twins.get(w, [])}
    return prefixes, phrases
