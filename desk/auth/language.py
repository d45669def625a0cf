"""The language desk writes to someone in away from their pages: e-mails, and what a task renders.

A page follows the reader's chosen language, else the one their browser asks for
(`desk.core.i18n.select_locale`). An e-mail has no browser to ask: desk notes the language a
person's browser negotiated at sign-in and whenever it changes (`User.browser_locale`), so that
someone who never chose one gets their digests, warnings and notices in the language they read
desk in, not in the default.
"""

from __future__ import annotations

from flask import current_app

from desk.auth.models import User


def written_language(user: User, *, filed_in: str | None = None) -> str:
    """The language to write to `user` in: the one they chose, else (`filed_in`: the language
    of their own request the message is about) that one, else their browser's, else the
    default. Every e-mail desk writes, and the canned replies offered for one, ask here."""
    return (
        user.locale or filed_in or user.browser_locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def note_browser_language(user: User, language: str | None) -> bool:
    """Remember `language` (negotiated from the browser; None: it asked for none of desk's) as
    `user`'s browser language; True when that changed, for the caller to commit. Nothing is
    written while it stays the same: this runs on every signed-in request."""
    if language is None or language == user.browser_locale:
        return False
    user.browser_locale = language
    return True
