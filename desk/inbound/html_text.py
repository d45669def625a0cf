"""An HTML body made plain text: its quoted blocks dropped, no markup left. Pure.

libxml2 stops reading past 255 nested elements: the words deeper than that were lost, and a
reply whose text sat there (a reply of a reply of a reply, each client nesting the last
one's quote) came with no words at all. `flattened` takes the elements past MAX_DEPTH out of
the nesting, keeping their text (a block's as a line break), in one pass, before lxml reads
it: bounded time and memory whatever the depth.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from desk.inbound.charsets import readable

_BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr"}
MAX_DEPTH = 100  # libxml2's limit is 255 elements: room for what this count cannot see
_VOID = {
    "area", "base", "basefont", "br", "col", "embed", "frame", "hr", "img", "input",
    "isindex", "keygen", "link", "meta", "param", "source", "track", "wbr",
}  # fmt: skip
# A comment, an element whose content is not markup (its tags are no elements), or a tag;
# an unclosed comment or raw element runs to the end, so each match is read once.
_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<(script|style|template|title|textarea|xmp|plaintext)\b[^>]*>.*?(?:</\1\s*>|\Z)"
    r"|<(/?)([A-Za-z][^\s/>]*)([^>]*)>",
    re.DOTALL | re.IGNORECASE,
)
_REOPEN = 8  # how far down the open elements an end tag is looked for


# A quoted message's element (see html_to_text's quotes): kept as an element past MAX_DEPTH,
# one level (what it holds is flattened), so that a quote deep down still goes whole.
_QUOTE = re.compile(r"gmail_quote|divRplyFwdMsg|appendonsend", re.IGNORECASE)
_FLAT, _KEPT = 1, 2


def _depth_edits(html: str) -> list[tuple[int, int, str]]:
    """(start, end, replacement) of the tags that open or close an element past MAX_DEPTH;
    tags with only white space between them are one edit (one line break at most)."""
    edits: list[tuple[int, int, str]] = []
    stack: list[tuple[str, int]] = []  # open elements: (name, state: 0, _FLAT or _KEPT)
    kept = 0  # open quotes kept past MAX_DEPTH

    def edit(token: re.Match[str], name: str) -> None:
        start, end, flat = token.start(), token.end(), "<br>" if name in _BLOCKS else ""
        if edits and (edits[-1][1] == start or html[edits[-1][1] : start].isspace()):
            start, previous = edits[-1][0], edits.pop()[2]
            flat = flat or previous
        edits.append((start, end, flat))

    # Only up to the last ">": a "<" with no ">" after it starts no tag, and the regex, tried
    # at each such "<", read the rest of the body each time (60,000 characters of "<a " took
    # a minute, a message's megabyte days).
    for token in _TOKEN.finditer(html, 0, html.rfind(">") + 1):
        name = token.group(3)
        if name is None:
            continue  # a comment or raw text
        name = name.lower()
        if token.group(2):  # an end tag: closes the nearest open element of that name
            bottom = max(len(stack) - _REOPEN, 0)
            found = next(
                (i for i in range(len(stack) - 1, bottom - 1, -1) if stack[i][0] == name), None
            )
            if found is None:
                if len(stack) >= MAX_DEPTH:
                    edit(token, name)
                continue
            if stack[found][1] == _FLAT:
                edit(token, name)
            kept -= sum(state == _KEPT for _name, state in stack[found:])
            del stack[found:]
        elif name not in _VOID and not token.group(4).rstrip().endswith("/"):
            state = 0
            if len(stack) >= MAX_DEPTH:
                quote = name == "blockquote" or _QUOTE.search(token.group(4))
                state = _KEPT if quote and not kept else _FLAT
            if state == _FLAT:
                edit(token, name)
            kept += state == _KEPT
            stack.append((name, state))
    return edits


def flattened(html: str) -> str:
    """`html` with its elements nested past MAX_DEPTH taken out, their text kept."""
    if html.count("<") <= MAX_DEPTH:
        return html  # cannot be that deep
    edits = _depth_edits(html)
    if not edits:
        return html
    pieces, last = [], 0
    for start, end, replacement in edits:
        pieces += [html[last:start], replacement]
        last = end
    pieces.append(html[last:])
    return "".join(pieces)


XML_DECLARATION = re.compile(r"\A[\s\ufeff]*<\?xml\b[^>]*>")
_HISTORY_STARTS = "//hr[@id='zwchr']|//*[@id='appendonsend']|//*[@id='divRplyFwdMsg']"


def _drop_after(marker: etree._Element) -> None:
    """Remove whatever comes after `marker` in the document (its descendants stay)."""
    node: etree._Element | None = marker
    while node is not None and node.getparent() is not None:
        for following in list(node.itersiblings()):
            following.tail = None
            following.drop_tree()
        node.tail = None
        node = node.getparent()


def html_to_text(html: str, *, quoted: bool = False) -> str:
    """Plain text of an HTML body, without its quoted blocks (kept when `quoted`); no markup
    survives."""
    # An XHTML body's XML declaration ("<?xml version=… encoding=…?>", as mailers writing
    # XHTML put first): lxml refuses a decoded string that has one, and the words were lost.
    html = XML_DECLARATION.sub("", html, count=1)
    # A NUL (base64 carries one past IMAP) became "\ufffd" in the parsed document, where the
    # text part drops it (readable).
    html = flattened(html.replace("\x00", ""))
    if not html.strip():
        return ""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return ""
    # Where the quoted message starts: Zimbra (RENATER's PARTAGE, many universities) puts
    # <hr id="zwchr">, Outlook on the web and the new Outlook an empty <div id="appendonsend">
    # then #divRplyFwdMsg (its "De : / Envoyé :" block). The old message follows, as
    # siblings or further down: everything after the marker goes.
    # (`quoted`: a forward's quoted message is the request, see request_text.)
    for marker in [] if quoted else root.xpath(_HISTORY_STARTS):
        _drop_after(marker)
    quotes = (
        "|//blockquote|//*[contains(@class,'gmail_quote')]"
        "|//*[@id='divRplyFwdMsg']|//*[@id='appendonsend']|//hr[@id='zwchr']"
    )
    # A <template>'s content is never shown by a browser: hidden text, not the sender's words.
    for bad in root.xpath("//script|//style|//head|//template" + ("" if quoted else quotes)):
        bad.drop_tree()
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCKS:
            element.tail = "\n" + (element.tail or "")
    text = readable(root.text_content()).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
