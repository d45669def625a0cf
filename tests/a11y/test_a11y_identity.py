"""The directory page after a sync that failed or stopped, in a real browser, in French and
in English: the message that the directory was not synced is announced (the title starts
with « Error: » and the focus is on it, as for a refused action: a role="alert" drawn with
the page is not read when the page loads), it is in the reader's language, and axe-core
finds nothing on the page (WCAG 2.1 A/AA and the crawl's best-practice rules)."""

from __future__ import annotations

import pytest

from tests.a11y.world import sign_in
from tests.support.a11y import BEST_PRACTICE, axe_violations

pytestmark = pytest.mark.browser

LOCALES = {"fr": "fr-FR", "en": "en-GB"}
# status, reason, reason_data, counts → the message's start in French and in English.
RUNS = {
    "unreachable": (
        "failed",
        "unreachable",
        None,
        {},
        "La dernière synchronisation a échoué : l’annuaire était injoignable.",
        "The last sync failed: the directory could not be reached.",
    ),
    "cut_short": (
        "failed",
        "cut_short",
        None,
        {},
        "La dernière synchronisation a échoué sans rien changer : l’annuaire a tronqué",
        "The last sync failed without changing anything: the directory cut its answer short",
    ),
    "groups_missing": (
        "failed",
        "groups_missing",
        {"groups": ["desk-reseau"]},
        {},
        "La dernière synchronisation a échoué sans rien changer : l’annuaire n’a pas de "
        "groupe desk-reseau",
        "The last sync failed without changing anything: the directory has no group desk-reseau",
    ),
    "stopped": (
        "stopped",
        None,
        None,
        {"would_deactivate": 40, "active": 50},
        "La dernière synchronisation s’est arrêtée sans rien modifier : elle aurait "
        "désactivé 40 comptes sur 50.",
        "The last sync stopped without changing anything: it would have deactivated 40 of 50",
    ),
}


def _last_run(app, kind: str) -> None:
    """A sync run of this kind, the latest one the page shows."""
    from desk.extensions import db
    from desk.identity.models import DirectorySync

    status, reason, data, counts, *_ = RUNS[kind]
    with app.app_context():
        db.session.add(DirectorySync(status=status, reason=reason, reason_data=data, counts=counts))
        db.session.commit()


@pytest.mark.parametrize("kind", list(RUNS))
@pytest.mark.parametrize("language", list(LOCALES))
def test_a_failed_sync_is_announced_in_the_readers_language(app, browser, site, kind, language):
    _last_run(app, kind)
    context = browser.new_context(locale=LOCALES[language])
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, site, "admin")
        page.goto(site + "/admin/identity")
        alert = page.locator("[data-sync-alert]")
        assert alert.get_attribute("role") == "alert"
        text = " ".join(alert.inner_text().split())
        french, english = RUNS[kind][4:]
        assert text.startswith(french if language == "fr" else english), text
        error = "Erreur : " if language == "fr" else "Error: "
        assert page.title().startswith(error), page.title()
        focus = "() => document.activeElement.hasAttribute('data-sync-alert')"
        assert page.evaluate(focus), "the message does not have the focus"
        focused = "() => getComputedStyle(document.activeElement).outlineStyle"
        assert page.evaluate(focused) != "none"
        assert page.locator("html").get_attribute("lang") == language
        assert axe_violations(page, BEST_PRACTICE) == []
    finally:
        context.close()
