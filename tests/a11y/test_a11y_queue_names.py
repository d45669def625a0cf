"""A queue an administrator named in French only, on a technician's English pages: its
French name in the counters of "My queues" (the home page and /queues) and in the heading of
its own page is marked lang="fr" (RGAA 8.7), and nothing is marked on French pages, in a real
browser."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.a11y.world import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def french_only(app, site):
    """The network technician's Triolet queue loses its English name."""
    from desk.extensions import db
    from desk.reference.models import Queue

    with app.app_context():
        queue = db.session.scalar(select(Queue).filter_by(code="reseau-triolet"))
        queue.name_en = ""
        db.session.commit()
        return queue.name_fr


@pytest.mark.parametrize("path", ["/home", "/queues"])
@pytest.mark.parametrize("lang, marked", [("en", "fr"), ("fr", None)])
def test_a_queue_named_in_french_only_is_marked(browser, site, french_only, path, lang, marked):
    context = browser.new_context(locale={"fr": "fr-FR", "en": "en-GB"}[lang])
    page = context.new_page()
    try:
        sign_in(page, site, "technician")
        page.goto(site + path)
        triolet = page.locator("tr[data-queue='reseau-triolet'] th a")
        assert triolet.inner_text() == french_only
        assert triolet.get_attribute("lang") == marked
        # A queue with an English name is not marked.
        assert page.locator("tr[data-queue='reseau-richter'] th a").get_attribute("lang") is None
        triolet.click()
        heading = page.locator("h1 > span", has_text=french_only)
        assert heading.get_attribute("lang") == marked
    finally:
        context.close()
