"""The bundled "back in the queue" e-mail to an admin told only because nobody in the queue
is present: not "your queue" (it is not theirs), in words of its own; an admin who is also a
member of another queue reads each group in its own words."""

from __future__ import annotations

from desk.notifications.content import render_alert


def _ticket(reference: str, queue: str, **data) -> dict:
    return {
        "reference": reference,
        "subject": f"Souci {reference}",
        "title_fr": "",
        "title_en": "",
        "language": "fr",
        "status": "new",
        "queue_id": 1,
        "queue_fr": queue,
        "queue_en": queue,
        "requester": "Claire Martin",
        "resolution_due_at": None,
        "url": f"http://desk.test/tickets/{reference}",
        "reason": "away",
        "former": "Léo Petit",
        **data,
    }


def _alert(*tickets: dict) -> tuple[str, str, str]:
    return render_alert(
        {"alert": "back_in_queue", "name": "Admin Desk", "locale": "en", "tickets": list(tickets)}
    )


def test_an_admin_told_for_a_queue_with_nobody_present_is_not_told_it_is_theirs(app_ctx):
    subject, text, html = _alert(
        _ticket("INC-1", "Réseau", unattended=True), _ticket("INC-2", "Réseau", unattended=True)
    )
    assert subject == "Back in a queue with nobody present, unassigned: 2 tickets"
    first = "These tickets are back in the queue “Réseau”, where nobody is present, without"
    assert f"{first} a technician: Léo Petit is away." in text
    assert "<h1>Back in a queue with nobody present, unassigned</h1>" in html
    assert first in html
    assert "your queue" not in text and "your queue" not in html
    assert "you are told as an administrator" in text


def test_a_member_reads_your_queue_and_each_group_keeps_its_words(app_ctx):
    subject, text, html = _alert(
        _ticket("INC-1", "Réseau"), _ticket("INC-2", "Messagerie", reason="left", unattended=True)
    )
    assert subject == "Back in your queue, unassigned: 2 tickets"
    assert "<h1>Back in your queue, unassigned</h1>" in html
    assert "back in your queue “Réseau” without a technician: Léo Petit is away." in text
    assert (
        "back in the queue “Messagerie”, where nobody is present, without a technician:"
        " Léo Petit no longer works this queue." in text
    )
    assert "your queue “Messagerie”" not in text
