"""Every page a crawl reaches, for each role, in French and in English: no axe-core violation
of WCAG 2.1 A/AA nor of the landmark, heading and target-size rules the crawl adds, no
control smaller than 24 × 24 px, every group of radios or checkboxes a fieldset with a
legend, no sideways scrolling at 320 CSS pixels (RGAA 10.11), even with the reader's text
spacing (WCAG 1.4.12), and no table header or fact-list entry cut inside a word there, one
title per page; and every form, sent back with errors, passes axe-core too. A form that staff
fill in for someone else (`?pour=`: the same page with other texts and a question more) is a
form of its own here, and offers none of the staff member's own data to autocomplete.

The pages are found by following links from the home page, so a new page is checked as soon
as some page links to it; nothing here lists them.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.a11y.world import FRENCH_ONLY, ROLES, sign_in
from tests.support.a11y import (
    BEST_PRACTICE,
    PageReport,
    axe_violations,
    crawl,
    error_ties,
    narrow_view,
    own_data_fields,
    post_forms,
    small_targets,
    spaced_view,
    submit_blank,
    ungrouped_choices,
    unmarked_text,
    unnamed_tables,
    url_shape,
)

pytestmark = pytest.mark.browser

LANGUAGES = ("fr", "en")
LOCALES = {"fr": "fr-FR", "en": "en-GB"}
REFLOW_WIDTH = 320


def filed_for_someone(url: str) -> bool:
    """A catalogue page that staff go through for someone else (desk.catalog.behalf)."""
    return "pour" in parse_qs(urlsplit(url).query)


class Crawler:
    """Crawls lazily, once per (role, language), in one browser context per role."""

    def __init__(self, browser, base: str):
        self.browser, self.base = browser, base
        self.pages: dict[tuple[str, str], object] = {}
        self.results: dict[tuple[str, str], list[PageReport]] = {}

    def page_for(self, role: str, lang: str):
        # The language comes from the context's locale: Chromium sends the Accept-Language
        # of its locale, and a header set on top of it (set_extra_http_headers) is dropped,
        # so the English crawl used to read the French pages a second time.
        if (role, lang) not in self.pages:
            context = self.browser.new_context(locale=LOCALES[lang])
            page = context.new_page()
            page.set_default_timeout(15_000)
            if ROLES[role]:
                sign_in(page, self.base, role)
                assert page.url.endswith("/home"), page.url
            else:
                page.goto(self.base + "/login")
            assert page.locator("html").get_attribute("lang") == lang
            self.pages[(role, lang)] = page
        return self.pages[(role, lang)]

    def crawl(self, role: str, lang: str) -> list[PageReport]:
        if (role, lang) not in self.results:
            page = self.page_for(role, lang)
            reports = []
            for url in crawl(page, self.base, start="/"):
                report = PageReport(url, page.title(), axe_violations(page, BEST_PRACTICE))
                report.small_targets = small_targets(page)
                report.ungrouped = ungrouped_choices(page)
                report.scroll_width, report.broken_words = narrow_view(page, REFLOW_WIDTH)
                report.unnamed_tables = unnamed_tables(page)
                report.spaced_width, report.spaced_cut = spaced_view(page, REFLOW_WIDTH)
                report.own_data = own_data_fields(page)
                if lang != "fr":
                    report.unmarked = unmarked_text(page, FRENCH_ONLY, "fr")
                report.forms = post_forms(page)
                reports.append(report)
            self.results[(role, lang)] = reports
        return self.results[(role, lang)]


@pytest.fixture(scope="module")
def crawler(browser, site):
    crawler = Crawler(browser, site)
    yield crawler
    for page in crawler.pages.values():
        page.context.close()


def _cases():
    return [pytest.param(role, lang, id=f"{role}-{lang}") for role in ROLES for lang in LANGUAGES]


@pytest.mark.parametrize(("role", "lang"), _cases())
def test_every_page_passes_axe(crawler, role, lang):
    reports = crawler.crawl(role, lang)
    # The crawl did reach the pages of the role (a broken crawl must not pass quietly).
    assert len(reports) >= (2 if role == "anonymous" else 5), [r.url for r in reports]
    found = {r.url: r.violations for r in reports if r.violations}
    assert found == {}


@pytest.mark.parametrize(("role", "lang"), _cases())
def test_controls_and_standalone_links_are_24_px_at_least(crawler, role, lang):
    # Boxes to tick were the browser's 13 px, menu and footer links 16 to 19 px tall.
    small = {r.url: r.small_targets for r in crawler.crawl(role, lang) if r.small_targets}
    assert small == {}


@pytest.mark.parametrize(("role", "lang"), _cases())
def test_every_group_of_choices_is_a_fieldset_with_a_legend(crawler, role, lang):
    # The network form's radios were a <label> over a list: a screen reader on one of them
    # heard "Direct" without the question.
    loose = {r.url: r.ungrouped for r in crawler.crawl(role, lang) if r.ungrouped}
    assert loose == {}


@pytest.mark.parametrize(("role", "lang"), _cases())
def test_every_page_reflows_at_320_px(crawler, role, lang):
    wide = {
        r.url: r.scroll_width for r in crawler.crawl(role, lang) if r.scroll_width > REFLOW_WIDTH
    }
    assert wide == {}


@pytest.mark.parametrize(("role", "lang"), _cases())
def test_every_page_takes_the_readers_text_spacing_at_320_px(crawler, role, lang):
    # WCAG 1.4.12: with more space between lines, paragraphs, letters and words, nothing is
    # cut off and nothing goes past the right edge ("Mes demandes"' tabs did).
    wide = {
        r.url: r.spaced_width for r in crawler.crawl(role, lang) if r.spaced_width > REFLOW_WIDTH
    }
    cut = {r.url: r.spaced_cut for r in crawler.crawl(role, lang) if r.spaced_cut}
    assert wide == {}
    assert cut == {}


@pytest.mark.parametrize(("role", "lang"), _cases())
def test_table_headers_and_facts_keep_their_words_whole_at_320_px(crawler, role, lang):
    # A table wider than the screen scrolls in its own box; it never cuts "Nom" into N/o/m.
    # A fact list stacks its terms over their values rather than squeeze the values.
    broken = {r.url: r.broken_words for r in crawler.crawl(role, lang) if r.broken_words}
    assert broken == {}


@pytest.mark.parametrize(("role", "lang"), _cases())
def test_every_data_table_has_a_name(crawler, role, lang):
    # The scroll box around a table was named by the heading above it, the table itself
    # not: a screen reader jumping from table to table heard "table, 5 columns" alone.
    unnamed = {r.url: r.unnamed_tables for r in crawler.crawl(role, lang) if r.unnamed_tables}
    assert unnamed == {}


@pytest.mark.parametrize("role", ROLES)
def test_french_text_on_english_pages_is_marked(crawler, role):
    # RGAA 8.7: a request's typed words were marked lang="fr" in its subject but not in its
    # data ("Event name: Journée doctorale"), nor a French-only disruption's title in the
    # words its follow button adds for screen readers.
    found = {r.url: r.unmarked for r in crawler.crawl(role, "en") if r.unmarked}
    assert found == {}


@pytest.mark.parametrize(("role", "lang"), _cases())
def test_each_page_has_its_own_title(crawler, role, lang):
    # Pages that differ only by their query (filters, paging) are the same page.
    by_title: dict[str, set[str]] = {}
    for report in crawler.crawl(role, lang):
        by_title.setdefault(report.title, set()).add(report.url.split("?")[0])
    shared = {title: sorted(paths) for title, paths in by_title.items() if len(paths) > 1}
    assert shared == {}


@pytest.mark.parametrize(("role", "lang"), _cases())
def test_forms_sent_back_with_errors_pass_axe(crawler, role, lang):
    page = crawler.page_for(role, lang)
    done: set[str] = set()
    checked = 0
    found, untied = {}, {}
    # A form filed for someone is checked apart from the same form filed for oneself: the
    # shapes drop the query, and its texts, hints and question differ (they were not sent).
    for_someone, checked_for_someone = set(), set()
    for report in crawler.crawl(role, lang):
        for form in report.forms:
            key = url_shape(report.url) + " " + url_shape(form["action"])
            if filed_for_someone(report.url):
                key += " pour"
                for_someone.add(key)
            if key in done:
                continue
            done.add(key)
            page.goto(report.url)
            if not submit_blank(page, form["action"]):
                continue
            if not page.locator("[data-error-summary]").count():
                # Accepted as it was (e.g. a filter): nothing to check. Unless the page
                # shows error texts all the same: sent back with no summary (the admin's
                # catalogue rows were, and so were skipped here).
                if page.locator("form .errors").count():
                    untied[f"{report.url} → {form['action']}"] = ["errors without a summary"]
                continue
            checked += 1
            if key in for_someone:
                checked_for_someone.add(key)
            violations = axe_violations(page)
            if violations:
                found[f"{report.url} → {form['action']}"] = violations
            problems = error_ties(page)
            if problems:
                untied[f"{report.url} → {form['action']}"] = problems
    if role != "anonymous":
        assert checked >= 1
    assert checked_for_someone == for_someone
    assert found == {}
    assert untied == {}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_crawl_reaches_the_forms_filed_for_someone(crawler, lang):
    # Reached by a ticket's "File another request for this person": each form of the
    # technician's own catalogue is crawled in its version for someone else too.
    forms = [r.url for r in crawler.crawl("technician", lang) if r.forms]
    catalogue = {url_shape(u) for u in forms if urlsplit(u).path.startswith("/catalogue/")}
    for_someone = {url_shape(u) for u in forms if filed_for_someone(u)}
    assert len(catalogue) >= 5, sorted(catalogue)
    assert catalogue <= for_someone, sorted(catalogue - for_someone)


@pytest.mark.parametrize("role", ["technician", "admin"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_forms_filed_for_someone_offer_none_of_the_staff_members_data(crawler, role, lang):
    # WCAG 1.3.5 the other way round: "email" and "tel" on the Zoom and phone forms had the
    # browser fill in the technician's own address and number in the caller's request.
    offered = {
        r.url: r.own_data
        for r in crawler.crawl(role, lang)
        if filed_for_someone(r.url) and r.own_data
    }
    assert offered == {}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_crawl_reaches_the_personal_data_pages(crawler, lang):
    # Reached by links, as people reach them: the footer's privacy page, an admin's erasure
    # page of an ended account (its confirmation form). An erased request's page is one of a
    # shape the crawl has seen twice already: tests/privacy/test_privacy_browser.py checks it.
    paths = {role: {r.url.split("?")[0] for r in crawler.crawl(role, lang)} for role in ROLES}
    assert any(p.endswith("/donnees-personnelles") for p in paths["anonymous"])
    assert any(p.endswith("/donnees-personnelles") for p in paths["requester"])
    assert any(p.endswith("/effacement") for p in paths["admin"])
