"""The error summary at the top of a refused form lists the errors in the order the fields
come on the page (RGAA 11.10, WCAG 3.3.1), on every page that draws one through the shared
macro, not only the catalogue's (tests/catalog/test_error_summary_order.py): the summary is
drawn before the fields, so it is written once they are."""

from __future__ import annotations

import html
import re

from desk.auth.models import Role
from tests.support.factories import make_category, make_queue, make_user


def _summary_targets(page: str) -> list[str]:
    """The fields the summary's links go to, in its order."""
    summaries = re.findall(r'<div class="form-errors".*?</div>', page, re.DOTALL)
    assert len(summaries) == 1, "one summary on the page"
    return [html.unescape(t) for t in re.findall(r'<a href="#([^"]+)">', summaries[0])]


def _page_order(page: str) -> list[str]:
    """The fields showing an error, in the order the page shows them."""
    return re.findall(r'<ul class="errors" id="([^"]+)-error">', page)


def _check(page: str, expected: list[str]) -> None:
    assert _page_order(page) == expected
    assert _summary_targets(page) == expected
    # The title counts them, as before.
    assert re.search(rf"<title>[^<]*{len(expected)}", page)


def test_new_account_summary_follows_the_page(app_ctx, login):
    # Page: e-mail, name, role, staff, password; class (NewAccountForm extends AccountForm):
    # name, role, staff, then e-mail and password.
    admin = login(make_user("admin@umontpellier.fr", role=Role.ADMIN))
    data = {"email": "pas-une-adresse", "display_name": "", "role": "x", "password": "court"}
    response = admin.submit("/admin/accounts/new", data)
    assert response.status_code == 400
    _check(response.text, ["email", "display_name", "role", "password"])


def test_disruption_summary_follows_the_page(app_ctx, login):
    # Page: French title and details, service, start, end, then the English texts; class:
    # the four texts first, then service, start and end.
    queue = make_queue(code="reseau")
    make_category(queue.domain, code="reseau")
    tech = login(make_user("tech@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,)))
    data = {
        "title_fr": "",
        "details_en": "Since 9 am.",
        "starts_at": "pas une date",
        "category": "",
        "version": "0",
    }
    response = tech.submit("/etat-des-services/nouvelle", data)
    assert response.status_code == 400
    _check(response.text, ["title_fr", "starts_at", "details_en"])
