"""E-mails held for the queue's business hours, end to end: written at night, then the
morning's worker (a real Celery process, started once the night's changes are made) sends
them to a real SMTP server. What is sent is what is true in the morning: rendered in the
reader's language of the morning."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select

from desk.admin.services import remove_member
from desk.auth.models import Role
from desk.notifications.models import Channel, DeliveryStatus, NotificationEvent
from desk.preferences.services import set_language
from desk.reference.models import QueueMembership
from desk.sla.models import SlaEventKind as K
from desk.sla.signals import sla_warning
from desk.tickets.models import Status
from tests.notifications.helpers import assign, rows, submit, wait_for
from tests.notifications.test_schedule import _calendar, paris
from tests.notifications.test_staff_worker import _settled
from tests.notifications.test_taken_over_worker import _text, three_technicians
from tests.support.factories import make_user
from tests.support.worker import WorkerProcess

E = NotificationEvent
S = DeliveryStatus
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


def _office_hours_queue():
    """Karim, Sophie and Léo in a queue open 08:00–17:00 on working days, and a requester."""
    queue, karim, sophie, leo, requester = three_technicians()
    queue.calendar = _calendar("Ouvré", [["08:00", "17:00"]])
    return queue, karim, sophie, leo, requester


def _lead(queue):
    return make_user("nadia@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,), leads=(queue,))


def _send_the_morning_mails(morning) -> None:
    """Start the morning's worker and wait until it has sent or withdrawn every held e-mail."""
    morning()
    wait_for(
        lambda: not rows(Channel.EMAIL, status=S.PENDING) and not rows(status=S.SENDING),
        what="the morning's e-mails",
    )
    time.sleep(0.5)


def _warned(smtp, person) -> list[str]:
    """The references of the tickets whose deadline warning `person` received, sorted."""
    return sorted(
        m["Subject"].split("] ")[0][1:]
        for m in smtp.to(person.email)
        if "Deadline approaching" in m["Subject"] or "Échéance" in m["Subject"]
    )


def _subject(message) -> str:
    return " ".join(message["Subject"].split())


def test_a_held_mail_speaks_the_language_its_reader_chose_overnight(db, smtp, clock, morning):
    queue, karim, sophie, leo, requester = _office_hours_queue()
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


def test_a_held_mail_names_people_and_the_queue_as_they_are_when_it_goes(db, smtp, clock, morning):
    queue, karim, sophie, _leo, requester = _office_hours_queue()
    db.session.commit()
    clock(NIGHT)
    ticket = submit(requester, queue=queue, subject="Imprimante bloquée")
    old_queue = (queue.name_fr, queue.name_en)
    # Overnight the directory renames the requester and Sophie; an admin renames the queue.
    requester.display_name = "Claire Martin-Dubois"
    sophie.display_name = "Sophie Roux"
    queue.name_fr, queue.name_en = "Support réseau du campus", "Campus network support"
    db.session.commit()

    morning()
    _settled(smtp, 4)  # the acknowledgement, and the new ticket for each technician

    (to_sophie,) = smtp.to(sophie.email)
    text = _text(to_sophie)
    assert "Bonjour Sophie Roux," in text and "Durand" not in text
    assert "« Support réseau du campus »" in text and old_queue[0] not in text
    assert "Claire Martin-Dubois" in text
    assert f"{ticket.reference} — Imprimante bloquée" in text
    html = to_sophie.get_body(("html",)).get_content()
    assert "Sophie Roux" in html and "Claire Martin-Dubois" in html
    (to_karim,) = smtp.to(karim.email)
    assert "“Campus network support”" in _text(to_karim)
    assert "Claire Martin-Dubois" in _text(to_karim)


def _held_warnings(ticket) -> list:
    return rows(Channel.EMAIL, ticket_id=ticket.id, event=E.SLA_WARNING)


def test_a_held_deadline_mail_goes_only_to_who_answers_for_the_ticket_in_the_morning(
    db, smtp, clock, morning
):
    queue, karim, sophie, leo, requester = _office_hours_queue()
    nadia = _lead(queue)
    admin = make_user("admin@umontpellier.fr", role=Role.ADMIN)
    db.session.commit()
    clock(NIGHT)
    karims, leos, nobodys, sophies = (
        submit(requester, queue=queue, subject=subject)
        for subject in ("Imprimante", "Prise murale", "Écran noir", "Clavier")
    )
    for ticket, holder in ((karims, karim), (leos, leo), (sophies, sophie)):
        assign(ticket, holder, actor=nadia)
    db.session.commit()
    for ticket in (karims, leos, nobodys, sophies):
        sla_warning.send(ticket, kind=K.RESOLUTION_WARNING, due_at=NIGHT)
    db.session.commit()
    assert all(r.payload.get("deferred") for t in (karims, nobodys) for r in _held_warnings(t))

    # Overnight: Sophie takes Karim's ticket; Léo leaves the queue (his ticket goes back to
    # it); Karim takes the one nobody held; Sophie's own is resolved.
    assign(karims, sophie, actor=sophie)
    assign(nobodys, karim, actor=karim)
    sophies.status = Status.RESOLVED
    db.session.commit()
    membership = db.session.scalar(select(QueueMembership).where(QueueMembership.user_id == leo.id))
    remove_member(membership, actor=admin)

    _send_the_morning_mails(morning)

    # The lead hears of the three open ones; Karim and Sophie of the one each holds now (Sophie
    # took Karim's overnight: hers from then on, held for the morning as his was), and of
    # Léo's, back in the queue (its holder's e-mail goes to the queue's members, as the
    # sweep's would have then); Léo of nothing.
    assert _warned(smtp, nadia) == sorted([karims.reference, leos.reference, nobodys.reference])
    assert _warned(smtp, karim) == sorted([nobodys.reference, leos.reference])
    assert _warned(smtp, sophie) == sorted([karims.reference, leos.reference])
    assert _warned(smtp, leo) == []
    reasons = {
        (r.recipient_id, r.ticket_id): (r.status, r.last_error)
        for t in (karims, leos, nobodys, sophies)
        for r in _held_warnings(t)
    }
    hands = "not sent: the ticket changed hands before the business hours"
    left = "not sent: its reader was no longer in the ticket's queue before the business hours"
    assert reasons[(karim.id, karims.id)] == (S.WITHDRAWN, hands)
    assert reasons[(sophie.id, nobodys.id)] == (S.WITHDRAWN, hands)
    assert reasons[(leo.id, leos.id)] == (S.WITHDRAWN, left)
    assert reasons[(leo.id, nobodys.id)] == (S.WITHDRAWN, left)
    assert reasons[(sophie.id, sophies.id)][0] is S.WITHDRAWN
    assert reasons[(karim.id, nobodys.id)] == (S.SENT, "")


def test_who_takes_a_ticket_overnight_gets_its_held_deadline_mail_once(db, smtp, clock, morning):
    queue, karim, sophie, leo, requester = _office_hours_queue()
    nadia = _lead(queue)
    db.session.commit()
    clock(NIGHT)
    printer, socket, screen = (
        submit(requester, queue=queue, subject=subject)
        for subject in ("Imprimante", "Prise murale", "Écran noir")
    )
    for ticket in (printer, socket, screen):
        assign(ticket, karim, actor=nadia)
    db.session.commit()
    for ticket in (printer, socket, screen):
        sla_warning.send(ticket, kind=K.RESOLUTION_WARNING, due_at=NIGHT)
    db.session.commit()

    # Overnight Sophie takes the printer's ticket; the socket's passes from Sophie to Léo;
    # Nadia, the lead who was warned of the screen's, takes it herself.
    assign(printer, sophie, actor=sophie)
    assign(socket, sophie, actor=sophie)
    db.session.commit()
    assign(socket, leo, actor=nadia)
    assign(screen, nadia, actor=nadia)
    db.session.commit()
    # Sophie sees it in her bell at once, as those warned at night did.
    sophies_bell = rows(Channel.INAPP, recipient_id=sophie.id, event=E.SLA_WARNING)
    assert [r.ticket_id for r in sophies_bell] == [printer.id, socket.id]

    _send_the_morning_mails(morning)

    # Each ticket's holder of the morning, once; the lead of the three, once each (the one she
    # took included); Karim, who held them all when warned, of none.
    assert _warned(smtp, sophie) == [printer.reference]
    assert _warned(smtp, leo) == [socket.reference]
    assert _warned(smtp, nadia) == sorted([printer.reference, socket.reference, screen.reference])
    assert _warned(smtp, karim) == []
    (sophies_socket,) = [r for r in _held_warnings(socket) if r.recipient_id == sophie.id]
    assert (sophies_socket.status, sophies_socket.last_error) == (
        S.WITHDRAWN,
        "not sent: the ticket changed hands before the business hours",
    )
