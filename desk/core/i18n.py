"""Language choice and date display."""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app, has_request_context, request
from flask_babel import format_datetime
from flask_login import current_user


def select_locale() -> str:
    """The user's saved language, else the browser's, else the default (French)."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def select_timezone() -> str:
    """All users see one configured time zone (Europe/Paris by default)."""
    return current_app.config["DISPLAY_TIMEZONE"]


def localdt(value: dt.datetime | None, fmt: str = "short") -> str:
    """Jinja filter: a UTC datetime in the display time zone and the user's locale."""
    if value is None:
        return ""
    return format_datetime(value, fmt)


def init_i18n(app: Flask) -> None:
    """Register the template helpers that depend on the language."""
    app.jinja_env.filters["localdt"] = localdt
