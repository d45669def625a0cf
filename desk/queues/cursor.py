"""The opaque page cursor of queue lists: base64url(JSON [sort, key, id]) of the last row shown.

It only says where to resume; access rules and filters are applied again on every page, so a
forged cursor can at worst show another page of tickets the user may see anyway. Anything
malformed decodes to None (the view then shows the first page with a message).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json

MAX_ID = 2**31 - 1  # ids are 32-bit integers: larger ones would be refused by PostgreSQL


def encode_cursor(sort: str, key: dt.datetime | None, ticket_id: int) -> str:
    """An opaque token for "the rows after this one"."""
    raw = json.dumps([sort, key.isoformat() if key else None, ticket_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str, sort: str) -> tuple[dt.datetime | None, int] | None:
    """(key, id) from a token made by `encode_cursor` for the same sort, else None."""
    if len(token) > 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not (isinstance(data, list) and len(data) == 3 and data[0] == sort):
        return None
    _sort, key, ticket_id = data
    if not isinstance(ticket_id, int) or isinstance(ticket_id, bool) or not 0 < ticket_id <= MAX_ID:
        return None
    if key is None:
        return (None, ticket_id) if sort == "due" else None
    try:
        moment = dt.datetime.fromisoformat(key) if isinstance(key, str) else None
        if moment is None or moment.tzinfo is None:
            return None
        return moment.astimezone(dt.UTC), ticket_id
    except (ValueError, OverflowError):  # e.g. year 1 at UTC+5 is before year 1 in UTC
        return None
