"""E-mails held for the queue's business hours, end to end: written at night, then the
morning's worker (a real Celery process, started once the night's changes are made) sends
them to a real SMTP server. What is sent is what is true in the morning: rendered in the
reader's language of the morning."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from desk.preferences.services import set_language
from tests.notifications.helpers import submit
from tests.notifications.test_schedule import _calendar, paris
from tests.notifications.test_staff_worker import _settled
from tests.notifications.test_taken_over_worker import _text, three_technicians
from tests.support.worker import WorkerProcess

pytestmark = pytest.mark.worker

NIGHT = paris(2026, 12, 1, 22, 0)  # a Tuesday: the e-mails wait for Wednesday 08:00


@pytest.fixture
def morning(test_env, smtp) -> Iterator[Callable[[], WorkerProcess]]:
    """Start the worker when the test says morning has come: the rows held for 08:00 are
    due for it (that Wednesday is past), and nothing was sent before."""
    started: list[WorkerProcess] = []

    def start() -> WorkerProcess:
        env = {**test_env, "DESK_MAIL_HOST": "127.0.0.1", "DESK_MAIL_PORT": str(smtp.port)}
        started.append(WorkerProcess(env).start())
        return started[-1]

    yield start
    for process in started:
        process.stop()


def _subject(message) -> str:
    return " ".join(message["Subject"].split())


def test_a_held_mail_speaks_the_language_its_reader_chose_overnight(db, smtp, clock, morning):
    queue, karim, sophie, leo, requester = three_technicians()
    queue.calendar = _calendar("Ouvré", [["08:00", "17:00"]])
    db.session.commit()
    clock(NIGHT)
    ticket = submit(requester, queue=queue, subject="Imprimante bloquée")
    # Overnight Sophie (French) chooses English and Karim (English) French; Léo keeps his.
    set_language(sophie, "en", actor=sophie)
    set_language(karim, "fr", actor=karim)

    morning()
    _settled(smtp, 4)  # the acknowledgement, and the new ticket for each technician

    (to_sophie,) = smtp.to(sophie.email)
    assert _subject(to_sophie).startswith(f"[{ticket.reference}] New ticket in your queue: ")
    assert "Hello Sophie Durand" in _text(to_sophie) and "Bonjour" not in _text(to_sophie)
    (to_karim,) = smtp.to(karim.email)
    assert _subject(to_karim).startswith(f"[{ticket.reference}] Nouveau ticket")
    assert "Bonjour Karim Benali" in _text(to_karim) and "Hello" not in _text(to_karim)
    (to_leo,) = smtp.to(leo.email)
    assert "Bonjour Léo Petit" in _text(to_leo)
