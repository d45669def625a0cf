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


def search_words(query: str, *, limit: int = 8) -> list[str]:
    """The words of a query, folded: letters and digits only, so any input is safe to use."""
    words = re.findall(r"[^\W_]+", fold(clean_text(query[:500])))
    return [w[:40] for w in words[:limit]]
