"""The error summary at the top of a refused form lists the errors in the order the fields
come on the page, where the form class's order differs (a place's lists are the class's
first fields, asked in the middle of the page; the network form asks the connection first)."""

from __future__ import annotations

import html
import re

import pytest

from tests.catalog.world import assert_nothing_saved


def _summary_targets(page: str) -> list[str]:
    """The fields the summary's links go to, in its order (a radio group: its fieldset)."""
    summary = re.search(r"<div class=\"form-errors\".*?</div>", page, re.DOTALL).group(0)
    targets = re.findall(r'<a href="#([^"]+)">', summary)
    return [re.sub(r"-0$", "", html.unescape(t)) for t in targets]


def _page_order(page: str) -> list[str]:
    """The fields showing an error, in the order the page shows them."""
    form = page[page.index('id="request-form"') :]
    return re.findall(r'<ul class="errors" id="([^"]+)-error">', form)


@pytest.mark.parametrize(
    ("url", "data", "first"),
    [
        # Page: connection first; class: the place's lists, then the checks, the connection late.
        ("/catalogue/connexion-reseau", {"site": "", "building": ""}, "connection"),
        # Page: the event's name, then its place, then its days; class: the place first.
        ("/catalogue/comptes-wifi", {"site": "", "building": ""}, "event_name"),
    ],
)
def test_the_summary_follows_the_page(world, staff, login, url, data, first):
    response = login(staff).submit(url, data)
    assert response.status_code == 400
    page = response.text
    shown = _page_order(page)
    assert len(shown) >= 4 and shown[0] == first and "site" in shown
    assert _summary_targets(page) == shown
    assert_nothing_saved()
