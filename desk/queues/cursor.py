"""The page cursor of queue lists: [sort, key, id] of the last row shown (`desk.core.keyset`).

The sort is in the cursor so that a link made for one sort never resumes another; the key is
the due date (null for the undated tickets listed after the dated ones) or the creation date.
"""

from __future__ import annotations

import datetime as dt

from desk.core import keyset
from desk.core.input import MAX_ID

__all__ = ["MAX_ID", "decode_cursor", "encode_cursor"]


def encode_cursor(sort: str, key: dt.datetime | None, ticket_id: int) -> str:
    """An opaque token for "the rows after this one"."""
    return keyset.encode_cursor(sort, key, ticket_id)


def decode_cursor(token: str, sort: str) -> tuple[dt.datetime | None, int] | None:
    """(key, id) from a token made by `encode_cursor` for the same sort, else None."""
    data = keyset.decode_cursor(token, (str, (dt.datetime, keyset.NONE), int))
    if data is None or data[0] != sort:
        return None
    _sort, key, ticket_id = data
    if key is None and sort != "due":  # only the due date may be missing
        return None
    return key, ticket_id
