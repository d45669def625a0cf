"""Markdown to safe HTML, plain text for the search index, and highlighted snippets.

Pure functions (no Flask, no database). markdown-it-py renders with raw HTML disabled; nh3
(the Ammonia sanitizer) then keeps an allow-list of tags, attributes and URL schemes, so
neither a `<script>`, an `<iframe>`, an `on*=` attribute nor a `javascript:` link survives,
whatever the Markdown tried.
"""

from __future__ import annotations

import html
import re
import unicodedata

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

# A long procedure is a few thousand characters; past this it is a pasted dump.
MAX_BODY_CHARS = 50_000

# Markers the database puts around matched words; stripped from stored text so an author
# cannot forge a highlight.
HIGHLIGHT_START = "\ue000"
HIGHLIGHT_STOP = "\ue001"

_TAGS = {
    "a", "p", "br", "hr", "em", "strong", "code", "pre", "blockquote",
    "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
_SCHEMES = {"http", "https", "mailto"}

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def clean_text(text: str) -> str:
    """Text as stored: no NUL (PostgreSQL refuses it), no forged markers, \n line ends."""
    text = text.replace("\x00", "").replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_STOP, "")
    return text.replace("\r\n", "\n").replace("\r", "\n")


# Letters that draw nothing (Hangul fillers, the blank Braille pattern): a title of them is as
# empty as one of spaces.
_BLANK_LETTERS = frozenset("\u115f\u1160\u2800\u3164\uffa0")


def has_visible_text(text: str) -> bool:
    """Whether `text` shows anything: not only spaces, invisible formatting characters (zero-width
    space, joiners, direction marks), control characters or blank letters."""
    return any(
        not c.isspace() and c not in _BLANK_LETTERS and unicodedata.category(c) not in ("Cc", "Cf")
        for c in text
    )


def render_markdown(text: str) -> Markup:
    """The article body as HTML that is safe to insert into a page."""
    raw = _md.render(clean_text(text))
    # Headings start at h2: the page's h1 is the article title.
    raw = re.sub(r"<(/?)h1>", r"<\1h2>", raw)
    safe = nh3.clean(
        raw,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(safe)  # noqa: S704 - sanitized by nh3 just above


def plain_text(text: str) -> str:
    """The body's words without markup: what is indexed and cut into snippets."""
    stripped = nh3.clean(_md.render(clean_text(text)), tags=set())
    return re.sub(r"\s+", " ", html.unescape(stripped)).strip()


def fold(text: str) -> str:
    """Lower case without accents, as the search compares words."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def highlight(marked: str) -> Markup:
    """Escape a snippet, then turn the database's markers into <mark> elements."""
    escaped = str(escape(marked))
    escaped = escaped.replace(HIGHLIGHT_START, "<mark>").replace(HIGHLIGHT_STOP, "</mark>")
    if escaped.count("<mark>") != escaped.count("</mark>"):
        escaped = escaped.replace("<mark>", "").replace("</mark>", "")
    return Markup(escaped)  # noqa: S704 - escaped above; only our own tags added


# Words that say nothing about the problem, folded. People search in sentences ("je n'arrive pas
# à me connecter au wifi", a form's description starting "Bonjour, depuis ce matin…"): kept, these
# used up the query's few words before the one that mattered ("wifi" was the 9th word and never
# searched). The French ones are PostgreSQL's french.stop (which its `french` configuration
# drops anyway, so the search there is unchanged apart from the cap), with the few it lacks
# ("les", "cette"); the English ones and the greetings of a message are added. Single letters
# go too (l', n', j', "a", "I"): as the typed last word they were a prefix matching almost
# every article.
_FRENCH_STOP = (
    "au aux avec ce ces dans de des du elle en et eux il je la le leur lui ma mais me meme mes "
    "moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton "
    "tu un une vos votre vous suis es est sommes etes sont serai seras sera serons serez seront "
    "serais serait serions seriez seraient etais etait etions etiez etaient fus fut fumes futes "
    "furent sois soit soyons soyez soient fusse fusses fussions fussiez fussent ayant ayante "
    "ayantes ayants eu eue eues eus ai as avons avez ont aurai auras aura aurons aurez auront "
    "aurais aurait aurions auriez auraient avais avait avions aviez avaient eut eumes eutes "
    "eurent aie aies ait ayons ayez aient eusse eusses eussions eussiez eussent "
    "les cet cette cela ceci ca "
    # "je n'arrive pas à…", "on n'arrive plus à…": how a French request says "cannot" (its stem
    # is arrivée's, which put the account-activation article first)
    "arrive arrives arrivons arrivez arrivent"
)
_ENGLISH_STOP = (
    "an the my me mine you your we our us they them he she his her its am is are was were be "
    "been do does did doing to of in on at by for from with and or but not no nor so this that "
    "these those there here how what why when where which who can cannot could would should "
    "will shall have has had get got "
    # What is left of a negation once the apostrophe splits it ("doesn't": "doesn", "t") or
    # when it is typed without one: kept, the typo corrector turned "doesnt" into "does" and
    # "teams doesnt work" required it, which left out the Teams article
    "doesn doesnt isn isnt didn didnt don dont wasn wasnt aren arent weren werent hasn hasnt "
    "haven havent hadn hadnt couldn couldnt wouldn wouldnt shouldn shouldnt won wont cant"
)
_COURTESY = (
    "bonjour bonsoir merci cordialement svp stp madame monsieur hello hi dear thanks thank "
    "please regards"
)
STOP_WORDS = frozenset(" ".join((_FRENCH_STOP, _ENGLISH_STOP, _COURTESY)).split())
# The little words that belong to one language only ("on", "me" are both's): what a query is
# written in, whatever the page's language.
_ONLY_FRENCH = frozenset(_FRENCH_STOP.split()) - frozenset(_ENGLISH_STOP.split())
_ONLY_ENGLISH = frozenset(_ENGLISH_STOP.split()) - frozenset(_FRENCH_STOP.split())


def search_words(query: str, *, limit: int = 8) -> list[str]:
    """The words of a query that carry its meaning, folded: letters and digits only, so any
    input is safe to use, and a run of digits apart from letters ("40min": "40", "min");
    stop words and single letters left out before the cap (digits stay: "zoom 40")."""
    kept = [w for w in _tokens(query) if w not in STOP_WORDS and (len(w) > 1 or w.isdigit())]
    return [w[:40] for w in kept[:limit]]


def query_language(query: str) -> str | None:
    """ "en" or "fr" when the query's little words say which language it is written in ("teams
    not working", "teams ne marche pas"), else None. Its meaningful words alone cannot say:
    "teams", "zoom", "wifi" are both languages'."""
    tokens = _tokens(query)
    english = sum(token in _ONLY_ENGLISH for token in tokens)
    french = sum(token in _ONLY_FRENCH for token in tokens)
    if english == french:
        return None
    return "en" if english > french else "fr"


def ends_with(query: str, words: list[str]) -> bool:
    """Is the last of `words` the query's last word, the one that may be half typed? Not when
    a stop word followed it ("sign in": "sign" is whole, not the start of "signaler")."""
    tokens = _tokens(query)
    return bool(words and tokens) and tokens[-1][:40] == words[-1]


def _tokens(query: str) -> list[str]:
    # Letters and digits apart: "zoom 40min" is "zoom 40 min" (the articles write "40
    # minutes"); spellings.joins also looks for such a word as typed ("mp3", "o365").
    return re.findall(r"[^\W\d_]+|\d+", fold(clean_text(query[:500])))
