"""What axe-core does not check on the pages technicians use all day, in a real browser: a
filtered queue list says in its title what the filters found, its filters are one named
group, its sorted column says so; an edit refused by a conflict takes the focus and the
title, like a refused action after a redirect; the regions of the reports and of the search
results have names of their own."""

from __future__ import annotations

import pytest

from tests.a11y.world import sign_in
from tests.support.a11y import BEST_PRACTICE, axe_violations

pytestmark = pytest.mark.browser

QUEUE = "/queues/reseau-richter"


@pytest.fixture
def page(browser, site):
    # English: the titles read here are msgids, whatever the French catalogue says.
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, site, "technician")
    yield page
    context.close()


def _apply(page) -> None:
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").press("Enter")


def test_a_filtered_list_says_in_its_title_what_it_found(page, site):
    page.goto(site + QUEUE)
    assert page.title() == "Queue Network – Richter · desk"
    # The filters are one group, named by its legend, and the search landmark by it too.
    form = page.locator("form.filters")
    assert form.locator("fieldset > legend").inner_text() == "Filter and sort the tickets"
    assert form.locator("fieldset select, fieldset input").count() == 9
    assert form.get_attribute("aria-labelledby") == "filters-title"

    page.fill("#f-q", "zzzz-nothing")
    _apply(page)
    assert page.title() == "No ticket matches these filters – Queue Network – Richter · desk"

    page.fill("#f-q", "")
    page.select_option("#f-status", "all")
    _apply(page)
    rows = page.locator("table.tickets tbody tr").count()
    assert rows >= 1
    shown = "1 ticket shown" if rows == 1 else f"{rows} tickets shown"
    assert page.title() == f"{shown} – Queue Network – Richter · desk"
    assert axe_violations(page) == []


@pytest.mark.parametrize(
    ("sort", "header", "order"),
    [
        ("due", "Due", "ascending"),
        ("created", "Created", "ascending"),
        ("-created", "Created", "descending"),
    ],
)
def test_the_sorted_column_says_so(page, site, sort, header, order):
    page.goto(f"{site}{QUEUE}?sort={sort}&status=all")
    sorted_headers = page.locator("table.tickets th[aria-sort]")
    assert sorted_headers.count() == 1
    assert sorted_headers.inner_text() == header
    assert sorted_headers.get_attribute("aria-sort") == order


def test_a_conflict_on_the_ticket_page_takes_the_focus_and_the_title(page, site):
    page.goto(site + QUEUE)
    ticket = page.locator("table.tickets tbody a").first.get_attribute("href")
    page.goto(site + ticket)
    title = page.title()
    # Meanwhile a colleague (the same person in another tab) changes the ticket.
    other = page.context.new_page()
    other.goto(site + ticket)
    current = other.locator("#priority").input_value()
    choices = other.locator("#priority option").evaluate_all("os => os.map(o => o.value)")
    other.select_option("#priority", next(c for c in choices if c != current))
    with other.expect_navigation():
        other.locator("form[action$='/priority'] [type=submit]").click()
    other.close()

    page.fill("#reply-form textarea", "Le câble a été changé.")
    with page.expect_navigation():
        page.locator("#reply-form [type=submit]").click()
    alert = page.locator("#action-alert")
    assert alert.inner_text()
    assert page.title() == "Error: " + title, page.title()
    assert page.evaluate("() => document.activeElement.id") == "action-alert"
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"
    # The draft is kept, to be sent again.
    assert page.locator("#reply-form textarea").input_value() == "Le câble a été changé."
    assert axe_violations(page) == []


# Each region landmark's name: its aria-label, or the text its aria-labelledby points to.
_REGION_NAMES_JS = """() =>
  [...document.querySelectorAll('section[aria-labelledby], [role=region]')].map(el =>
    el.getAttribute('aria-label')
    || document.getElementById(el.getAttribute('aria-labelledby')).textContent.trim())"""


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # The crawl reaches the reports (and runs landmark-unique there); a search's results
        # only come from its form.
        ("/sla/report", ["Per queue", "Table: Per queue", "Activity per queue"]),
        ("/sla/settings", ["Business calendars", "Table: Business calendars"]),
        (
            "/aide/rapport",
            [
                "Searches with no result: articles to write",
                "Table: Searches with no result: articles to write",
            ],
        ),
        ("/recherche?q=connexion", ["Results", "Table: Results"]),
    ],
)
def test_a_section_and_its_tables_scroll_box_have_names_of_their_own(browser, site, path, expected):
    # A report's section and the scroll box of its table were both "Per queue": a screen
    # reader's list of landmarks read each name twice, with nothing to tell them apart.
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    sign_in(page, site, "admin")  # the SLA settings are the admins'
    page.goto(site + path)
    names = page.evaluate(_REGION_NAMES_JS)
    assert len(names) == len(set(names)), names
    assert set(expected) <= set(names), names
    assert axe_violations(page, BEST_PRACTICE) == []
    context.close()
