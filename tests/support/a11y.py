"""Accessibility checks driven through a real browser: a same-site crawl, axe-core, reflow.

axe-core is the copy that the `axe-playwright-python` package ships (requirements-dev.txt), so
the engine's version is pinned by the project's own files and no download happens at run time.

The crawl follows same-site links from the home page (GET only: forms are not links, so
logging out never happens by accident) and keeps one page per URL *shape* (numbers in the path
and query values ignored): every page kind is visited, a list of 50 tickets costs one visit,
and a page added tomorrow is covered as soon as some page links to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlsplit

from axe_playwright_python.base import AXE_SCRIPT

# What the issue (RGAA 4.1 = WCAG 2.1 AA) asks axe to check.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_RUN = "opts => window.axe.run(document, opts)"

# Endpoints whose answer is a file, not a page.
NOT_PAGES = re.compile(
    r"/(attachments/\d+|static/|admin/inbound/\d+/original)|\.(csv|pdf|png|jpe?g|ics|json)$"
)
# Visits per URL shape: a second one sees another example (another queue, another ticket).
PER_SHAPE = 2


@dataclass
class PageReport:
    """What the checks found on one page."""

    url: str
    title: str
    violations: list[str] = field(default_factory=list)
    scroll_width: int = 0
    broken_words: list[str] = field(default_factory=list)
    spaced_width: int = 0
    spaced_cut: list[str] = field(default_factory=list)
    unnamed_tables: list[str] = field(default_factory=list)
    small_targets: list[str] = field(default_factory=list)
    ungrouped: list[str] = field(default_factory=list)
    own_data: list[str] = field(default_factory=list)
    unmarked: list[str] = field(default_factory=list)
    forms: list[dict] = field(default_factory=list)


def url_shape(url: str) -> str:
    """The URL's path with its numbers and ticket references blanked (the query is dropped:
    filters and pages render the same template)."""
    path = re.sub(r"\b(DEM|INC)-\d{4}-\d+\b", "{ref}", urlsplit(url).path)
    return re.sub(r"/\d+(?=/|$)", "/{n}", path)


# Rules outside WCAG 2.1 A/AA that the crawl holds every page to as well: landmarks told apart
# by their names (a report's section and its table's scroll box were both "Per queue"), one
# main, one h1, headings in order, and WCAG 2.2's 24 px targets (2.5.8: size or spacing).
BEST_PRACTICE = (
    "landmark-unique",
    "landmark-one-main",
    "landmark-no-duplicate-main",
    "landmark-no-duplicate-banner",
    "landmark-no-duplicate-contentinfo",
    "page-has-heading-one",
    "heading-order",
    "region",
    "target-size",
)


def axe_violations(page, also: tuple[str, ...] = ()) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the current page, one readable line each, and
    those of the rules named in `also`."""
    if not page.evaluate("() => !!window.axe"):
        page.evaluate(AXE_SCRIPT)
    options: dict = {"runOnly": {"type": "tag", "values": AXE_TAGS}}
    if also:
        options["rules"] = {rule: {"enabled": True} for rule in also}
    result = page.evaluate(AXE_RUN, options)
    lines = []
    for violation in result["violations"]:
        targets = [" ".join(node["target"]) for node in violation["nodes"][:5]]
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {targets}")
    return lines


# Lines of text of an element: its text's boxes grouped into lines, a box that starts below
# the bottom of the line so far starting the next one (a badge's smaller text, or its
# padding, sits within its line's height and is not a line of its own).
TEXT_LINES = """el => {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const boxes = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(node);
    boxes.push(...[...range.getClientRects()].filter(r => r.width > 0 && r.height > 0));
  }
  boxes.sort((a, b) => a.top - b.top);
  let lines = 0, bottom = -Infinity;
  for (const box of boxes) {
    if (box.top >= bottom - 1) { lines += 1; bottom = box.bottom; }
    else bottom = Math.max(bottom, box.bottom);
  }
  return lines;
}"""

# Column headers, and the terms and values of the fact lists (a ticket's details, its due
# dates), drawn on more lines than they have words: a word cut in the middle ("Nom" as
# N/o/m, a date as 07/12/202 + 6), which a table in a scroll box or a list stacking its terms
# over its values never needs. Hyphens are places where a browser may break a line too; text
# only read to screen readers is not drawn.
_BROKEN_WORDS = f"""() => {{
  const lines = {TEXT_LINES};
  const cells = 'thead th, dl.facts > dt, dl.facts > dd, dl.sla-dates > dt, dl.sla-dates > dd';
  return [...document.querySelectorAll(cells)].filter(el => {{
    const text = el.innerText.trim();
    const hidden = el.querySelector('.visually-hidden');
    if (!text || (hidden && hidden.innerText.trim() === text)) return false;
    return lines(el) > text.split(/[\\s-]+/).length;
  }}).map(el => el.innerText.trim());
}}"""


def narrow_view(page, width: int = 320) -> tuple[int, list[str]]:
    """The page's scroll width once the viewport is `width` CSS pixels wide, and the table
    headers and fact-list entries it breaks inside a word."""
    size = page.viewport_size
    page.set_viewport_size({"width": width, "height": 640})
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    broken = page.evaluate(_BROKEN_WORDS)
    page.set_viewport_size(size)
    return scroll, broken


# WCAG 1.4.12's spacings, set as a reader's style sheet or bookmarklet would: through the
# CSSOM, which the Content-Security-Policy (no inline <style>) lets a script do.
_TEXT_SPACING_JS = """() => {
  for (const el of document.querySelectorAll('body, body *')) {
    el.style.setProperty('line-height', '1.5', 'important');
    el.style.setProperty('letter-spacing', '0.12em', 'important');
    el.style.setProperty('word-spacing', '0.16em', 'important');
    if (el.tagName === 'P') el.style.setProperty('margin-bottom', '2em', 'important');
  }
  // Text a box hides past its edge (overflow hidden or clipped), screen-reader-only text apart.
  const hides = v => v === 'hidden' || v === 'clip';
  const cut = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!el.checkVisibility() || el.closest('.visually-hidden')) continue;
    const s = getComputedStyle(el);
    if ((hides(s.overflowX) && el.scrollWidth > el.clientWidth + 1)
        || (hides(s.overflowY) && el.scrollHeight > el.clientHeight + 1)) {
      const text = el.innerText.trim();
      if (text) cut.push(text.slice(0, 60));
    }
  }
  return [document.documentElement.scrollWidth, cut];
}"""


def spaced_view(page, width: int = 320) -> tuple[int, list[str]]:
    """With the text spacing of WCAG 1.4.12 (line height 1.5, paragraphs 2 em apart, letters
    0.12 em, words 0.16 em) at `width` CSS pixels: the page's scroll width and the text cut
    off by a box. The spacing stays on the page until it is loaded again."""
    size = page.viewport_size
    page.set_viewport_size({"width": width, "height": 640})
    scroll, cut = page.evaluate(_TEXT_SPACING_JS)
    page.set_viewport_size(size)
    return scroll, cut


# A data table is named (RGAA 5.4): a caption, or the heading or name of the scroll box it
# sits in, given to the table itself, so that a screen reader's table navigation says which
# one it is. Tables inside a help article's body are its author's markdown.
_UNNAMED_TABLES_JS = """() => [...document.querySelectorAll('table')].filter(t =>
    !t.closest('.kb-body') && !(t.caption && t.caption.textContent.trim())
    && !t.getAttribute('aria-label') && !t.getAttribute('aria-labelledby'))
  .map(t => (t.querySelector('th') || t).textContent.trim().slice(0, 40))"""


def unnamed_tables(page) -> list[str]:
    """The first header of each data table with no name (caption, aria-label(ledby))."""
    return page.evaluate(_UNNAMED_TABLES_JS)


# Controls, and links that stand alone (menus, footer, tabs, table cells), smaller than 24 × 24
# CSS px (WCAG 2.2's 2.5.8, met without its spacing exception where it costs a line of CSS).
# Links inside a sentence are exempt; what is off screen (the skip link until it has the
# focus) or only read to screen readers is not a target.
_SMALL_TARGETS_JS = """() => {
  const targets = 'button, input:not([type=hidden]), select, textarea, summary, .bell, '
    + '.mainnav a, .sitefooter a, .tabs a, .visitor-login a, .breadcrumb a, td > a, th > a';
  return [...document.querySelectorAll(targets)].filter(el => {
    if (!el.checkVisibility({checkVisibilityCSS: true}) || el.closest('.visually-hidden'))
      return false;
    const box = el.getBoundingClientRect();
    return box.right > 0 && (box.width < 24 || box.height < 24);
  }).map(el => {
    const box = el.getBoundingClientRect();
    const name = (el.id || el.innerText || el.outerHTML).trim().slice(0, 40);
    return `${name} (${Math.round(box.width)} × ${Math.round(box.height)})`;
  });
}"""


def small_targets(page) -> list[str]:
    """Controls and stand-alone links of the page smaller than 24 × 24 CSS px."""
    return page.evaluate(_SMALL_TARGETS_JS)


# RGAA 11.5 / 11.6: boxes that answer one question (radios, or checkboxes, of one name) sit in
# a fieldset whose legend asks it; a row's own box in a table of tickets is named by its row.
# So do the lists of a place, site → building → floor (a list that refills the next one):
# in a fieldset with its legend, or a role="group" named, holding the lists it refills.
_UNGROUPED_JS = """() => {
  const named = group => group && (group.matches('fieldset')
    ? !!(group.querySelector(':scope > legend') || {textContent: ''}).textContent.trim()
    : !!(group.getAttribute('aria-label') || group.getAttribute('aria-labelledby')));
  const places = [...document.querySelectorAll('select[data-refill]')].filter(el => {
    const group = el.closest('fieldset, [role=group]');
    const next = document.getElementById(el.dataset.refill);
    return !named(group) || (next && !group.contains(next));
  }).map(el => 'places ' + el.name);
  const groups = {};
  document.querySelectorAll('input[type=radio], input[type=checkbox]').forEach(el => {
    if (el.type === 'checkbox' && el.closest('table')) return;
    (groups[el.type + ' ' + el.name] = groups[el.type + ' ' + el.name] || []).push(el);
  });
  return Object.entries(groups).filter(([key, boxes]) => {
    if (boxes.length < 2) return false;
    return boxes.some(el => {
      const set = el.closest('fieldset');
      const legend = set && set.querySelector(':scope > legend');
      return !legend || !legend.textContent.trim();
    });
  }).map(([key]) => key).concat(places);
}"""


def ungrouped_choices(page) -> list[str]:
    """Radio or checkbox groups (by name) some box of which has no fieldset with a legend, and
    place lists (site, building) outside a named group with the lists they refill."""
    return page.evaluate(_UNGROUPED_JS)


# WCAG 1.3.5: the autocomplete tokens that say a field holds the user's own data (the HTML
# autofill field names of the input purposes), after any section-/shipping/billing and
# home/work/mobile/fax/pager qualifier. The browser fills them with the signed-in person's
# name, address, number: on a form filed for someone else, that is the wrong person's.
OWN_DATA_TOKENS = frozenset(
    """name honorific-prefix given-name additional-name family-name honorific-suffix nickname
    username new-password current-password one-time-code organization-title organization
    street-address address-line1 address-line2 address-line3 address-level4 address-level3
    address-level2 address-level1 country country-name postal-code cc-name cc-given-name
    cc-additional-name cc-family-name cc-number cc-exp cc-exp-month cc-exp-year cc-csc cc-type
    transaction-currency transaction-amount language bday bday-day bday-month bday-year sex url
    photo tel tel-country-code tel-national tel-area-code tel-local tel-local-prefix
    tel-local-suffix tel-extension email impp""".split()  # noqa: SIM905 (54 tokens, one a line)
)

_AUTOCOMPLETE_JS = """() => [...document.querySelectorAll(
    'form input:not([type=hidden]), form select, form textarea')]
  .filter(el => el.getAttribute('autocomplete'))
  .map(el => [el.name || el.id, el.getAttribute('autocomplete')])"""


def own_data_fields(page) -> list[str]:
    """The page's form fields whose autocomplete says they hold the user's own data
    ("zoom_email: email")."""
    found = []
    for name, value in page.evaluate(_AUTOCOMPLETE_JS):
        tokens = value.lower().split()
        if tokens and tokens[-1] == "webauthn":
            tokens = tokens[:-1]
        if tokens and tokens[-1] in OWN_DATA_TOKENS:
            found.append(f"{name}: {value}")
    return found


# RGAA 8.7: text drawn in the page that is in another language than the page's sits inside an
# element whose `lang` says which. The crawl knows some text that exists in French only (what
# a requester typed, a disruption published without an English title) and looks for it.
_UNMARKED_JS = """([texts, lang]) => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(/\\s+/g, ' ');
    if (!texts.some(t => text.includes(t))) continue;
    const marked = node.parentElement.closest('[lang]').getAttribute('lang');
    if (marked.split('-')[0] !== lang) found.push(text.trim().slice(0, 60));
  }
  return found;
}"""


def unmarked_text(page, texts: tuple[str, ...], lang: str) -> list[str]:
    """The page's text nodes holding one of `texts` (known to be in `lang`) that are not
    inside an element of that `lang`."""
    return page.evaluate(_UNMARKED_JS, [list(texts), lang])


def check_page(page, where: str) -> None:
    """A page met on a journey: axe-clean, each error tied to its field, no sideways scroll
    nor header broken inside a word at 320 px (the viewport is put back afterwards)."""
    assert axe_violations(page) == [], where
    assert error_ties(page) == [], where
    width, broken = narrow_view(page, 320)
    assert width <= 320 and broken == [], where


def same_site_links(page, base: str) -> list[str]:
    """Absolute same-site link targets of the page, without fragments."""
    hrefs = page.eval_on_selector_all("a[href]:not([download])", "els => els.map(a => a.href)")
    links = []
    for href in hrefs:
        url, _frag = urldefrag(href)
        if url.startswith(base + "/") and not NOT_PAGES.search(urlsplit(url).path):
            links.append(url)
    return links


def crawl(page, base: str, start: str = "/home", limit: int = 150) -> Iterator[str]:
    """Visit pages breadth first from `start`; yields each URL once the page is loaded."""
    queue = [base + start]
    seen_shapes: dict[str, int] = {}
    seen: set[str] = set()
    while queue and len(seen) < limit:
        url = queue.pop(0)
        shape = url_shape(url)
        if url in seen or seen_shapes.get(shape, 0) >= PER_SHAPE:
            continue
        seen.add(url)
        seen_shapes[shape] = seen_shapes.get(shape, 0) + 1
        response = page.goto(url)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        assert response.status < 500, f"{url} answered {response.status}"
        if not page.url.startswith(base):
            continue
        yield page.url
        queue.extend(link for link in same_site_links(page, base) if link not in seen)


# Forms worth submitting empty: those with something to type or choose.
_FORMS_JS = """() => Array.from(document.forms).map((f, i) => ({
  index: i,
  method: (f.getAttribute('method') || 'get').toLowerCase(),
  action: f.action,
  fields: f.querySelectorAll(
    'input:not([type=hidden]):not([type=submit]):not([type=checkbox]):not([type=radio]),'
    + 'textarea, select').length,
}))"""

# Blank every text field (selects to their first, usually empty, option), then submit without
# the browser's own checks, so that the server's error messages are what the page shows.
_SUBMIT_BLANK_JS = """action => {
  const form = Array.from(document.forms).find(f => f.action === action);
  if (!form) return false;
  form.querySelectorAll('input, textarea, select').forEach(el => {
    if (el.type === 'hidden' || el.type === 'submit' || el.type === 'button') return;
    if (el.type === 'checkbox' || el.type === 'radio') { el.checked = false; return; }
    if (el.tagName === 'SELECT') { el.selectedIndex = 0; return; }
    if (el.type !== 'file') el.value = '';
  });
  form.noValidate = true;
  const buttons = form.querySelectorAll(
    'button[type=submit], input[type=submit], button:not([type])');
  const submit = Array.from(buttons).find(b => b.name !== 'refresh');
  form.requestSubmit(submit || undefined);
  return true;
}"""


def post_forms(page) -> list[dict]:
    """The page's POST forms that have at least one field a person fills in."""
    return [f for f in page.evaluate(_FORMS_JS) if f["method"] == "post" and f["fields"] > 0]


def submit_blank(page, action: str) -> bool:
    """Submit the form posting to `action` with every field emptied; wait for the answer
    page. False when the page no longer has that form (an earlier submission changed it)."""
    if not page.evaluate("a => Array.from(document.forms).some(f => f.action === a)", action):
        return False
    with page.expect_navigation():
        page.evaluate(_SUBMIT_BLANK_JS, action)
    return True


# Every error text of a form is tied to its field (aria-describedby on an input marked
# aria-invalid) and that field is linked from the error summary; every summary link leads to
# an element of the page. Hand-written fields must do what the WTForms macros do.
_ERROR_TIES_JS = """() => {
  const problems = [];
  const summary = document.querySelector('[data-error-summary]');
  const linked = new Set();
  if (summary) summary.querySelectorAll('a[href^="#"]').forEach(a => {
    const id = decodeURIComponent(a.getAttribute('href').slice(1));
    linked.add(id);
    if (!document.getElementById(id)) problems.push('summary link to a missing #' + id);
  });
  document.querySelectorAll('form .errors').forEach(list => {
    const text = list.textContent.trim().slice(0, 60);
    if (!list.id) { problems.push('error text without id: ' + text); return; }
    const tied = Array.from(document.querySelectorAll('[aria-describedby]')).filter(
      el => el.getAttribute('aria-describedby').split(/\\s+/).includes(list.id)
        && el.getAttribute('aria-invalid') === 'true');
    if (!tied.length) { problems.push('no aria-invalid field described by #' + list.id); return; }
    if (!tied.some(el => linked.has(el.id)))
      problems.push('#' + list.id + ' not in the error summary: ' + text);
  });
  return problems;
}"""


def error_ties(page) -> list[str]:
    """What is wrong with how the page's error texts are tied to fields and summarised."""
    return page.evaluate(_ERROR_TIES_JS)
