"""Attachments: allow-list by extension AND content, size limit, contents stored in the
database with their row, and downloads only for those who may see the ticket."""

from __future__ import annotations

import io

import pytest
from sqlalchemy.exc import InvalidRequestError
from werkzeug.datastructures import FileStorage

from desk.auth.models import Role
from desk.extensions import db
from desk.tickets.attachments import (
    UploadError,
    add_attachment,
    check_content,
    check_upload,
    safe_filename,
)
from desk.tickets.models import Attachment, AttachmentContent, EventKind, TicketEvent
from tests.support.factories import make_ticket, make_user

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("rapport.pdf", PDF, "application/pdf"),
        ("écran.PNG", PNG, "image/png"),
        ("notes.txt", "Température : 21 °C".encode("cp1252"), "text/plain; charset=utf-8"),
        ("export.csv", b"\xef\xbb\xbfnom;prenom\n", "text/csv"),
    ],
)
def test_allowed_files(app_ctx, name, content, content_type):
    checked = check_content(name, content)
    assert checked.content_type == content_type and checked.size == len(content)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("virus.exe", b"MZ\x90\x00", "type de fichier"),
        ("facture.pdf", b"MZ\x90\x00 not a pdf", "ne correspond pas"),
        ("photo.jpg", PNG, "ne correspond pas"),
        ("notes.txt", b"\x00\x01binary\x00", "ne correspond pas"),
        ("sans-extension", PDF, "type de fichier"),
        ("vide.pdf", b"", "vide"),
    ],
)
def test_refused_files(app_ctx, name, content, message):
    from flask_babel import force_locale

    with app_ctx.test_request_context(), force_locale("fr"), pytest.raises(UploadError) as exc:
        check_content(name, content)
    with app_ctx.test_request_context(), force_locale("fr"):
        assert message in str(exc.value)


def test_size_limit(app_ctx):
    app_ctx.config["MAX_UPLOAD_MB"] = 1
    try:
        big = FileStorage(io.BytesIO(PDF + b"0" * (1024 * 1024)), "gros.pdf")
        with pytest.raises(UploadError):
            check_upload(big)
    finally:
        app_ctx.config["MAX_UPLOAD_MB"] = 10


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\rapport final.pdf", "rapport final.pdf"),
        ('a"b<c>.pdf', "abc.pdf"),
        ("bad\x00name\n.pdf", "badname.pdf"),
        ("", "fichier"),
        ("..", "fichier"),
        ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
    ],
)
def test_safe_filename(raw, safe):
    assert safe_filename(raw) == safe


def _stored(ticket, uploader, *, internal=False, name="rapport.pdf"):
    event = TicketEvent(
        ticket=ticket,
        actor=uploader,
        kind=EventKind.NOTE if internal else EventKind.COMMENT,
        is_internal=internal,
    )
    db.session.add(event)
    db.session.flush()
    attachment = add_attachment(
        ticket, event, uploader, check_content(name, PDF), internal=internal
    )
    db.session.commit()
    return attachment


def test_contents_are_stored_with_the_row_and_rolled_back_with_it(app_ctx):
    """Every web host reads the same database: no file on one host's disk, none orphaned."""
    ticket = make_ticket()
    attachment = _stored(ticket, ticket.requester)
    assert db.session.get(AttachmentContent, attachment.id).data == PDF
    assert len(attachment.sha256) == 64
    before = db.session.scalar(db.select(db.func.count()).select_from(AttachmentContent))
    event = TicketEvent(ticket=ticket, actor=ticket.requester, kind=EventKind.COMMENT)
    db.session.add(event)
    db.session.flush()
    add_attachment(ticket, event, ticket.requester, check_content("b.pdf", PDF))
    db.session.flush()
    db.session.rollback()
    after = db.session.scalar(db.select(db.func.count()).select_from(AttachmentContent))
    assert after == before


def test_lists_of_attachments_never_load_their_contents(app_ctx):
    ticket = make_ticket()
    _stored(ticket, ticket.requester)
    db.session.expire_all()
    (listed,) = db.session.scalars(db.select(Attachment)).all()
    with pytest.raises(InvalidRequestError, match=r"lazy='raise'"):
        _ = listed.content


def test_the_requester_downloads_with_safe_headers(app_ctx, login):
    ticket = make_ticket()
    attachment = _stored(ticket, ticket.requester, name="compte rendu é.pdf")
    response = login(ticket.requester).get(f"/attachments/{attachment.id}")
    assert response.status_code == 200
    assert response.data == PDF
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.mimetype == "application/pdf"


def test_others_get_404_and_internal_files_stay_internal(app_ctx, login):
    ticket = make_ticket()
    public = _stored(ticket, ticket.requester)
    technician = make_user(role=Role.TECHNICIAN, queues=(ticket.queue,))
    internal = _stored(ticket, technician, internal=True)
    stranger = login(make_user())
    assert stranger.get(f"/attachments/{public.id}").status_code == 404
    requester = login(ticket.requester)
    assert requester.get(f"/attachments/{internal.id}").status_code == 404
    tech = login(technician)
    assert tech.get(f"/attachments/{internal.id}").status_code == 200
    outsider_tech = login(make_user(role=Role.TECHNICIAN))
    assert outsider_tech.get(f"/attachments/{public.id}").status_code == 404
    assert requester.get("/attachments/999999").status_code == 404


def test_a_missing_content_is_a_404_not_a_500(app_ctx, login):
    ticket = make_ticket()
    attachment = _stored(ticket, ticket.requester)
    db.session.delete(db.session.get(AttachmentContent, attachment.id))
    db.session.commit()
    assert login(ticket.requester).get(f"/attachments/{attachment.id}").status_code == 404


def test_anonymous_users_are_sent_to_login(app_ctx, client):
    ticket = make_ticket()
    attachment = _stored(ticket, ticket.requester)
    response = client.get(f"/attachments/{attachment.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.get(Attachment, attachment.id)


def test_a_zip_bomb_named_as_an_office_document_is_refused(app_ctx):
    import io
    import zipfile

    import pytest

    from desk.tickets.attachments import UploadError, check_content

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (50 * 1024 * 1024))
    with pytest.raises(UploadError, match=r"\(\.docx\)"):
        check_content("rapport.docx", buffer.getvalue())
    honest = io.BytesIO()
    with zipfile.ZipFile(honest, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", "<w:document>Bonjour</w:document>" * 50)
    assert check_content("rapport.docx", honest.getvalue()).filename == "rapport.docx"


def test_an_internal_file_of_a_public_message_is_listed_to_whoever_may_download_it(app_ctx, login):
    """Inbound mail keeps the original message as an internal file of the requester's own
    (public) message: the pages list files by the download's rule, so the requester and
    someone in copy never see a name whose link answers 404; its staff see and fetch it."""
    from desk.tickets.attachments import CheckedUpload
    from desk.watchers.models import TicketWatcher

    ticket = make_ticket()
    created = db.session.scalar(db.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
    original = CheckedUpload("message-0123456789ab.eml", "message/rfc822", b"From: a@b.c\r\n")
    internal = add_attachment(ticket, created, ticket.requester, original, internal=True)
    public = add_attachment(ticket, created, ticket.requester, check_content("devis.pdf", PDF))
    watcher = make_user()
    db.session.add(TicketWatcher(ticket_id=ticket.id, user_id=watcher.id))
    db.session.commit()
    for user in (ticket.requester, watcher):
        client = login(user)
        page = client.get(f"/mes-demandes/{ticket.reference}").text
        assert "devis.pdf" in page and f"/attachments/{public.id}" in page
        assert "message-0123456789ab.eml" not in page
        assert f"/attachments/{internal.id}" not in page
        assert client.get(f"/attachments/{internal.id}").status_code == 404
    technician = login(make_user(role=Role.TECHNICIAN, queues=(ticket.queue,)))
    staff_page = technician.get(f"/tickets/{ticket.reference}").text
    assert "message-0123456789ab.eml" in staff_page and "devis.pdf" in staff_page
    assert technician.get(f"/attachments/{internal.id}").status_code == 200


def test_a_text_file_of_html_is_served_sandboxed_never_as_a_page(app_ctx, login):
    """The download's own policy reaches the browser (the pages' policy, written after the
    view, replaced it), with one charset and as an attachment."""
    ticket = make_ticket()
    event = db.session.scalar(db.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
    page = b"<html><body><script>alert(document.cookie)</script></body></html>"
    attachment = add_attachment(
        ticket, event, ticket.requester, check_content("<svg onload=x>.txt", page)
    )
    db.session.commit()
    response = login(ticket.requester).get(f"/attachments/{attachment.id}")
    assert response.status_code == 200 and response.data == page
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="svg onload=x.txt"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = [p.strip() for p in response.headers["Content-Security-Policy"].split(";")]
    assert "default-src 'none'" in policy and "sandbox" in policy
    assert "script-src 'self'" not in policy


@pytest.mark.parametrize(
    ("name", "text", "encoding", "content_type"),
    [
        # Notepad's "ANSI" on a French Windows PC: "é" is the single byte 0xE9.
        ("note.txt", "Réseau coupé à l’accueil", "cp1252", "text/plain; charset=windows-1252"),
        ("note.txt", "Réseau coupé à l’accueil", "utf-8", "text/plain; charset=utf-8"),
        ("note.txt", "Réseau coupé", "utf-8-sig", "text/plain; charset=utf-8"),
        ("export.txt", "Réseau coupé", "utf-16", "text/plain; charset=utf-16"),
        ("invités.csv", "nom;prénom\nDupré;Zoé\n", "cp1252", "text/csv; charset=windows-1252"),
        ("journal.log", "plain ASCII\n", "cp1252", "text/plain; charset=utf-8"),
    ],
)
def test_a_text_file_is_served_with_the_charset_of_its_bytes(
    app_ctx, login, name, text, encoding, content_type
):
    """A Windows-1252 file served as utf-8 showed "R�seau coup�"; the charset is read from the
    bytes at download, so files stored before this are served right too, and the download
    keeps its security headers."""
    content = text.encode(encoding)
    ticket = make_ticket()
    event = db.session.scalar(db.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
    attachment = add_attachment(ticket, event, ticket.requester, check_content(name, content))
    db.session.commit()
    response = login(ticket.requester).get(f"/attachments/{attachment.id}")
    assert response.status_code == 200 and response.data == content
    assert response.headers["Content-Type"] == content_type
    assert response.data.decode(response.mimetype_params["charset"]).lstrip("\ufeff") == text
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = [p.strip() for p in response.headers["Content-Security-Policy"].split(";")]
    assert "default-src 'none'" in policy and "sandbox" in policy
