"""A ticket's subject on a page: the request type's title in the reader's language, then what
the requester typed, marked with `lang` where it is not in the page's language (RGAA 8.7).

A subject is stored as "<French title> – <typed text>" (desk.catalog.forms). The title part
follows the reader (its French form, marked, when the request type has no English title);
the typed part is in the ticket's language, when known (`Ticket.language`).
"""

from __future__ import annotations

from markupsafe import Markup, escape

from desk.core.i18n import page_language
from desk.tickets.models import Ticket


def split_subject(
    subject: str, title_fr: str, title: str, language: str | None, reader_language: str
) -> list[tuple[str, str | None]]:
    """(text, language) pieces of a subject shown on a page in `reader_language`.

    `title` is the request type's title in the page's language (`title_fr` when it has none);
    `language` that of the ticket (None: unknown). A piece's language is None when it is the
    page's or unknown, so that only text known to be in another language gets marked.
    """

    def other(lang: str | None) -> str | None:
        return lang if lang and lang != reader_language else None

    if not title_fr or not subject.startswith(title_fr):
        return [(subject, other(language))]
    rest = subject[len(title_fr) :]
    # The separator (" – ") is punctuation; what follows it was typed.
    typed = rest.lstrip(" –-")
    title_language = "fr" if title == title_fr else reader_language
    parts = [(title, other(title_language)), (rest[: len(rest) - len(typed)], None)]
    if typed:
        parts.append((typed, other(language)))
    return parts


def join_marked(parts: list[tuple[str, str | None]]) -> Markup:
    """The pieces escaped, each one in another language inside a `<span lang>`."""
    if not any(lang for _text, lang in parts):  # the usual case: all in the page's language
        return escape("".join(text for text, _lang in parts))
    return Markup("").join(
        Markup('<span lang="%s">%s</span>') % (lang, text) if lang and text else escape(text)
        for text, lang in parts
    )


def subject_parts(ticket: Ticket) -> list[tuple[str, str | None]]:
    """The pieces of a ticket's subject on the current page."""
    request_type = ticket.request_type
    return split_subject(
        ticket.subject or "",
        request_type.title_fr if request_type else "",
        request_type.title if request_type else "",
        ticket.language,
        page_language(),
    )


def subject_html(ticket: Ticket) -> Markup:
    """The subject for a page, escaped, each piece in another language wrapped in a `lang`."""
    return join_marked(subject_parts(ticket))


def titled(parts: list[tuple[str, str | None]]) -> bool:
    """Do these pieces (`split_subject`) begin with the request type's title?"""
    return len(parts) > 1


def typed_html(ticket: Ticket) -> Markup:
    """What follows the request type's title in the subject (what the form's fields said), or
    the whole subject when it does not begin with the title (a ticket that came by e-mail):
    for a list that shows the title already."""
    parts = subject_parts(ticket)
    return join_marked(parts[2:] if titled(parts) else parts)
