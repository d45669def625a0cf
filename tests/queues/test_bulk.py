"""Bulk actions from a queue list: each ticket checked, the answer lists changed and refused."""

from __future__ import annotations

import re

from desk.extensions import db
from desk.tickets.models import Status, Ticket
from tests.support.factories import make_ticket


def _post(client, fields, *, page="/queues/reseau", **kwargs):
    """Send the bulk form of the network queue's list with the token of `page`, drawn first."""
    return client.submit("/queues/reseau/bulk", fields, page=page, **kwargs)


def _bulk(client, data, tickets):
    """The bulk action `data` on `tickets`, each at the version the list showed."""
    return _post(client, {**data, "ticket": [f"{t.id}:{t.version}" for t in tickets]})


def _changed(html):
    section = html.split('id="changed-title"')[1].split("</section>")[0]
    return re.findall(r">((?:DEM|INC)-[\d-]+)</a>", section)


def test_bulk_assign_reports_each_ticket(desk, login):
    closed = make_ticket(queue=desk.network, status="closed")
    response = _bulk(
        login(desk.tech), {"action": "assign", "assignee": str(desk.mate.id)}, [desk.ticket, closed]
    )
    assert response.status_code == 200
    assert _changed(response.text) == [desk.ticket.reference]
    assert "Tickets refusés : 1" in response.text
    assert f"<strong>{closed.reference}</strong>" in response.text
    assert "ne peut plus être modifié" in response.text
    db.session.expire_all()
    assert db.session.get(Ticket, desk.ticket.id).assignee_id == desk.mate.id
    assert db.session.get(Ticket, closed.id).assignee_id is None


def test_bulk_status_follows_the_state_machine(desk, login):
    other = make_ticket(queue=desk.network, status="in_progress", assignee=desk.tech)
    response = _bulk(
        login(desk.tech), {"action": "status", "status": "resolved"}, [desk.ticket, other]
    )
    assert _changed(response.text) == [other.reference]
    assert "ne peut pas passer de « Nouveau » à « Résolu »" in response.text
    db.session.expire_all()
    assert db.session.get(Ticket, desk.ticket.id).status is Status.NEW
    assert db.session.get(Ticket, other.id).status is Status.RESOLVED


def test_bulk_transfer_needs_a_queue_and_a_reason(desk, login):
    client = login(desk.tech)
    response = _bulk(
        client, {"action": "transfer", "queue": str(desk.mail.id), "reason": ""}, [desk.ticket]
    )
    assert response.status_code == 409
    assert "Indiquez pourquoi le ticket est transféré." in response.text
    response = _bulk(
        client, {"action": "transfer", "queue": "424242", "reason": "x"}, [desk.ticket]
    )
    assert "Cette file n’existe pas." in response.text
    response = _bulk(
        client,
        {"action": "transfer", "queue": str(desk.mail.id), "reason": "Pour la messagerie"},
        [desk.ticket],
    )
    assert _changed(response.text) == [desk.ticket.reference]
    db.session.expire_all()
    assert db.session.get(Ticket, desk.ticket.id).queue_id == desk.mail.id


def test_tickets_of_another_queue_are_refused_without_revealing_them(desk, login):
    response = _bulk(
        login(desk.tech), {"action": "status", "status": "in_progress"}, [desk.mail_ticket]
    )
    assert response.status_code == 409
    assert desk.mail_ticket.reference not in response.text
    assert "Ticket introuvable, ou que vous ne pouvez pas modifier." in response.text
    db.session.expire_all()
    assert db.session.get(Ticket, desk.mail_ticket.id).status is Status.NEW


def test_bad_bulk_input_is_a_message_never_a_500(desk, login):
    client = login(desk.tech)
    # No selection.
    response = _post(client, {"action": "assign", "assignee": str(desk.mate.id)})
    assert response.status_code == 302
    assert "Sélectionnez au moins un ticket." in client.get(response.headers["Location"]).text
    # Unknown action, forged selections.
    response = _post(client, {"action": "explode", "ticket": f"{desk.ticket.id}:1"})
    assert response.status_code == 302
    assert "Choisissez une action." in client.get(response.headers["Location"]).text
    response = _post(
        client,
        {
            "action": "status",
            "status": "nonsense",
            "ticket": ["x:y", "1:", "99999999:1", "99999999999:99999999"],
        },
    )
    assert response.status_code in (200, 409)
    # Too many at once.
    response = _post(
        client,
        {"action": "status", "status": "in_progress", "ticket": [f"{i}:1" for i in range(1, 150)]},
    )
    assert (
        "Sélectionnez au plus 100 tickets à la fois."
        in client.get(response.headers["Location"]).text
    )


def test_back_link_keeps_the_filters_and_only_them(desk, login):
    client = login(desk.tech)
    response = _post(
        client,
        {"action": "assign", "assignee": str(desk.mate.id), "back": "?priority=high"},
        page="/queues/reseau?priority=high",
    )
    assert response.headers["Location"].endswith("/queues/reseau?priority=high")
    response = _post(client, {"action": "assign", "back": "//evil.example"})
    assert response.headers["Location"].endswith("/queues/reseau")


def test_a_refused_bulk_action_says_error_in_the_title_and_takes_the_focus(desk, login):
    # Back on the list after a redirect, with no field to list: the title starts with
    # « Erreur : » and the message can take the focus (static/desk.js), as a summary does.
    client = login(desk.tech)
    response = _post(client, {"action": "assign"}, follow_redirects=True)
    html = response.text
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert title.startswith(("Erreur : ", "Error : ")), title
    assert re.search(r'<p class="flash flash-error" tabindex="-1" data-flash-error>[^<]+</p>', html)
    # The next page is itself again.
    again = client.get("/queues/reseau").text
    assert "data-flash-error" not in again
    assert not re.search(r"<title>Err", again)


def test_the_status_list_offers_only_statuses_staff_can_pick(desk, login):
    # « Nouveau » is only ever set by desk itself (a ticket given back to its queue); offered,
    # it was refused ticket by ticket.
    page = login(desk.tech).get("/queues/reseau").text
    select = re.search(r'<select id="bulk-status"[^>]*>(.*?)</select>', page, re.S)
    assert select, "no status list in the bulk bar"
    offered = re.findall(r'<option[^>]*value="([a-z_]+)"', select.group(1))
    assert "new" not in offered
    assert {"assigned", "in_progress", "waiting_on_requester", "resolved"} <= set(offered)


def test_a_selection_without_its_version_changes_nothing(desk, login):
    """The list's checkboxes carry "id:version"; one sent without its version (a script, a
    page saved before) cannot say what its sender saw, and would overwrite unseen what a
    colleague just did: it is refused, as a ticket page's form without its version is."""
    mate = login(desk.mate)
    mate.get("/queues/reseau")
    claimed = mate.post(
        f"/tickets/{desk.ticket.reference}/claim",
        data={"csrf_token": mate.last_csrf, "version": str(desk.ticket.version)},
    )
    assert claimed.status_code == 302
    client = login(desk.tech)
    for selected in (str(desk.ticket.id), f"{desk.ticket.id}:", f"{desk.ticket.id}:x"):
        response = _post(
            client, {"action": "assign", "assignee": str(desk.tech.id), "ticket": selected}
        )
        assert response.status_code == 409, selected
        assert _changed(response.text) == []
        refused = response.text.split('id="refused-title"')[1]
        assert f"<strong>{desk.ticket.reference}</strong>" in refused
        db.session.expire_all()
        assert db.session.get(Ticket, desk.ticket.id).assignee_id == desk.mate.id
