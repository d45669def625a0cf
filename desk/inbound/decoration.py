"""Pictures that only decorate a message: a signature's logo, its social-network icons. Pure.

desk keeps a message's text, never its HTML: the pictures the HTML shows by `cid:` (RFC 2392)
came in as files of the ticket, so each request by e-mail from someone whose mail program
adds a logo to their signature (Outlook does, as an inline image001.png with a Content-ID)
carried that logo as its first file, on the requester's page and in staff's lists, next to
the files they meant to send.

Zammad and Znuny show the HTML with its pictures in it and keep out of the attachment list
the ones the HTML shows; a desk that keeps only the text has nowhere to show them, and
dropping every one would lose the screenshot a person pastes in the body ("see below"). So
a picture is left out when the HTML shows it as decoration: inside a signature block (Gmail's
`gmail_signature`, Thunderbird's `moz-signature`, Outlook on the web's `Signature`), or shown
small (the width and height the HTML gives, at most a logo's: DECORATION_WIDTH ×
DECORATION_HEIGHT px), everywhere it shows it. A picture the HTML shows larger, or without a
size, or not at all (Apple Mail's picture between two pieces of text), and any file attached
as such, is kept. What is left out stays in the original, kept whole for staff.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from urllib.parse import unquote

import lxml.html
from lxml import etree

from desk.inbound.html_text import flattened

# A signature logo is a few centimetres wide and a line or two high; a screenshot is more.
DECORATION_WIDTH, DECORATION_HEIGHT = 400, 150
_SIGNATURE_BLOCKS = (
    "ancestor-or-self::*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_signature ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' moz-signature ')"
    " or @id='Signature' or @id='x_Signature']"
)
_PIXELS = re.compile(r"\s*(\d{1,5})\s*(?:px)?\s*")


def _pixels(value: str | None) -> int | None:
    found = _PIXELS.fullmatch(value or "")
    return int(found.group(1)) if found else None


def _decorative(image: etree._Element) -> bool:
    if image.xpath(_SIGNATURE_BLOCKS):
        return True
    width, height = _pixels(image.get("width")), _pixels(image.get("height"))
    if width is None and height is None:
        return False  # no size said: maybe a screenshot
    return (width or 0) <= DECORATION_WIDTH and (height or 0) <= DECORATION_HEIGHT


def _shown(html: str) -> dict[str, list[bool]]:
    """For each Content-ID the HTML shows, whether each of its <img> is decoration."""
    try:
        # Flattened as the text is (desk.inbound.html_text): a picture nested deeper than
        # libxml2 reads was not seen.
        root = lxml.html.document_fromstring(flattened(html))
    except (etree.ParserError, ValueError):
        return {}
    shown: dict[str, list[bool]] = {}
    for image in root.iter("img"):
        source = (image.get("src") or "").strip()
        if source[:4].lower() == "cid:":
            shown.setdefault(unquote(source[4:]).lower(), []).append(_decorative(image))
    return shown


def decoration_ids(message: EmailMessage, htmls: list[str]) -> set[str]:
    """The Content-IDs (lower case, without <>) of `message`'s pictures that its HTML parts
    (`htmls`, decoded) show only as decoration."""
    shown: dict[str, list[bool]] = {}
    for html in htmls:
        for content_id, uses in _shown(html).items():
            shown.setdefault(content_id, []).extend(uses)
    return {content_id for content_id, uses in shown.items() if uses and all(uses)}


def content_id(part: EmailMessage) -> str:
    """A part's Content-ID, lower case, without its angle brackets ("" without one)."""
    return str(part.get("Content-ID", "")).strip().strip("<>").strip().lower()
