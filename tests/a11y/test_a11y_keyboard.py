"""Keyboard only: log in, open a form, make mistakes, reach them from the error summary, fix
them and send; the focus is visible at every stop and never trapped. And the contrast of
form-control borders, focus rings and the SLA chart's text, computed from the real styles."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.a11y.world import ROLES, sign_in

pytestmark = pytest.mark.browser

# Where the focus is, and whether it shows (an outline of 2 px or more, or a box shadow).
_FOCUS_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(), id: el.id, href: el.getAttribute('href') || '',
    name: el.getAttribute('name') || '', type: el.getAttribute('type') || '',
    summary: el.hasAttribute('data-error-summary'),
    visible: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
             || (s.boxShadow && s.boxShadow !== 'none'),
  };
}"""


def _tab_to(page, predicate, *, limit: int = 80, stops: list | None = None) -> dict:
    """Press Tab until `predicate(focus)`; every stop on the way must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(_FOCUS_JS)
        if focus is None:
            continue
        assert focus["visible"], f"focus not visible on {focus}"
        if stops is not None:
            stops.append(focus)
        if predicate(focus):
            return focus
    raise AssertionError(f"not reached in {limit} Tab presses")


@pytest.fixture(scope="module")
def french_page(browser, site):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_keyboard_only_journey(french_page, site):
    page = french_page
    email, password = ROLES["student"]
    page.goto(f"{site}/login")
    _tab_to(page, lambda f: f["id"] == "email")
    page.keyboard.type(email)
    _tab_to(page, lambda f: f["id"] == "password", limit=3)
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/home")

    # To the catalogue, then to the Zoom form, by Tab and Enter only.
    _tab_to(page, lambda f: f["href"].endswith("/catalogue"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _tab_to(page, lambda f: f["href"].endswith("/catalogue/licence-zoom"))
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # Two mistakes: an address outside the university, and the confirmation not ticked.
    _tab_to(page, lambda f: f["id"] == "zoom_email")
    page.keyboard.press("Control+A")
    page.keyboard.type("leo.petit@gmail.com")
    _tab_to(page, lambda f: f["tag"] == "button" or f["type"] == "submit", limit=10)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # The summary has the focus, the title counts the errors, each error links to its field.
    focus = page.evaluate(_FOCUS_JS)
    assert focus and focus["summary"] and focus["visible"], focus
    assert re.match(r"^2 erreurs – ", page.title()), page.title()
    links = page.locator("[data-error-summary] a")
    assert links.count() == 2
    focus = _tab_to(page, lambda f: True, limit=1)
    assert focus["href"] == "#zoom_email"
    page.keyboard.press("Enter")
    assert page.evaluate(_FOCUS_JS)["id"] == "zoom_email"

    # Fix both, send: the request is accepted.
    page.keyboard.press("Control+A")
    page.keyboard.type(email)
    _tab_to(page, lambda f: f["id"] == "account_created", limit=5)
    page.keyboard.press("Space")
    _tab_to(page, lambda f: f["tag"] == "button" or f["type"] == "submit", limit=10)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".confirmation [data-reference]").count() == 1, page.url


def test_no_keyboard_trap_on_a_long_form(browser, site):
    # Signed in on its own: run alone, it met the login page instead of the form.
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, site, "student")
    page.goto(f"{site}/catalogue/probleme-connexion-reseau")
    stops: list = []
    # Tab goes through every control down to the footer's statement link, then leaves.
    _tab_to(page, lambda f: f["href"].endswith("/accessibilite"), limit=120, stops=stops)
    context.close()
    ids = [s["id"] for s in stops]
    for expected in ("wall_socket", "plugged_via-0", "connection-0", "site", "description"):
        assert expected in ids, ids


# --- contrast, from the computed styles ---------------------------------------------------------

_CONTRAST_JS = (Path(__file__).parents[1] / "support/contrast.js").read_text(encoding="utf-8")

CONTROLS = (
    "input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=file]), "
    "select, textarea"
)


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("anonymous", "/login"),
        ("requester", "/catalogue/probleme-connexion-reseau"),
        ("requester", "/catalogue/comptes-wifi-evenement"),
        ("requester", "/preferences"),
        ("admin", "/admin/accessibilite"),
        # A summary of errors, the report's tables and the chart around the controls.
        ("technician", "/sla/report?from=2026-13-45"),
    ],
)
def test_control_borders_and_focus_rings_contrast(browser, site, role, path):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        if ROLES[role]:
            sign_in(page, site, role)
        page.goto(site + path)
        controls = page.evaluate(_CONTRAST_JS, CONTROLS)
        assert len(controls) >= 2, controls
        weak_borders = {c["id"]: round(c["border"], 2) for c in controls if c["border"] < 3}
        weak_rings = {
            c["id"]: (round(c["focus"], 2), c["focusWidth"])
            for c in controls
            if c["focus"] < 3 or c["focusWidth"] < 2
        }
        assert weak_borders == {}  # WCAG 1.4.11: 3:1 for what identifies a control
        assert weak_rings == {}
        # Links and buttons too, the user menu's among them (a closed <details> hides its
        # links from the keyboard; opened, they must show their ring like the others).
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        targets = page.evaluate(_CONTRAST_JS, "button, a[href], summary")
        assert len(targets) >= 3, targets
        weak = {
            c["id"]: (round(c["focus"], 2), c["focusWidth"])
            for c in targets
            if not c["focused"] or c["focus"] < 3 or c["focusWidth"] < 2
        }
        assert weak == {}  # WCAG 2.4.7 (visible) and 1.4.11 (3:1 against adjacent colours)
    finally:
        context.close()


def test_sla_chart_text_contrast_and_labels_inside(browser, site):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        sign_in(page, site, "technician")
        page.goto(f"{site}/sla/report")
        texts = page.evaluate(
            """() => Array.from(document.querySelectorAll('.sla-chart svg text')).map(t => {
                 const box = t.getBBox();
                 return {fill: getComputedStyle(t).fill, x: box.x, text: t.textContent};
               })"""
        )
        assert texts, "the report shows no chart"
        for text in texts:
            assert text["x"] >= 0, f"label cut at the left: {text}"
            assert _ratio(text["fill"], "rgb(255, 255, 255)") >= 4.5, text
    finally:
        context.close()


def _ratio(a: str, b: str) -> float:
    def lum(color: str) -> float:
        r, g, b_ = (int(v) for v in re.findall(r"\d+", color)[:3])

        def f(v: int) -> float:
            v = v / 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b_)

    la, lb = lum(a), lum(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def test_hand_written_fields_join_the_error_summary(browser, site):
    """The SLA report's period is not a WTForms form: its errors are summarised all the same."""
    from tests.support.a11y import axe_violations, error_ties

    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        sign_in(page, site, "technician")
        page.goto(f"{site}/sla/report?from=2026-13-45&to=demain")
        assert re.match(r"^2 erreurs – ", page.title()), page.title()
        focus = page.evaluate(_FOCUS_JS)
        assert focus and focus["summary"], focus
        links = page.locator("[data-error-summary] a")
        assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
            "#period-from",
            "#period-to",
        ]
        for name in ("from", "to"):
            field = page.locator(f"#period-{name}")
            assert field.get_attribute("aria-invalid") == "true"
            assert field.get_attribute("aria-describedby") == f"period-{name}-error"
            assert page.locator(f"#period-{name}-error").count() == 1
        assert error_ties(page) == []
        assert axe_violations(page) == []
    finally:
        context.close()


def test_a_catalogue_entrys_settings_sent_back_join_the_error_summary(browser, site):
    """The admin's catalogue table has one small form per entry: sent back with an order
    that is not a number, its error was a bare list under the fields, tied to none, with no
    summary and no count in the title, and the focus stayed on the page (RGAA 11.10)."""
    from tests.support.a11y import axe_violations, error_ties

    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        sign_in(page, site, "admin")
        page.goto(f"{site}/admin/catalogue")
        row = page.locator("table.admin-catalogue tbody tr").first
        position = row.locator("input[name$='-position']")
        field_id = position.get_attribute("id")
        position.fill("")
        with page.expect_navigation():
            row.locator("[type=submit]").click()
        assert re.match(r"^1 erreur – ", page.title()), page.title()
        focus = page.evaluate(_FOCUS_JS)
        assert focus and focus["summary"], focus
        links = page.locator("[data-error-summary] a")
        assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
            f"#{field_id}"
        ]
        field = page.locator(f"#{field_id}")
        assert field.get_attribute("aria-invalid") == "true"
        assert field.get_attribute("aria-describedby") == f"{field_id}-error"
        assert page.locator(f"#{field_id}-error").inner_text().strip()
        assert error_ties(page) == []
        assert axe_violations(page) == []
        # The summary's link takes the keyboard to the field.
        links.first.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == field_id
    finally:
        context.close()


def test_a_refused_action_takes_the_focus_after_the_redirect(browser, site):
    """A bulk action sent with no ticket ticked comes back to the list with its message: a
    keyboard or screen-reader user starts from it, as from an error summary."""
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        sign_in(page, site, "technician")
        page.goto(f"{site}/queues/reseau-richter")
        page.focus("#bulk-reason")
        _tab_to(page, lambda f: f["tag"] == "button" and f["type"] == "submit", limit=3)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        focus = page.evaluate(
            "() => document.activeElement.matches('[data-flash-error]')"
            " && getComputedStyle(document.activeElement).outlineStyle !== 'none'"
        )
        assert focus, page.evaluate("() => document.activeElement.outerHTML")
        assert page.title().startswith(("Erreur : ", "Error : ")), page.title()
    finally:
        context.close()


def test_tickets_refused_by_a_bulk_action_take_the_focus(browser, site):
    """A bulk action that some tickets refuse (changed by someone else since the list was
    drawn) answers a page whose refusals were a role="alert" drawn with it: not announced,
    the focus on the page and the title the same as when all went well."""
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        sign_in(page, site, "technician")
        page.goto(f"{site}/queues/reseau-richter")
        page.locator("form.bulk input[name=ticket]").first.check()
        # Another technician's change since the list was drawn: the ticket's version moved.
        page.evaluate(
            """() => { const box = document.querySelector('form.bulk input[name=ticket]');
                       box.value = box.value.split(':')[0] + ':99999'; }"""
        )
        page.select_option("form.bulk select[name=action]", "status")
        with page.expect_navigation():
            page.locator("form.bulk [type=submit]").click()
        assert page.locator("section.refused li").count() == 1
        focus = page.evaluate(
            "() => document.activeElement.matches('section.refused[data-flash-error]')"
            " && getComputedStyle(document.activeElement).outlineStyle !== 'none'"
        )
        assert focus, page.evaluate("() => document.activeElement.outerHTML.slice(0, 200)")
        assert page.title().startswith("Erreur : "), page.title()
    finally:
        context.close()


def test_a_saved_message_takes_the_focus_after_the_redirect(browser, site):
    """A role="status" drawn with the page a redirect led to is not announced: the message
    that the preferences are saved takes the focus, shows it, and Tab goes on into the page
    from there; the title says no error."""
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        sign_in(page, site, "requester")
        page.goto(f"{site}/preferences")
        page.focus("#save-top")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        focused = page.evaluate(
            """() => { const el = document.activeElement;
                 return {status: el.matches('[data-flash-status][role=status]'),
                         text: el.innerText, outline: getComputedStyle(el).outlineStyle}; }"""
        )
        assert focused["status"], page.evaluate("() => document.activeElement.outerHTML")
        assert "enregistr" in focused["text"], focused
        assert focused["outline"] != "none"
        assert not page.title().startswith("Erreur"), page.title()
        # The next stop is in the page's content, after the message.
        after = _tab_to(page, lambda f: True, limit=1)
        in_main = "() => document.querySelector('main').contains(document.activeElement)"
        assert page.evaluate(in_main)
        assert after["visible"]
    finally:
        context.close()


def test_the_session_warning_is_announced_and_kept_from_the_keyboard(browser, site):
    """WCAG 2.2.1: minutes before an idle session would end, a modal dialog says when and
    takes the focus; Enter keeps the session, the focus goes back where it was, and the
    form typed in before is still sent (with the renewed CSRF token)."""
    from tests.support.a11y import axe_violations

    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        page.clock.install()
        sign_in(page, site, "student")
        page.goto(f"{site}/catalogue/licence-zoom")
        dialog = page.locator("dialog#session-warning")
        seconds = int(dialog.get_attribute("data-seconds"))
        assert seconds >= 3600 - 60
        _tab_to(page, lambda f: f["id"] == "account_created", limit=40)
        page.keyboard.press("Space")
        token = page.locator("input[name=csrf_token]").first.input_value()

        page.clock.run_for((seconds - 6 * 60) * 1000)
        assert not dialog.evaluate("d => d.open")  # not while there is time
        page.clock.run_for(2 * 60 * 1000)
        assert dialog.evaluate("d => d.open")
        assert page.evaluate("() => document.activeElement.matches('[data-session-keep]')")
        name = page.get_by_role("dialog").get_attribute("aria-labelledby")
        assert page.locator(f"#{name}").inner_text()
        assert re.search(r"\d\d:\d\d", page.locator("#session-warning-text").inner_text())
        assert axe_violations(page) == []

        time.sleep(1.1)  # a token is signed to the second: the renewed one is another
        page.keyboard.press("Enter")
        page.wait_for_function("() => !document.getElementById('session-warning').open")
        assert page.evaluate("() => document.activeElement.id") == "account_created"
        renewed = page.locator("input[name=csrf_token]").first.input_value()
        assert renewed != token
        with page.expect_navigation():
            page.locator("#request-form [type=submit]").last.click()
        assert page.locator(".confirmation [data-reference]").count() == 1, page.url

        # Left alone past the end, the dialog says the session is over.
        page.goto(f"{site}/catalogue/licence-zoom")
        page.clock.run_for((seconds + 10) * 1000)
        assert dialog.evaluate("d => d.open")
        assert page.locator("#session-warning-text").inner_text() == page.locator(
            "#session-warning-text"
        ).get_attribute("data-over")
    finally:
        context.close()


# The element that has the focus, and what is drawn on top of its centre when that is not
# the element itself (something floating over it hides the focus).
_COVERED_JS = """() => {
  const el = document.activeElement, box = el.getBoundingClientRect();
  const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  const hidden = top && !el.contains(top) && !top.contains(el);
  return {href: el.getAttribute('href') || '', text: el.innerText.trim().slice(0, 40),
          covered: hidden ? top.outerHTML.slice(0, 80) : null,
          open: document.querySelector('details.usermenu').open};
}"""


def test_the_user_menu_does_not_hide_the_focus_once_left(browser, site):
    """At 320 px the open user menu lay over the page's first links: Tab out of it, and the
    focus went to a link under « Se déconnecter », out of sight. Leaving the menu (Tab, a
    click elsewhere) closes it; Escape closes it and gives the focus back to its button."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 320, "height": 700})
    page = context.new_page()
    try:
        sign_in(page, site, "admin")
        page.goto(f"{site}/catalogue")
        menu = page.locator("details.usermenu")
        _tab_to(page, lambda f: f["tag"] == "summary", limit=40)
        page.keyboard.press("Enter")
        assert menu.evaluate("d => d.open")
        items = menu.locator("a, button").count()
        for _ in range(items):
            page.keyboard.press("Tab")
            assert page.evaluate(_COVERED_JS)["open"]  # still open while inside it
        after = _tab_to(page, lambda f: True, limit=1)
        where = page.evaluate(_COVERED_JS)
        assert not where["open"] and where["covered"] is None, (after, where)

        # Escape from inside: closed, the focus back on the menu's button.
        page.keyboard.press("Shift+Tab")  # the menu's items are closed: back on its button
        assert page.evaluate("() => document.activeElement.tagName") == "SUMMARY"
        page.keyboard.press("Enter")
        assert menu.evaluate("d => d.open")
        page.keyboard.press("Tab")
        page.keyboard.press("Escape")
        assert not menu.evaluate("d => d.open")
        assert page.evaluate("() => document.activeElement.tagName") == "SUMMARY"

        # A click elsewhere on the page closes it too.
        page.keyboard.press("Enter")
        assert menu.evaluate("d => d.open")
        page.mouse.click(5, 690)  # bottom left of the page, away from the menu
        assert not menu.evaluate("d => d.open")
    finally:
        context.close()
