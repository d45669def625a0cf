"""Counts and limits in messages are written as their reader writes numbers: "2,000" in
English, « 2 000 » in French (a narrow no-break space); they read "2000" everywhere."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from desk.catalog.parsing import format_issue, parse_guest_csv
from desk.catalog.parsing.issues import ParseIssue
from desk.core.i18n import lazy_gettext as _l
from tests.catalog.test_catalog_wifi import URL, _data
from tests.catalog.world import field_errors

NNBSP = "\u202f"  # what CLDR groups French thousands with


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Between 1 and 2,000 guests."),
        ("fr", f"Entre 1 et 2{NNBSP}000 invités."),
    ],
)
def test_the_guest_count_limit(world, staff, login, language, expected):
    client = login(staff)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    response = client.submit(URL, _data(world, guest_count="2001"))
    assert response.status_code == 400
    assert field_errors(response.text, "guest_count") == [expected]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Too many guests: 2,001 (maximum 2,000 per file).", "Line 1,234: Wrong."]),
        (
            "fr",
            [
                f"Trop d’invités : 2{NNBSP}001 (2{NNBSP}000 au maximum par fichier).",
                f"Ligne 1{NNBSP}234 : Wrong.",
            ],
        ),
    ],
)
def test_a_guest_file_s_counts_and_lines(app_ctx, language, expected):
    rows = "".join(f"N{i};P\n" for i in range(2001)).encode()
    (issue,) = parse_guest_csv(rows).issues
    line = ParseIssue(1234, None, _l("Wrong."), "")
    with app_ctx.test_request_context(), force_locale(language):
        assert [str(issue.reason), str(format_issue(line))] == expected
