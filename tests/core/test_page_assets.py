"""Every page links the favicon and the stylesheet that styles "Mes demandes" tabs."""

from __future__ import annotations

import re

from tests.support.factories import make_user


def test_pages_link_a_favicon_that_exists(app_ctx, client):
    page = client.get("/login").text
    match = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert match, "no favicon link"
    icon = client.get(match.group(1))
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


def test_my_requests_tabs_are_styled_by_a_loaded_stylesheet(app_ctx, login):
    page = login(make_user()).get("/mes-demandes").text
    assert '<nav class="tabs"' in page
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    css = "".join(login(make_user()).get(href).text for href in sheets)
    assert ".tabs {" in css and ".tabs a[aria-current]" in css
