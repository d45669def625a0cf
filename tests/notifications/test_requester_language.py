"""Someone who never chose a language gets the e-mails of their request in the language they
filed it in (their browser's, as the pages were); a language they chose wins; staff and
people in copy are not affected by the requester's."""

from __future__ import annotations

import pytest

from desk.auth.models import Role
from desk.notifications.models import Channel
from tests.notifications.helpers import rows, submit
from tests.support.factories import make_queue, make_request_type, make_user


@pytest.fixture
def request_type(app_ctx):
    queue = make_queue()
    make_user("tech@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    return make_request_type(queue=queue)


def _locales(ticket) -> dict[str, str]:
    return {m.payload["to"]: m.payload["locale"] for m in rows(Channel.EMAIL)}


@pytest.mark.parametrize(
    ("saved", "filed_in", "expected"),
    [
        (None, "en", "en"),  # an English browser, no choice made: English
        (None, "fr", "fr"),
        (None, None, "fr"),  # filed by staff for them, or by e-mail: the default
        ("fr", "en", "fr"),  # a choice wins over the browser
        ("en", "fr", "en"),
    ],
)
def test_the_requester_reads_the_language_they_filed_in(request_type, saved, filed_in, expected):
    student = make_user("erasmus@etu.umontpellier.fr", locale=saved)
    ticket = submit(student, request_type=request_type, language=filed_in)
    locales = _locales(ticket)
    assert locales["erasmus@etu.umontpellier.fr"] == expected
    assert locales["tech@umontpellier.fr"] == "fr"  # staff keep their own (the default)
