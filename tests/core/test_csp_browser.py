"""In Chromium, under the real CSP: no page of the demo trips a Content-Security-Policy block."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.a11y import NOT_PAGES
from tests.support.live_server import log_in, new_page

DEMO = Path(__file__).resolve().parents[2] / "desk/reference/data/demo.yaml"
SKIP = ("/logout",)


@pytest.fixture
def demo(app, app_ctx):
    result = app.test_cli_runner().invoke(args=["desk", "load-reference", str(DEMO)])
    assert result.exit_code == 0, result.output


def _crawl(page, base: str, limit: int = 40) -> list[str]:
    """Follow same-site links from /home breadth-first; return the pages visited."""
    seen, queue = [], [f"{base}/home"]
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        page.goto(url)
        seen.append(url)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            href = href.split("#")[0]
            same_site = urlsplit(href).netloc == urlsplit(base).netloc
            # Files (a CSV, the calendar feed, attachments) are downloads, not pages.
            not_page = NOT_PAGES.search(urlsplit(href).path)
            wanted = same_site and not not_page and not any(s in href for s in SKIP)
            if wanted and href not in seen and href not in queue:
                queue.append(href)
    return seen


@pytest.mark.browser
@pytest.mark.parametrize(
    ("email", "password"),
    [("admin@umontpellier.fr", "demo-admin"), ("claire.martin@umontpellier.fr", "demo-requester")],
)
def test_no_page_is_blocked_by_the_csp(live_server, chromium, demo, email, password):
    page = new_page(chromium)
    blocked: list[str] = []
    page.on(
        "console",
        lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda e: blocked.append(str(e)))
    log_in(page, live_server, email, password)
    visited = _crawl(page, live_server)
    assert len(visited) > 5
    assert blocked == []
