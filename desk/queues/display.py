"""Per-request display helpers for long lists: labels translated once, dates formatted fast.

A 50-row page would otherwise translate the same status label and look up the locale and
time zone a few hundred times; here that happens once per request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from babel.dates import get_date_format, get_datetime_format, get_time_format, parse_pattern
from flask_babel import get_locale, get_timezone

from desk.sla.state import SLA_LABELS
from desk.tickets.history import PRIORITY_LABELS
from desk.tickets.workflow import STATUS_LABELS


def labels() -> dict[str, dict]:
    """Status, priority and SLA labels as plain strings in the current language."""
    return {
        "status_labels": {k: str(v) for k, v in STATUS_LABELS.items()},
        "priority_labels": {k: str(v) for k, v in PRIORITY_LABELS.items()},
        "sla_labels": {k: str(v) for k, v in SLA_LABELS.items()},
    }


def datetime_formatter() -> Callable[[dt.datetime | None], str]:
    """Like the `localdt` filter ("short" format, display time zone), resolved once."""
    locale, tz = get_locale(), get_timezone()
    date_part = parse_pattern(get_date_format("short", locale=locale))
    time_part = parse_pattern(get_time_format("short", locale=locale))
    joined = str(get_datetime_format("short", locale=locale))

    def fmt(value: dt.datetime | None) -> str:
        if value is None:
            return ""
        local = value.astimezone(tz)
        return joined.replace("{1}", date_part.apply(local, locale)).replace(
            "{0}", time_part.apply(local, locale)
        )

    return fmt
