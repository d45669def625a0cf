"""Keyset pagination: pages addressed by the sort key of the last row shown, never by OFFSET.

An OFFSET page makes the database read and throw away every row before it, so page 200 costs
200 pages, and a row inserted meanwhile shifts every later page by one (a row shown twice, or
one never shown). A cursor says "the rows after this one": each page is one index-ordered read
from there, and new rows do not move it.

The cursor is opaque to users (base64url of a JSON list) but not secret: it only says where to
resume. Access rules and filters are applied again on every page, so a forged cursor can at
worst show another page of rows the user may see anyway. Anything malformed — bad base64 or
JSON, the wrong number or kind of values, an id out of range, a date without its offset —
decodes to None, and the view shows the first page.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, request, url_for
from sqlalchemy import Select, bindparam, literal, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from desk.core.i18n import lazy_gettext as _l
from desk.core.input import MAX_ID
from desk.extensions import db

MAX_TOKEN = 200  # characters: a cursor holds a few values; anything longer is not ours
NONE = type(None)
_INVALID = object()

Kind = type | tuple[type, ...]


def encode_cursor(*values: int | float | str | dt.datetime | None) -> str:
    """An opaque token for "the rows after the one with these sort values"."""
    plain = [v.isoformat() if isinstance(v, dt.datetime) else v for v in values]
    raw = json.dumps(plain, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str | None, kinds: Sequence[Kind]) -> tuple[Any, ...] | None:
    """The values of a token made by `encode_cursor`, checked against `kinds`, else None.

    A kind is `int` (an id: 1..MAX_ID), `float` (finite), `dt.datetime` (with its offset,
    returned in UTC), `str`, or a tuple of them; `NONE` in the tuple admits null.
    """
    if not token or len(token) > MAX_TOKEN:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, list) or len(data) != len(kinds):
        return None
    values = []
    for value, kind in zip(data, kinds, strict=True):
        parsed = _parse(value, kind if isinstance(kind, tuple) else (kind,))
        if parsed is _INVALID:
            return None
        values.append(parsed)
    return tuple(values)


def _parse(value: Any, accepted: tuple[type, ...]) -> Any:
    if value is None:
        return None if NONE in accepted else _INVALID
    if isinstance(value, bool):
        return _INVALID
    if isinstance(value, int) and int in accepted:
        return value if 0 < value <= MAX_ID else _INVALID
    if isinstance(value, int | float) and float in accepted:
        return float(value) if math.isfinite(value) else _INVALID
    if isinstance(value, str) and dt.datetime in accepted:
        try:
            moment = dt.datetime.fromisoformat(value)
            if moment.tzinfo is None:
                return _INVALID
            return moment.astimezone(dt.UTC)
        except (ValueError, OverflowError):  # year 1 at UTC+5 is before year 1 in UTC
            return _INVALID
    if isinstance(value, str) and str in accepted:
        return value
    return _INVALID


@dataclass
class KeysetPage:
    """Rows of one page and the cursor of the next (None on the last page)."""

    items: list[Any]
    next_cursor: str | None


def keys_kinds(keys: Sequence[InstrumentedAttribute]) -> tuple[Kind, ...]:
    """The cursor kinds of sort columns: dates and integer ids (what desk sorts lists by)."""
    kinds: list[Kind] = []
    for key in keys:
        sql_type = getattr(key.type, "impl_instance", key.type)  # a TypeDecorator's own type
        python_type = sql_type.python_type
        if not issubclass(python_type, dt.datetime | int):
            raise TypeError(f"no cursor kind for {key}")
        kinds.append(python_type)
    return tuple(kinds)


def newest_first(
    query: Select, keys: Sequence[InstrumentedAttribute], cursor: str | None, size: int
) -> KeysetPage | None:
    """One page of ORM rows sorted by `keys` descending (the last key unique: the id).

    None when `cursor` is given but is not one of ours, or nothing follows it any more (its
    rows were deleted or left the filter): the caller shows the first page and says so. The
    rows after the cursor are those whose key tuple sorts below it, a row value comparison an
    index on the same columns serves.
    """
    if cursor:
        after = decode_cursor(cursor, keys_kinds(keys))
        if after is None:
            return None
        bound = [bindparam(None, v, type_=k.type) for k, v in zip(keys, after, strict=True)]
        query = query.where(tuple_(*keys) < tuple_(*bound))
    ordered = query.order_by(None).order_by(*(key.desc() for key in keys))
    # The LIMIT written into the SQL: with `LIMIT $1` PostgreSQL never settles on a plan for
    # the prepared statement (it assumes a tenth of the table) and plans each page again.
    rows = db.session.scalars(ordered.limit(literal(size + 1, literal_execute=True))).all()
    if cursor and not rows:  # its rows are gone (deleted, or moved to another filter)
        return None
    if len(rows) <= size:
        return KeysetPage(list(rows), None)
    last = rows[size - 1]
    return KeysetPage(list(rows[:size]), encode_cursor(*(getattr(last, k.key) for k in keys)))


def requested_page(
    query: Select, keys: Sequence[InstrumentedAttribute], size: int, endpoint: str, **args: Any
) -> KeysetPage:
    """The page a list view was asked for (`?after=`).

    When the cursor is not one of ours, the request ends here: a redirect to the list's first
    page (`args`: the list's other URL arguments) with a message, so views only handle pages.
    """
    page = newest_first(query, keys, request.args.get("after"), size)
    if page is None:
        flash(_l("This page link is no longer valid: here is the first page."), "warning")
        abort(redirect(url_for(endpoint, **args)))
    return page
