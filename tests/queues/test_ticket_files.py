"""Files on technicians' replies and internal notes: same checks as requesters' files, and a
note's file never reaches the requester (page, list, download URL, e-mail, search)."""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import select

from desk.extensions import db
from desk.notifications.models import Notification
from desk.tickets.models import Attachment, AttachmentContent, EventKind, TicketEvent

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


def _stored_files(app) -> int:
    """Attachment contents kept in the database (a rollback must leave none)."""
    db.session.expire_all()
    return db.session.scalar(select(db.func.count()).select_from(AttachmentContent))


def _send(client, ticket, action, body, name=None, content=PDF):
    page = client.get(f"/tickets/{ticket.reference}").text
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    data = {"csrf_token": client.last_csrf, "version": version, "body": body}
    if name is not None:
        data["attachment"] = (io.BytesIO(content), name)
    return client.post(
        f"/tickets/{ticket.reference}/{action}", data=data, content_type="multipart/form-data"
    )


def _attachment(name: str) -> Attachment:
    db.session.expire_all()
    return db.session.scalar(select(Attachment).where(Attachment.filename == name))


def test_a_reply_with_a_file_reaches_the_requester(desk, login):
    tech = login(desk.tech)
    response = _send(tech, desk.ticket, "reply", "Voici la procédure.", "procedure-wifi.pdf")
    assert response.status_code == 302
    attachment = _attachment("procedure-wifi.pdf")
    assert attachment is not None and attachment.is_internal is False
    assert attachment.uploader_id == desk.tech.id
    event = db.session.get(TicketEvent, attachment.event_id)
    assert event.kind is EventKind.REPLY
    assert "procedure-wifi.pdf" in tech.get(f"/tickets/{desk.ticket.reference}").text

    requester = login(desk.requester)
    page = requester.get(f"/mes-demandes/{desk.ticket.reference}").text
    assert "procedure-wifi.pdf" in page
    download = requester.get(f"/attachments/{attachment.id}")
    assert download.status_code == 200 and download.data == PDF


def test_a_file_alone_is_a_reply(desk, login):
    response = _send(login(desk.tech), desk.ticket, "reply", "", "capture.pdf")
    assert response.status_code == 302
    assert _attachment("capture.pdf") is not None


def test_a_notes_file_never_reaches_the_requester(desk, login, app):
    tech = login(desk.tech)
    response = _send(tech, desk.ticket, "note", "Facture du fournisseur.", "facture-secrete.pdf")
    assert response.status_code == 302
    attachment = _attachment("facture-secrete.pdf")
    assert attachment.is_internal is True
    # Staff of the queue see and download it.
    assert "facture-secrete.pdf" in tech.get(f"/tickets/{desk.ticket.reference}").text
    assert tech.get(f"/attachments/{attachment.id}").status_code == 200
    # A later public reply: the requester's e-mail must not carry the note or its file.
    assert _send(tech, desk.ticket, "reply", "C'est en cours.").status_code == 302

    requester = login(desk.requester)
    for url in (
        f"/mes-demandes/{desk.ticket.reference}",
        "/mes-demandes?show=all",
        "/mes-demandes/recherche?q=facture",
        "/notifications",
    ):
        response = requester.get(url)
        assert "facture-secrete" not in response.text, url
    assert requester.get(f"/attachments/{attachment.id}").status_code == 404
    # A technician of another queue neither.
    assert login(desk.mail_tech).get(f"/attachments/{attachment.id}").status_code == 404
    # No notification to the requester mentions it (their e-mails are rendered from these).
    db.session.expire_all()
    rows = db.session.scalars(
        select(Notification).where(Notification.recipient_id == desk.requester.id)
    ).all()
    assert rows, "the public reply is notified"
    for row in rows:
        payload = json.dumps(
            {c.name: str(getattr(row, c.key, "")) for c in Notification.__table__.columns}
        )
        assert "facture" not in payload.lower()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("outil.exe", b"MZ\x90\x00", "Ce type de fichier n’est pas accepté"),
        ("rapport.pdf", b"MZ\x90\x00 not a pdf", "ne correspond pas à son extension"),
        ("vide.pdf", b"", "Le fichier est vide"),
    ],
)
@pytest.mark.parametrize("action", ["reply", "note"])
def test_refused_files_save_nothing(desk, login, app, action, name, content, message):
    client = login(desk.tech)
    before = db.session.scalar(select(db.func.count()).select_from(TicketEvent))
    response = _send(client, desk.ticket, action, "Avec un fichier.", name, content)
    assert response.status_code == 400
    field_id = "reply-file" if action == "reply" else "note-file"
    errors = response.text.split(f'id="{field_id}-error"', 1)[1].split("</ul>", 1)[0]
    assert message in errors
    assert f'aria-describedby="{field_id}-hint {field_id}-error"' in response.text
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count()).select_from(TicketEvent)) == before
    assert db.session.scalar(select(db.func.count()).select_from(Attachment)) == 0
    assert _stored_files(app) == 0


def test_a_file_over_the_limit_is_refused(desk, login, app):
    app.config["MAX_UPLOAD_MB"], previous = 1, app.config["MAX_UPLOAD_MB"]
    try:
        big = PDF + b"0" * (1024 * 1024)
        response = _send(login(desk.tech), desk.ticket, "reply", "Gros fichier", "gros.pdf", big)
    finally:
        app.config["MAX_UPLOAD_MB"] = previous
    assert response.status_code == 400
    assert "Le fichier est trop volumineux" in response.text
    assert _stored_files(app) == 0


def test_a_conflict_keeps_no_file(desk, login, app):
    client = login(desk.tech)
    page = client.get(f"/tickets/{desk.ticket.reference}").text
    assert _send(login(desk.mate), desk.ticket, "note", "Je regarde.").status_code == 302
    data = {
        "csrf_token": client.last_csrf,
        "version": re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1),
        "body": "Réponse",
        "attachment": (io.BytesIO(PDF), "tardif.pdf"),
    }
    response = client.post(
        f"/tickets/{desk.ticket.reference}/reply", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 409
    assert _attachment("tardif.pdf") is None
    assert _stored_files(app) == 0


@pytest.mark.parametrize("refusal", ["conflict", "other field"])
def test_a_refused_reply_says_its_file_was_not_sent(desk, login, refusal):
    """The words come back in the form, the file cannot (a browser never fills a file field
    again): the page says so next to the field, or the reply sent again would announce a file
    the requester never gets."""
    from desk.auth.models import Role
    from tests.support.factories import make_user

    tech = make_user(role=Role.TECHNICIAN, queues=(desk.network,), locale="en")
    client = login(tech)
    page = client.get(f"/tickets/{desk.ticket.reference}").text
    if refusal == "conflict":
        assert _send(login(desk.mate), desk.ticket, "note", "Je regarde.").status_code == 302
    data = {
        "csrf_token": client.last_csrf,
        "version": re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1),
        "body": "Voici la procédure." if refusal == "conflict" else "x" * 10_001,
        "attachment": (io.BytesIO(PDF), "procedure.pdf"),
    }
    response = client.post(
        f"/tickets/{desk.ticket.reference}/reply", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == (409 if refusal == "conflict" else 400)
    errors = response.text.split('id="reply-file-error"', 1)[1].split("</ul>", 1)[0]
    assert "Your file “procedure.pdf” was not sent: attach it again." in errors
    assert _attachment("procedure.pdf") is None


def test_a_refused_file_is_not_also_said_unsent(desk, login):
    """A file refused for itself keeps its one reason."""
    from desk.auth.models import Role
    from tests.support.factories import make_user

    client = login(make_user(role=Role.TECHNICIAN, queues=(desk.network,), locale="en"))
    response = _send(client, desk.ticket, "note", "Le journal.", "outil.exe", b"MZ\x90\x00")
    assert response.status_code == 400
    assert "This type of file is not accepted" in response.text
    assert "was not sent: attach it again" not in response.text


def test_a_reply_with_a_file_sent_twice_is_not_said_unsent(desk, login):
    """A double click without JavaScript: the second sending is a conflict with the first,
    which took the file; the page must not ask for it again (it would go out twice)."""
    from desk.auth.models import Role
    from tests.support.factories import make_user

    client = login(make_user(role=Role.TECHNICIAN, queues=(desk.network,), locale="en"))
    page = client.get(f"/tickets/{desk.ticket.reference}").text
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    statuses = []
    for _ in range(2):
        data = {
            "csrf_token": client.last_csrf,
            "version": version,
            "body": "Voici la procédure.",
            "attachment": (io.BytesIO(PDF), "procedure.pdf"),
        }
        response = client.post(
            f"/tickets/{desk.ticket.reference}/reply",
            data=data,
            content_type="multipart/form-data",
        )
        statuses.append(response.status_code)
    assert statuses == [302, 409]
    assert "was not sent: attach it again" not in response.text
    assert _attachment("procedure.pdf") is not None
