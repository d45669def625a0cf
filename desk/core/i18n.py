"""Language choice, date display, and the lazy translations every module uses.

Why desk has its own `lazy_gettext`: flask-babel's LazyString defines `__html__` as its plain
text, so Jinja (and Flask's session serializer, for flashed messages) treats every lazy string as
markup that is already safe. A message such as `_l("Line %(line)d: %(value)s", value=cell)` then
put the user's `<script>` into the page unescaped. Here a lazy string is text, never markup: its
`__html__` escapes the whole formatted message (no catalogue entry contains HTML, and one that
needs it must be built with `Markup` explicitly). `tests/security/test_escaping.py` fails if a
module imports the lazy helpers from flask_babel instead of from here.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import tokenize_pattern
from babel.lists import format_list
from babel.numbers import format_decimal
from flask import Flask, current_app, has_request_context, request
from flask_babel import (
    force_locale,
    format_date,
    format_datetime,
    format_number,
    get_locale,
    get_translations,
    gettext,
    ngettext,
)
from flask_babel.speaklater import LazyString
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from desk.core.elision import ElidingText, elide, mark_elisions
from desk.core.languages import words_language


class LazyText(LazyString):
    """A lazily translated message that HTML output always escapes."""

    def __html__(self) -> Markup:
        return escape(str(self))


def lazy_gettext(string: str, **variables: object) -> LazyText:
    """`gettext` evaluated when shown (in the reader's language), escaped in HTML."""
    return LazyText(gettext, string, **variables)


def lazy_ngettext(singular: str, plural: str, num: int, **variables: object) -> LazyText:
    """`ngettext` evaluated when shown, escaped in HTML."""
    return LazyText(ngettext, singular, plural, num, **variables)


def lazy_text(func, *args: object, **kwargs: object) -> LazyText:
    """Any text computed when shown (e.g. a list of translated headings), escaped in HTML."""
    return LazyText(func, *args, **kwargs)


def number(value: int) -> LazyText:
    """A count or a limit for a message, written as its reader writes numbers when shown:
    "2,000" in English, « 2 000 » in French. Its placeholder is `%(name)s`; in `ngettext`
    the plural still follows the integer `num`, and this goes under another name."""
    return LazyText(format_number, value)


def alternatives(items: Sequence[str]) -> LazyText:
    """Choices for a message, joined as its reader writes them when shown: "a or b" in
    English, « a ou b » in French; "a, b" read as if both were needed."""
    return LazyText(_or_list, tuple(items))


def _or_list(items: tuple[str, ...]) -> str:
    # Outside an app context gettext leaves the English text: the list follows it.
    return format_list(list(items), style="or", locale=get_locale() or "en")


def lang_of(language: str) -> Markup:
    """` lang="xx"` for text written in `language` when the page is in another (RGAA 8.7)."""
    from flask_babel import get_locale

    locale = get_locale()
    if locale is not None and locale.language != language:
        return Markup(' lang="%s"') % language  # escaped by Markup's % operator
    return Markup("")


class LocalName:
    """Mixin for rows named in French (`name`) with an optional English name (`name_en`):
    places and calendars. `local_name` follows the reader; `local_lang` says which language
    it is in, so that a French name on an English page can carry `lang="fr"` (RGAA 8.7)."""

    name: str
    name_en: str | None

    @property
    def local_lang(self) -> str:
        locale = get_locale()
        english = locale is not None and locale.language == "en"
        return "en" if english and self.name_en else "fr"

    @property
    def local_name(self) -> str:
        return (self.name_en or self.name) if self.local_lang == "en" else self.name


def lang_kw(language: str) -> dict[str, str]:
    """`render_kw` for an option or field whose text is in `language`: {"lang": ...} when the
    page is in another language, else nothing."""
    locale = get_locale()
    return {"lang": language} if locale is not None and locale.language != language else {}


def name_html(row: LocalName | None) -> Markup:
    """Template helper: the row's name for the reader, in a `<span lang>` when the page is
    in another language (a place with no English name on an English page)."""
    if row is None:
        return Markup("")
    locale = get_locale()
    return local_name_html(row.name, row.name_en, locale.language if locale else "fr")


def local_name_html(name: str, name_en: str | None, page_language: str) -> Markup:
    """`name_html` from the two names and the page's language (lists resolve that once)."""
    if page_language == "en" and name_en:
        return escape(name_en)
    if page_language != "fr":
        return Markup('<span lang="fr">%s</span>') % name  # escaped by Markup's % operator
    return escape(name)


def select_locale() -> str:
    """The user's saved language, else the browser's, else the default (French)."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return browser_language() or current_app.config["BABEL_DEFAULT_LOCALE"]


def browser_language() -> str | None:
    """The language of desk's that this request's browser asks for (Accept-Language), if any."""
    return request.accept_languages.best_match(current_app.config["LANGUAGES"])


def page_language() -> str:
    """The reader's language code ("fr", "en"); French outside a request's locale."""
    locale = get_locale()
    return locale.language if locale is not None else "fr"


# The language of what is being written away from a page (a mail's Content-Language), set by
# `written_in` around the services that store it: they take the page's in a request.
_UNSET = object()
_written: ContextVar[Any] = ContextVar("desk_written_language", default=_UNSET)


@contextmanager
def written_in(language: str | None) -> Iterator[None]:
    """Within: the words stored (comments, replies, notes) are in `language` (None: unknown)."""
    token = _written.set(language)
    try:
        yield
    finally:
        _written.reset(token)


def typed_language(text: str | None = None) -> str | None:
    """The language of the words the acting person is writing now: the one `written_in` says,
    else the one `text` (those words) is plainly in, else the page's (they typed them reading
    it); None in a task that was told nothing."""
    language = _written.get()
    if language is not _UNSET:
        return language
    if not has_request_context():
        return None
    return (text and words_language(text)) or page_language()


def english_page() -> bool:
    """Whether the reader reads English (names and titles with no English fall back to French)."""
    return page_language() == "en"


def select_timezone() -> str:
    """All users see one configured time zone (Europe/Paris by default)."""
    return current_app.config["DISPLAY_TIMEZONE"]


# Explicit patterns: CLDR's English "short" (12/1/26, 5:00 PM) reads differently in the US
# and in Europe; "1 Dec 2026, 17:00" cannot be misread. French keeps its usual 01/12/2026 17:00.
DATETIME_PATTERNS = {"fr": "dd/MM/y HH:mm", "en": "d MMM y, HH:mm"}


# The pattern fields `datetime_formatter` writes itself, as `str.format` fields of (the local
# datetime, the month's abbreviated name, the month's name, the day's name); with any other
# field it lets Babel format.
_FIELDS = {
    "d": "{0.day}",
    "dd": "{0.day:02d}",
    "MM": "{0.month:02d}",
    "MMM": "{1}",
    "MMMM": "{2}",
    "EEEE": "{3}",
    "y": "{0.year}",
    "HH": "{0.hour:02d}",
    "mm": "{0.minute:02d}",
}


@functools.cache
def short_datetime(language: str, timezone: str) -> Callable[[dt.datetime | None], str]:
    """The "short" `localdt` of one language and display time zone, resolved once per process.

    Long lists show two dates per row, and Babel looks the locale, the time zone and the
    pattern up again for each value.
    """
    return datetime_formatter(language, timezone, DATETIME_PATTERNS.get(language))


@functools.cache
def datetime_formatter(
    language: str, timezone: str, pattern: str | None
) -> Callable[[dt.datetime | None], str]:
    """Dates in `pattern` (None: CLDR's "short"), one language, one time zone, resolved once.

    The pattern becomes one `str.format` template. The output is Babel's own, a naive datetime
    read as UTC as Babel does (tests/core/test_i18n_dates.py compares them).
    """
    locale = Locale.parse(language)
    tz = ZoneInfo(timezone)
    pieces: list[str | None] = []
    for kind, token in tokenize_pattern(pattern or ""):
        if kind == "chars":
            pieces.append(token.replace("{", "{{").replace("}", "}}"))
        else:
            pieces.append(_FIELDS.get(token[0] * token[1]))
    if pattern is None or None in pieces:

        def with_babel(value: dt.datetime | None) -> str:
            if value is None:
                return ""
            text = babel_format_datetime(value, pattern or "short", tzinfo=tz, locale=locale)
            return first_of_month(text, language)

        return with_babel
    template = "".join(pieces)  # type: ignore[arg-type]
    # French writes the first day of a month as an ordinal: « 1er décembre » (not « 01/12 »).
    first = template
    if (
        language.startswith("fr")
        and "{0.day}" in template
        and ("{1}" in template or "{2}" in template)
    ):
        first = template.replace("{0.day}", "1er", 1)
    # Plain dicts: Babel's locale data answers each lookup through its alias resolution,
    # three per date, and a queue page formats a hundred dates.
    months = dict(locale.months["format"]["abbreviated"])
    month_names = dict(locale.months["format"]["wide"])
    day_names = dict(locale.days["format"]["wide"])

    def fmt(value: dt.datetime | None) -> str:
        if value is None:
            return ""
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        local = value.astimezone(tz)
        month = local.month
        shape = first if local.day == 1 else template
        return shape.format(local, months[month], month_names[month], day_names[local.weekday()])

    # Its output is numbers, the pattern's text and these names: if none of them holds a
    # character HTML escapes, neither can the output, and a long list need not escape it.
    fixed = [template, *months.values(), *month_names.values(), *day_names.values()]
    fmt.html_safe = not any(ch in text for text in fixed for ch in "&<>'\"")  # type: ignore[attr-defined]
    return fmt


def html_safe(formatter: Callable[[dt.datetime | None], str]) -> bool:
    """Whether what `formatter` (of `datetime_formatter`) writes never needs escaping."""
    return getattr(formatter, "html_safe", False)


def localdt(value: dt.datetime | None, fmt: str = "short") -> str:
    """Jinja filter: a UTC datetime in the display time zone and the user's locale."""
    if value is None:
        return ""
    if fmt == "short":
        return short_datetime(str(get_locale()), select_timezone())(value)
    return first_of_month(format_datetime(value, fmt), str(get_locale()))


# A day number 1 just before a French month's name (wide or abbreviated), as Babel writes it.
_FRENCH_FIRST = re.compile(
    r"(?<![\d.,:/])1 (?=(?:janv|févr|mars|avr|mai|juin|juil|août|sept|oct|nov|déc))"
)


def first_of_month(text: str, language: str) -> str:
    """French writes the first day of a month « 1er » (« mardi 1er décembre 2026 »): Babel's
    patterns have no ordinal day, so a formatted date is mended here."""
    if not language.startswith("fr"):
        return text
    return _FRENCH_FIRST.sub("1er ", text)


def day_month(value: dt.date | dt.datetime) -> str:
    """A day without its year, in the reader's words: "1 December", « 1er décembre »."""
    return first_of_month(format_date(value, "d MMMM"), str(get_locale()))


# CLDR's English "long" date is the US order ("December 14, 2026"); desk's other English
# dates put the day first ("14 Dec 2026, 09:30"), as its readers in France do.
DATE_PATTERNS = {"en": "d MMMM y"}


def long_date(value: dt.date | dt.datetime | None) -> str:
    """Jinja filter: "14 décembre 2026", "14 December 2026" (a datetime in the display zone)."""
    if value is None:
        return ""
    language = page_language()
    return first_of_month(format_date(value, DATE_PATTERNS.get(language, "long")), language)


def filesize(size: int) -> str:
    """Jinja filter: a size in kilobytes, with the reader's decimal sign and unit (Ko / KB).
    A file under 0.05 KB reads 0.1 KB: "0.0 KB" said a file of a few bytes was empty."""
    kilobytes = max(size / 1024, 0.1) if size > 0 else 0
    number = format_decimal(kilobytes, "#,##0.0", locale=str(get_locale()))
    return gettext("%(size)s KB", size=number)


# The page's catalogue, put in each template context once per render_template: Flask-Babel's
# own template callables look it up again at every `_()`, through half a dozen context-local
# proxies (a queue page has ~300 of them: a tenth of its CPU).
_TRANSLATIONS = "_desk_translations"


def _translations(context: Context) -> Any:
    # A template rendered without Flask's context processors (an error page of last resort)
    # falls back to Flask-Babel's lookup.
    found = context.get(_TRANSLATIONS)
    return found if found is not None else get_translations()


def init_i18n(app: Flask) -> None:
    """Register the template helpers that depend on the language (after Flask-Babel's)."""
    app.jinja_env.filters["localdt"] = localdt
    app.jinja_env.filters["filesize"] = filesize
    app.jinja_env.filters["longdate"] = long_date
    # "1 095" in French, "1,095" in English: a count in a sentence, as its reader writes it
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.globals["name_html"] = name_html
    app.context_processor(lambda: {_TRANSLATIONS: get_translations()})
    app.jinja_env.install_gettext_callables(
        gettext=pass_context(lambda c, s: _translations(c).ugettext(s)),
        ngettext=pass_context(lambda c, s, p, n: _translations(c).ungettext(s, p, n)),
        pgettext=pass_context(lambda c, ctx, s: _translations(c).upgettext(ctx, s)),
        npgettext=pass_context(lambda c, ctx, s, p, n: _translations(c).unpgettext(ctx, s, p, n)),
        newstyle=True,
    )
    # `_()` and `gettext()` are the most frequent calls of a page (~50 on a queue list): one
    # function instead of the extension's alias → newstyle wrapper → callable, same result.
    app.jinja_env.globals.update(gettext=_page_gettext, _=_page_gettext)
    _mark_french_elisions(app)


def _mark_french_elisions(app: Flask) -> None:
    # Each language's catalogue is loaded once per app (Flask-Babel keeps it): mark its
    # messages that elide « de » before a value, so that every way of formatting them does.
    with app.app_context():
        for code in app.config["LANGUAGES"]:
            with force_locale(code):
                mark_elisions(get_translations()._catalog)


@pass_context
def _page_gettext(context: Context, string: str, **variables: Any) -> str:
    return template_message(context, _translations(context).ugettext(string), variables)


def template_message(context: Context, text: str, variables: dict[str, Any]) -> str:
    """A translated message formatted as Jinja's newstyle gettext does: Markup when
    autoescaping, and always formatted with the variables (so "%%" is a percent sign and every
    value is escaped); « de » elided before a value that needs it."""
    if isinstance(text, ElidingText):
        text = elide(text, variables)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - our catalogue's msgstr, as Jinja marks it; % escapes values
    return text % variables
