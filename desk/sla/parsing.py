"""Text forms of SLA settings: weekly hours, holiday lists, durations, time zones.

Shared by the admin forms and the YAML loader, so both accept the same syntax and give the
same messages. Every parser raises `SettingError` with a translated message for the user.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
import zoneinfo
from functools import cache
from itertools import pairwise

from flask_babel import gettext as _

from desk.sla.calendar import NOT_ZONES, BusinessCalendar


class SettingError(ValueError):
    """A setting the user typed is malformed; `str(error)` is the message to show."""


# Accepted day names (accents and case ignored): French and English, short and long.
_DAY_NAMES = {
    0: ("lun", "lundi", "mon", "monday"),
    1: ("mar", "mardi", "tue", "tues", "tuesday"),
    2: ("mer", "mercredi", "wed", "wednesday"),
    3: ("jeu", "jeudi", "thu", "thur", "thurs", "thursday"),
    4: ("ven", "vendredi", "fri", "friday"),
    5: ("sam", "samedi", "sat", "saturday"),
    6: ("dim", "dimanche", "sun", "sunday"),
}
_DAY_BY_NAME = {name: day for day, names in _DAY_NAMES.items() for name in names}
_SHORT = {
    "fr": ("lun", "mar", "mer", "jeu", "ven", "sam", "dim"),
    "en": ("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
}
_TIME_RE = re.compile(r"(\d{1,2})(?:[:h](\d{2})?)?")
_CLOSED = {"ferme", "closed", "-"}

Weekly = dict[int, list[tuple[str, str]]]


def _plain(text: str) -> str:
    """Lower case without accents, so "Fermé" and "ferme" are the same word."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _days(spec: str, line: int) -> list[int]:
    days: list[int] = []
    for part in spec.split(","):
        ends = part.split("-")
        if len(ends) > 2 or any(e.rstrip(".:") not in _DAY_BY_NAME for e in ends):
            raise SettingError(
                _(
                    "Line %(line)s: “%(text)s” is not a day of the week (e.g. mon, "
                    "tue… or mon-fri).",
                    line=line,
                    text=part,
                )
            )
        first, last = (_DAY_BY_NAME[e.rstrip(".:")] for e in (ends[0], ends[-1]))
        if last < first:
            raise SettingError(
                _("Line %(line)s: the day range “%(text)s” runs backwards.", line=line, text=part)
            )
        days.extend(range(first, last + 1))
    return days


def _time(text: str, line: int) -> int:
    match = _TIME_RE.fullmatch(text)
    if match:
        hour, minute = int(match[1]), int(match[2] or 0)
        if minute < 60 and (hour < 24 or (hour == 24 and minute == 0)):
            return hour * 60 + minute
    raise SettingError(
        _("Line %(line)s: “%(text)s” is not a time between 00:00 and 24:00.", line=line, text=text)
    )


def parse_weekly(text: str) -> Weekly:
    """Lines like `lun-ven 08:00-12:00 13:30-17:00` → {weekday: [(start, end), ...]}."""
    spans: dict[int, list[tuple[int, int]]] = {}
    closed: set[int] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(
            r"\s*([-–,])\s*", lambda m: "-" if m[1] in "-–" else ",", _plain(raw.split("#", 1)[0])
        )
        if not line:
            continue
        head, _sep, rest = line.partition(" ")
        days = _days(head, number)
        tokens = [t for t in re.split(r"[\s,;]+", rest) if t]
        if not tokens:
            raise SettingError(
                _(
                    "Line %(line)s: give opening hours after the days, e.g. "
                    "08:00-12:00 13:30-17:00 (or “closed”).",
                    line=number,
                )
            )
        if len(tokens) == 1 and tokens[0] in _CLOSED:
            closed.update(days)
            for day in days:
                spans.setdefault(day, [])
            continue
        for token in tokens:
            start_text, dash, end_text = token.partition("-")
            if not dash:
                raise SettingError(
                    _(
                        "Line %(line)s: “%(text)s” is not an interval like 08:00-12:00.",
                        line=number,
                        text=token,
                    )
                )
            start, end = _time(start_text, number), _time(end_text, number)
            if start >= end:
                raise SettingError(
                    _(
                        "Line %(line)s: the interval “%(text)s” ends before it starts.",
                        line=number,
                        text=token,
                    )
                )
            for day in days:
                spans.setdefault(day, []).append((start, end))
    weekly: Weekly = {}
    for day, intervals in sorted(spans.items()):
        if day in closed and intervals:
            # "lun-ven 08:00-17:00" then "mer fermé": the day stayed open, silently.
            raise SettingError(
                _(
                    "Opening hours and “closed” are both given for %(day)s: keep one.",
                    day=day_name(day),
                )
            )
        intervals.sort()
        for (_s1, e1), (s2, _e2) in pairwise(intervals):
            if s2 < e1:
                raise SettingError(_("The opening hours of %(day)s overlap.", day=day_name(day)))
        if intervals:
            weekly[day] = [(_hhmm(s), _hhmm(e)) for s, e in intervals]
    if not weekly:
        raise SettingError(
            _(
                "This calendar never opens: give at least one day with opening "
                "hours, e.g. “mon-fri 08:00-17:00”."
            )
        )
    return weekly


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def day_name(day: int) -> str:
    """The long day name in the UI language."""
    names = (
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    )
    return names[day]


def format_weekly(weekly: dict, language: str = "fr") -> str:
    """The text form of stored weekly hours, consecutive identical days grouped (lun-ven)."""
    short = _SHORT.get(language, _SHORT["fr"])
    by_day = {int(d): [tuple(i) for i in v] for d, v in weekly.items() if v}
    lines, day = [], 0
    while day < 7:
        if day not in by_day:
            day += 1
            continue
        last = day
        while last + 1 in by_day and by_day[last + 1] == by_day[day]:
            last += 1
        days = short[day] if last == day else f"{short[day]}-{short[last]}"
        lines.append(f"{days} " + " ".join(f"{s}-{e}" for s, e in by_day[day]))
        day = last + 1
    return "\n".join(lines)


# "2026-12-24 - 2027-01-01", "2026-12-24 au 2027-01-01", "2026-12-24..2027-01-01": a closure of
# several days. Only a second date makes a range: "2026-12-24 - Veille de Noël" is a label.
_DATE_LIKE = r"\d{4}-\d{1,2}-\d{1,2}"
_HOLIDAY_RANGE_RE = re.compile(
    rf"({_DATE_LIKE})\s*(?:\.\.|[-–—]|\s(?:au|to|à)\s)\s*({_DATE_LIKE})(?!\S)", re.IGNORECASE
)


def _holiday(token: str, line: int) -> dt.date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", token):
            raise ValueError
        return dt.date.fromisoformat(token)
    except ValueError:
        raise SettingError(
            _(
                "Line %(line)s: “%(text)s” is not a date written YYYY-MM-DD (e.g. 2026-12-25).",
                line=line,
                text=token,
            )
        ) from None


def parse_holidays(text: str) -> list[str]:
    """One ISO date (YYYY-MM-DD) or range of dates per line, optionally followed by a label
    → sorted ISO dates."""
    found: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        span = _HOLIDAY_RANGE_RE.match(line)
        if span is None:
            found.add(_holiday(line.split()[0], number).isoformat())
            continue
        # A university's winter closure was typed as one line: only its first day was
        # closed, the rest read as the label, and the clock ran through the closure.
        first, last = _holiday(span[1], number), _holiday(span[2], number)
        if last < first:
            raise SettingError(
                _(
                    "Line %(line)s: the range “%(text)s” ends before it starts.",
                    line=number,
                    text=span[0],
                )
            )
        if (last - first).days >= 366:
            raise SettingError(
                _("Line %(line)s: a range of closed days is at most one year long.", line=number)
            )
        days = (last - first).days + 1
        found.update((first + dt.timedelta(days=i)).isoformat() for i in range(days))
    return sorted(found)


def generate_holidays(country: str, years: list[int]) -> list[str]:
    """Public holidays of a country (ISO code, France by default) for the given years."""
    import holidays  # imported lazily: it loads every country's rules

    code = country.strip().upper() or "FR"
    if code not in holidays.list_supported_countries():
        raise SettingError(_("“%(code)s” is not a supported country code (e.g. FR).", code=code))
    return sorted(d.isoformat() for d in holidays.country_holidays(code, years=years))


def parse_years(text: str) -> list[int]:
    """ "2026, 2027" or "2026-2028" → [2026, 2027, 2028] (at most 10 years, 2000–2100)."""
    years: set[int] = set()
    for part in re.split(r"[\s,;]+", text.strip()):
        if not part:
            continue
        match = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", part)
        if not match:
            raise SettingError(_("“%(text)s” is not a year (e.g. 2026 or 2026-2027).", text=part))
        first, last = int(match[1]), int(match[2] or match[1])
        if not 2000 <= first <= last <= 2100:
            raise SettingError(_("Give years between 2000 and 2100, in order."))
        years.update(range(first, last + 1))
    if not years:
        raise SettingError(_("Give at least one year, e.g. 2026, 2027."))
    if len(years) > 10:
        raise SettingError(_("Give at most 10 years at a time."))
    return sorted(years)


@cache
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones() - NOT_ZONES}


def check_timezone(text: str) -> str:
    """The canonical spelling of an IANA time zone; a did-you-mean message otherwise."""
    name = text.strip()
    zones = _zones()
    if name.lower() in zones:
        return zones[name.lower()]
    # The longest zone name is 32 characters: a longer value is echoed cut, not whole.
    shown = name if len(name) <= 40 else f"{name[:40]}…"
    close = difflib.get_close_matches(name.lower(), zones, n=1, cutoff=0.7)
    if close:
        raise SettingError(
            _(
                "Unknown time zone “%(text)s”. Did you mean %(suggestion)s?",
                text=shown,
                suggestion=zones[close[0]],
            )
        )
    raise SettingError(_("Unknown time zone “%(text)s”: use a name like Europe/Paris.", text=shown))


def day_minutes(calendar: BusinessCalendar) -> int:
    """Length of an average open day, in minutes: what "1 working day" means for it."""
    open_days = len(calendar.weekly_hours)
    return round(calendar.weekly_open_time.total_seconds() / 60 / open_days)


def year_days(calendar: BusinessCalendar) -> int:
    """The open days of one year of the calendar (the longest target, in its working days).

    A year of 366 days is 52 weeks and 2 days: its open days are the week's times 366/7,
    holidays not deducted (a leap year, holidays counted as open: the generous bound). Not 366
    working days: for a Monday-to-Friday calendar those are 73 weeks, close to a year and a
    half; and not a year of clock minutes either, which let through 976 working days of 9 hours."""
    return len(calendar.weekly_hours) * 366 // 7


_DURATION_RE = re.compile(r"([+-]?\d+(?:[.,]\d+)?)\s*([a-z ]*)")
_UNITS = {
    "min": 1,
    "mn": 1,
    "m": 1,
    "mins": 1,
    "minute": 1,
    "minutes": 1,
    "h": 60,
    "hr": 60,
    "hrs": 60,
    "heure": 60,
    "heures": 60,
    "hour": 60,
    "hours": 60,
    "d": 0,
    "j": 0,
    "jour": 0,
    "jours": 0,
    "day": 0,
    "days": 0,
}
# "2 j ouvrés", "4 heures ouvrées", "2 working days", "4 business hours": the qualifier may come
# before or after the unit, as each language writes it.
_QUALIFIERS = {
    "ouvre",
    "ouvres",
    "ouvree",
    "ouvrees",
    "ouvrable",
    "ouvrables",
    "working",
    "business",
}


def parse_duration(text: str, calendar: BusinessCalendar) -> int:
    """ "4h", "90min", "1h30", "2 j ouvrés", "2 working days", "2d" → business minutes (> 0)
    of `calendar` (a day is its average open day), at most one year of it (`year_days`)."""
    minutes_per_day = day_minutes(calendar)
    plain = _plain(text)
    if not plain:
        raise SettingError(_("Give a duration, e.g. 4h, 90min or 2 working days."))
    if re.search(r"\d{10}", plain):  # past any target; int() refuses thousands of digits
        raise SettingError(_("The target is too long (at most one year)."))
    hours_minutes = re.fullmatch(r"(\d+)\s*h\s*(\d{1,2})", plain)
    # "1h75" is no time on a clock: read as 2 h 15 it saved a target nobody typed.
    if hours_minutes and int(hours_minutes[2]) < 60:
        minutes = int(hours_minutes[1]) * 60 + int(hours_minutes[2])
    else:
        match = _DURATION_RE.fullmatch(plain)
        words = [w for w in match[2].split() if w not in _QUALIFIERS] if match else []
        unit = words[0] if len(words) == 1 else ""
        if not match or unit not in _UNITS or len(match[2].split()) > 2:
            raise SettingError(
                _(
                    "“%(text)s” is not a duration: write e.g. 4h, 90min, 1h30 or 2 working days.",
                    text=text.strip(),
                )
            )
        factor = _UNITS[unit] or minutes_per_day
        minutes = round(float(match[1].replace(",", ".")) * factor)
    if minutes <= 0:
        raise SettingError(_("The target must be longer than zero."))
    if minutes > year_days(calendar) * minutes_per_day:
        raise SettingError(_("The target is too long (at most one year)."))
    return minutes


def format_duration(minutes: int, minutes_per_day: int) -> str:
    """The shortest text `parse_duration` reads back to the same minutes ("2 j", "4 h")."""
    if minutes % minutes_per_day == 0:
        return _("%(num)d d", num=minutes // minutes_per_day)
    if minutes % 60 == 0:
        return _("%(num)d h", num=minutes // 60)
    return _("%(num)d min", num=minutes)


def describe_duration(minutes: int, minutes_per_day: int, *, business: bool = True) -> str:
    """A duration for people: "1 jour ouvré", "4 heures ouvrées", "2 days"."""
    # Separate msgids, not ngettext: the shared catalogue tooling fills singular entries only.
    if minutes % minutes_per_day == 0:
        n = minutes // minutes_per_day
        if business:
            return _("%(num)d working day", num=n) if n == 1 else _("%(num)d working days", num=n)
        return _("%(num)d day", num=n) if n == 1 else _("%(num)d days", num=n)
    if minutes % 60 == 0:
        n = minutes // 60
        if business:
            return (
                _("%(num)d business hour", num=n) if n == 1 else _("%(num)d business hours", num=n)
            )
        return _("%(num)d hour", num=n) if n == 1 else _("%(num)d hours", num=n)
    if business:
        return _("%(num)d business minutes", num=minutes)
    return _("%(num)d minutes", num=minutes)
