"""Someone who never chose a language gets the e-mails about no request of theirs (new tickets
and digests for staff, SLA warnings, notices to the admins) in the language their browser asks
for, noted when they signed in; they went out in French. The e-mails of their own request keep
the language they filed it in; a language they chose wins over both."""

from __future__ import annotations

import datetime as dt

import pytest

from desk.auth.models import Role
from desk.extensions import db
from desk.inbound.alerts import tell_admins_throttled
from desk.notifications import digest
from desk.notifications.models import Channel, DeliveryStatus, NewTicketMode
from desk.notifications.services import retry_failed, set_new_ticket_mode
from tests.conftest import Client
from tests.notifications.helpers import deliver_all, rows, submit
from tests.support.factories import make_queue, make_request_type, make_user

ENGLISH_BROWSER = "en-GB,en;q=0.9,fr;q=0.5"


def _sign_in(app, user, accept_language: str) -> Client:
    """The real login form, from a browser asking for `accept_language`."""
    app.test_client_class = Client
    client: Client = app.test_client()  # type: ignore[assignment]
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = accept_language
    assert client.login(user.email).status_code == 302
    return client


def _greeting(smtp, address: str) -> list[str]:
    return [m.get_body(("plain",)).get_content().split(",")[0] for m in smtp.to(address)]


def test_staff_read_the_language_they_signed_in_with(db, smtp, app):
    queue = make_queue()
    tech = make_user("tech@umontpellier.fr", name="Tech", role=Role.TECHNICIAN, queues=(queue,))
    lead = make_user("lead@umontpellier.fr", name="Lead", role=Role.TECHNICIAN, queues=(queue,))
    reader = make_user("digest@umontpellier.fr", name="Dana", role=Role.TECHNICIAN, queues=(queue,))
    admin = make_user("admin@umontpellier.fr", name="Ada", role=Role.ADMIN)
    set_new_ticket_mode(reader, NewTicketMode.DIGEST, actor=reader)
    for person in (tech, reader, admin):
        _sign_in(app, person, ENGLISH_BROWSER)
    _sign_in(app, lead, "de-DE,de;q=0.9")  # none of desk's languages: the default

    requester = make_user("claire@umontpellier.fr", name="Claire")
    _sign_in(app, requester, ENGLISH_BROWSER)
    submit(requester, queue=queue, subject="Imprimante", language="fr")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=app.config["NOTIFY_DIGEST_MINUTES"] + 2)
    assert digest.send_digests(now=later) == 1
    assert tell_admins_throttled("spam@example.com") == 1
    db.session.commit()
    deliver_all()

    assert _greeting(smtp, tech.email) == ["Hello Tech"]  # a new ticket in their queue
    assert _greeting(smtp, reader.email) == ["Hello Dana"]  # the digest
    assert _greeting(smtp, admin.email) == ["Hello Ada"]  # a notice about incoming mail
    assert _greeting(smtp, lead.email) == ["Bonjour Lead"]
    assert _greeting(smtp, requester.email) == ["Bonjour Claire"]  # filed in French


def test_an_sla_warning_follows_the_browser_and_a_choice_wins(db, smtp, app):
    from desk.sla.sweep import sweep_sla
    from tests.notifications.test_schedule import _calendar
    from tests.sla.conftest import add_policy, new_ticket, paris

    network = make_request_type(kind="incident")
    add_policy(network, _calendar("Ouvré", [["08:00", "17:00"]]), first=240, resolution=1080)
    queue = network.default_queue
    karim = make_user(name="Karim", role=Role.TECHNICIAN, queues=(queue,))
    julie = make_user(name="Julie", role=Role.TECHNICIAN, queues=(queue,), locale="fr")
    for person in (karim, julie):
        _sign_in(app, person, ENGLISH_BROWSER)
    new_ticket(network, paris(2026, 12, 4, 16, 0))
    assert sweep_sla(paris(2026, 12, 7, 10, 30)) == 1
    deliver_all()
    # The new ticket, then the warning.
    assert _greeting(smtp, karim.email) == ["Hello Karim"] * 2
    assert _greeting(smtp, julie.email) == ["Bonjour Julie"] * 2  # she chose French


@pytest.fixture
def request_type(app_ctx):
    return make_request_type(queue=make_queue())


@pytest.mark.parametrize(
    ("chosen", "browser", "filed_in", "expected"),
    [
        (None, "en", None, "en"),  # filed by e-mail or by staff for them: their browser's
        (None, "en", "fr", "fr"),  # their own request: the language they filed it in
        (None, "fr", "en", "en"),
        ("fr", "en", "en", "fr"),  # a choice wins
        (None, None, None, "fr"),  # nothing known: the default
    ],
)
def test_the_requester_s_own_request(request_type, chosen, browser, filed_in, expected):
    student = make_user("erasmus@etu.umontpellier.fr", locale=chosen)
    student.browser_locale = browser
    db.session.commit()
    submit(student, request_type=request_type, language=filed_in)
    (row,) = rows(Channel.EMAIL)
    assert row.payload["locale"] == expected


def test_a_retried_e_mail_follows_the_language_read_again(db, smtp, app):
    queue = make_queue()
    tech = make_user("tech@umontpellier.fr", name="Tech", role=Role.TECHNICIAN, queues=(queue,))
    requester = make_user("claire@umontpellier.fr", name="Claire")
    submit(requester, queue=queue, language="fr")
    for row in rows(Channel.EMAIL):
        row.status = DeliveryStatus.FAILED
    db.session.commit()
    for person in (tech, requester):
        _sign_in(app, person, ENGLISH_BROWSER)
    for row in rows(Channel.EMAIL):
        assert retry_failed(row.id, actor=tech)
    deliver_all()
    assert _greeting(smtp, tech.email) == ["Hello Tech"]
    assert _greeting(smtp, requester.email) == ["Bonjour Claire"]  # filed in French
