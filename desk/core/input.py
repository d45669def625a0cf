"""Input no route can store or compute with is refused once, here, before any view runs.

Found by fuzzing every route: a NUL character (PostgreSQL refuses it in text), an id past the
32-bit columns, or a year 9999 date reached the database or date arithmetic and ended in a 500.
Rather than guard each view, the app refuses such input centrally:

- `reject_unstorable_input` (a `before_request` hook) answers 400, with a sentence in the user's
  language, when the path, a query parameter or a form field (name, value or file name) holds a
  character PostgreSQL cannot store, and the page "Bad request" when a multipart part has no
  name (werkzeug keys it None, which every check and view would trip on) or the query string
  is raw bytes that are not UTF-8 (werkzeug cannot read its parameters);
- the `int` URL converter is bounded to the id columns' range, so `/attachments/99999999999` is
  simply not found (404) on every route, present and future;
- `parse_int` reads a number a form or a query string sent as text, the one way every view and
  form does it: `str.isdigit()` alone lets through "²" (which `int()` refuses) and 5,000-digit
  strings (past `int()`'s 4,300), and an id past 2**31 - 1 makes PostgreSQL refuse the query;
- `choice_id` and `optional_id` read a list's choice as an id, anything else refused next to its
  field (`optional_id`: empty means none);
- `query_int` and `query_date` read query parameters within bounds, for views that take them;
- `contains_pattern` turns typed text into a LIKE pattern whose `%` and `_` are plain text;
- a request's body is held to MAX_FORM_BODY_SIZE (1 MB), unless it is multipart (a form with
  files, held to MAX_CONTENT_LENGTH, the upload limit and a megabyte, and each of its text
  fields to MAX_FORM_MEMORY_SIZE, 500 kB): `DeskRequest`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import IO
from urllib.parse import parse_qsl, urlsplit

from flask import Flask, Request, abort, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream

from desk.core.refused import init_refused_requests

MAX_ID = 2**31 - 1  # PostgreSQL `integer`: ids and every integer column desk has
# Dates a person may mean: far enough for any report, near enough that adding a year or a
# time zone offset can never overflow Python's date range (year 9999).
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2200, 12, 31)

# NUL is the one character PostgreSQL refuses in text; lone surrogates cannot be encoded in
# UTF-8 at all. Other control characters are stored and shown escaped, like any text.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` limited to 0..MAX_ID unless a rule asks otherwise: larger ids are 404."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(
            map,
            fixed_digits=fixed_digits,
            min=min,
            max=MAX_ID if max is None else max,
            signed=signed,
        )


def has_unstorable(text: str) -> bool:
    """The text holds a character the database cannot store."""
    return bool(_UNSTORABLE.search(text))


def _unstorable_request() -> bool:
    if has_unstorable(request.path):
        return True
    for source in (request.args, request.form):
        for key, values in source.lists():
            if has_unstorable(key) or any(has_unstorable(v) for v in values):
                return True
    return any(
        has_unstorable(key) or has_unstorable(upload.filename or "")
        for key, upload in request.files.items(multi=True)
    )


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode()
    except UnicodeDecodeError:
        return False
    return True


def reject_unstorable_input():
    """before_request: 400 (in the user's language) for input the database cannot store."""
    # A multipart part without a name (no browser sends one; a hand-made request does) is
    # kept by werkzeug under the key None, which no view or check expects.
    if None in request.form or None in request.files:
        abort(400)
    # Raw bytes in the query string that are not UTF-8 (gunicorn refuses them in the request
    # line, the development server and other WSGI servers pass them on): werkzeug decodes
    # it strictly when `request.args` is first read, a UnicodeDecodeError on every route.
    if not _is_utf8(request.query_string):
        abort(400)
    if _unstorable_request():
        from desk.core.errors import UNSTORABLE_MESSAGE, render_error

        return render_error(400, str(UNSTORABLE_MESSAGE))
    return None


def parse_int(raw: object, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """`raw` as an integer within [low, high] (by default an id or a count), else None.

    Text is read only if it is ASCII digits (a leading "-" if `low` allows it) around which
    spaces are ignored; an `int` is taken as it is (a value already coerced)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str):
        text = raw.strip()
        digits = text[1:] if text.startswith("-") and low < 0 else text
        if not digits.isascii() or not digits.isdigit() or len(digits) > 18:
            return None
        value = int(text)
    else:
        return None
    return value if low <= value <= high else None


def choice_id(value: object) -> int:
    """WTForms' `coerce` for a list of ids: a value that is not an id is an invalid choice
    (ValueError, shown next to the field), never a query PostgreSQL refuses."""
    parsed = parse_int(value)
    if parsed is None:
        raise ValueError(f"not an id: {value!r:.40}")
    return parsed


# What `optional_id` makes of a value that is neither empty nor an id: the form refuses it next
# to its field, never reading it as "none" (that would silently drop or widen what was chosen).
NOT_AN_ID = object()


def optional_id(value: object) -> object:
    """WTForms' `coerce` for a list whose empty choice means none: "" → None, an id → the
    number, anything else → NOT_AN_ID, for the form's check of that field to refuse."""
    if value is None or value == "":
        return None
    parsed = parse_int(value)
    return NOT_AN_ID if parsed is None else parsed


def query_int(name: str, default: int | None = None, *, low: int = 0, high: int = MAX_ID):
    """An integer query parameter within [low, high]; absent → default; anything else → 400."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    value = parse_int(raw, low=low, high=high)
    if value is None:
        abort(400)
    return value


def parse_date(raw: str) -> dt.date | None:
    """A YYYY-MM-DD date between MIN_DATE and MAX_DATE, or None."""
    try:
        value = dt.date.fromisoformat(raw.strip())
    except ValueError:
        return None
    return value if MIN_DATE <= value <= MAX_DATE else None


def contains_pattern(text: str) -> str:
    """A LIKE pattern (escape character backslash) matching values that contain `text`."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def local_path(target: str | None) -> str | None:
    """`target` if it is a path of this site, else None: a `next` to follow after a login or
    a button, never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    # Browsers read a backslash as a slash ("/\\evil" is "//evil") and drop control characters.
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    return target


class _ReadableFormParser(FormDataParser):
    """werkzeug's form parser, but a URL-encoded body's bytes that are not UTF-8 become
    U+FFFD, as they do in a multipart one. werkzeug kept them percent-encoded ("caf%E9" saved
    as typed by nobody) and, sent raw, dropped the whole form (every field "required", the
    CSRF token missing); now each text field refuses them next to itself ("could not be
    read", `desk.catalog.forms.fields.readable`), as for a multipart form."""

    def _parse_urlencoded(self, stream, mimetype, content_length, options):  # type: ignore[no-untyped-def]
        text = stream.read().decode(errors="replace")
        items = parse_qsl(text, keep_blank_values=True, errors="replace")
        return stream, self.cls(items), self.cls()


class DeskRequest(Request):
    """Flask's request, whose body is held to the form limit unless it carries files.

    Werkzeug applies MAX_FORM_MEMORY_SIZE to each text field of a multipart body only, not to
    a URL-encoded one (read whole, at once): any form could be sent 11 MB of text (the upload
    limit, MAX_CONTENT_LENGTH), which every view then read, checked and drew again in its
    page. A body that is not multipart is now held to MAX_FORM_BODY_SIZE as a whole: past
    it, desk's 413 page, in the reader's language, before anything reads the body (or while
    reading a chunked one)."""

    form_data_parser_class = _ReadableFormParser

    @property
    def max_content_length(self) -> int | None:
        limit = Request.max_content_length.fget(self)  # type: ignore[attr-defined]
        if self._max_content_length is not None or self.mimetype == "multipart/form-data":
            return limit
        body_limit = current_app.config.get("MAX_FORM_BODY_SIZE") if current_app else None
        if body_limit is None:
            return limit
        return body_limit if limit is None else min(limit, body_limit)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @cached_property
    def stream(self) -> IO[bytes]:
        """werkzeug's stream, but a body sent without a length (chunked) that goes past the
        limit is refused when read whole too, not cut at the limit (`_WholeBodyAtMost`)."""
        limit = self.max_content_length
        environ = self.environ
        if (
            limit is not None
            and not self.shallow
            and self.content_length is None
            and "wsgi.input_terminated" in environ
        ):
            return _WholeBodyAtMost(environ["wsgi.input"], limit)
        return Request.stream.fget(self)  # type: ignore[attr-defined]


class _WholeBodyAtMost(LimitedStream):
    """A stream held to a maximum (413 past it), also when read whole at once.

    werkzeug's LimitedStream refuses a read past its maximum, but its `readall` stops at the
    maximum and returns the body cut there: a URL-encoded form sent chunked (read whole, at
    once) was parsed from its first megabyte, and the rest silently dropped. This one reads
    one byte more to tell a body of exactly the limit from a longer one."""

    def __init__(self, stream: IO[bytes], limit: int):
        super().__init__(stream, limit, is_max=True)
        self._body = stream

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted and self._body.read(1):
            raise RequestEntityTooLarge()
        return data


def init_input_checks(app: Flask) -> None:
    """Bound the `int` URL converter (before any rule is added) and check every request."""
    app.request_class = DeskRequest
    app.url_map.converters["int"] = BoundedIntConverter
    init_refused_requests(app)  # first: such a request has nothing else to check
    app.before_request(reject_unstorable_input)
