"""The SLA e-mails end to end: the minute sweep on real Celery workers, two of them, each run
delivered twice, and the SMTP server counting what the staff receive."""

from __future__ import annotations

import time

import pytest

from desk.auth.models import Role
from desk.sla.models import SlaCalendar
from desk.sla.parsing import generate_holidays
from desk.sla.tasks import sweep
from tests.notifications.helpers import wait_for
from tests.sla.conftest import add_policy, new_ticket, paris
from tests.support.factories import make_request_type, make_user
from tests.support.worker import WorkerProcess

pytestmark = pytest.mark.worker


def test_warning_and_breach_mailed_once_each_with_two_workers_sweeping_twice(
    db, worker, test_env, smtp
):
    workday = SlaCalendar(
        name="Jours ouvrés 8h–17h",
        timezone="Europe/Paris",
        weekly_hours={str(d): [["08:00", "17:00"]] for d in range(5)},
        holidays=generate_holidays("FR", [2026]),
    )
    db.session.add(workday)
    zoom = make_request_type(slug="licence-zoom")
    add_policy(zoom, workday, resolution=540)
    queue = zoom.default_queue
    karim = make_user(
        "karim@example.org", name="Karim", role=Role.TECHNICIAN, queues=(queue,), locale="en"
    )
    julie = make_user(
        "julie@example.org", name="Julie", role=Role.TECHNICIAN, queues=(queue,), locale="fr"
    )
    new_ticket(zoom, paris(2026, 11, 20, 16, 30))  # Friday 16:30: due Monday 16:30
    second = WorkerProcess(
        {**test_env, "DESK_MAIL_HOST": "127.0.0.1", "DESK_MAIL_PORT": str(smtp.port)}
    ).start()
    try:
        for now in (paris(2026, 11, 23, 14, 16), paris(2026, 11, 23, 14, 20)):
            for _ in range(2):
                sweep.delay(now.isoformat())
        wait_for(lambda: len(smtp.to(karim.email)) >= 2 and len(smtp.to(julie.email)) >= 2)
        for now in (paris(2026, 11, 23, 16, 31), paris(2026, 11, 24, 9, 0)):
            for _ in range(2):
                sweep.delay(now.isoformat())
        wait_for(lambda: len(smtp.to(karim.email)) >= 3 and len(smtp.to(julie.email)) >= 3)
        time.sleep(3)
    finally:
        second.stop()
    # The new ticket, then one warning and one breach each, in each reader's language and
    # Paris time, though the sweep ran four times at each stage on two workers.
    subjects = {
        p.email: [m["Subject"].split("] ", 1)[1] for m in smtp.to(p.email)] for p in (karim, julie)
    }
    assert subjects[karim.email][1:] == ["Deadline approaching: Sujet", "Deadline missed: Sujet"]
    assert subjects[julie.email][1:] == ["Échéance proche : Sujet", "Échéance dépassée : Sujet"]
    english = [m.get_body(preferencelist=("plain",)).get_content() for m in smtp.to(karim.email)]
    assert "is near: Monday 23 November 2026, 16:30." in english[1]
    assert "missed its resolution deadline (Monday 23 November 2026, 16:30)" in english[2]
    french = [m.get_body(preferencelist=("plain",)).get_content() for m in smtp.to(julie.email)]
    assert "approche : lundi 23 novembre 2026, 16:30." in french[1]
    assert "dépassé son échéance de résolution (lundi 23 novembre 2026, 16:30)" in french[2]


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("fr", "Nous prévoyons de la traiter d’ici le lundi 23 novembre 2026, 16:30."),
        ("en", "We expect to resolve it by Monday 23 November 2026, 16:30."),
    ],
)
def test_the_receipt_of_a_zoom_request_filed_friday_1630_says_monday_1630(
    app_ctx, smtp, login, monkeypatch, locale, expected
):
    """The demo's Zoom policy (one working day, 08:00–17:00 Paris): the requester's receipt
    names Monday 16:30, Paris time, in their language."""
    from pathlib import Path

    from desk.reference.loader import load_reference
    from tests.notifications.helpers import deliver_all

    load_reference(Path(__file__).resolve().parents[2] / "desk/reference/data/demo.yaml")
    monkeypatch.setattr("desk.tickets.services.utcnow", lambda: paris(2026, 11, 20, 16, 30))
    user = make_user("nouvelle.arrivee@umontpellier.fr", locale=locale)
    response = login(user).submit(
        "/catalogue/licence-zoom", {"zoom_email": user.email, "account_created": "y"}
    )
    assert response.status_code == 302
    deliver_all()
    (receipt,) = smtp.to(user.email)
    assert expected in receipt.get_body(preferencelist=("plain",)).get_content()
