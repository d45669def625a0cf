"""A calendar's public holidays are dates added a few years at a time: the quarter before the
last listed year ends, the administration page and the calendar's own page ask for the next
year's, so that the SLA clock never runs on holidays nobody listed."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from desk.catalog.forms.fields import local_today
from desk.extensions import db
from desk.sla.models import SlaCalendar
from tests.support.factories import make_user

WEEKLY = {str(d): [["08:00", "17:00"]] for d in range(5)}


def _calendar(name: str, *years: int) -> SlaCalendar:
    calendar = SlaCalendar(
        name=name,
        weekly_hours=WEEKLY,
        holidays=[f"{year}-12-25" for year in years] + [f"{year}-05-01" for year in years],
    )
    db.session.add(calendar)
    db.session.commit()
    return calendar


@pytest.mark.parametrize(
    ("today", "runs_out"),
    [
        (dt.date(2027, 9, 29), False),
        (dt.date(2027, 9, 30), False),  # 92 days before the last day of 2027
        (dt.date(2027, 10, 1), True),
        (dt.date(2028, 3, 1), True),  # past them: the clock already runs on holidays
    ],
)
def test_the_quarter_before_the_last_listed_year_ends(today, runs_out):
    calendar = SlaCalendar(holidays=["2026-01-01", "2027-12-25", "2027-05-01"])
    assert calendar.holidays_until == 2027
    assert calendar.holidays_run_out(today) is runs_out


def test_a_calendar_that_keeps_no_holiday_never_runs_out():
    calendar = SlaCalendar(holidays=[])
    assert calendar.holidays_until is None
    assert not calendar.holidays_run_out(dt.date(2100, 1, 1))


def _text(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_the_administration_page_lists_the_calendars_that_run_out(db, login):
    year = local_today().year
    short = _calendar("Support court", year - 1)
    _calendar("Support long", year + 2)
    _calendar("Support sans fériés")
    page = login(make_user(role="admin")).get("/admin")
    assert page.status_code == 200
    text = " ".join(_text(page).split())
    assert "Calendars whose public holidays run out" in text or "jours fériés" in text
    assert "Support court" in text and str(year - 1) in text
    assert "Support long" not in text and "Support sans fériés" not in text
    assert f'href="/sla/calendars/{short.id}"' in page.get_data(as_text=True)


def test_the_calendar_page_asks_for_the_next_year_and_offers_it(db, login):
    year = local_today().year
    short = _calendar("Support court", year - 1)
    client = login(make_user(role="admin"))
    page = client.get(f"/sla/calendars/{short.id}")
    body = page.get_data(as_text=True)
    assert 'id="holidays-run-out"' in body
    assert re.search(rf'name="holiday_years"[^>]*value="{year}"', body)
    long = _calendar("Support long", year + 2)
    body = client.get(f"/sla/calendars/{long.id}").get_data(as_text=True)
    assert 'id="holidays-run-out"' not in body
    assert not re.search(r'name="holiday_years"[^>]*value="\d', body)


def test_the_settings_page_says_until_when_each_calendar_lists_holidays(db, login):
    _calendar("Support court", 2027)
    page = login(make_user(role="admin")).get("/sla/settings")
    assert re.search(r"<td>2 \([^)]*2027\)</td>", page.get_data(as_text=True))
