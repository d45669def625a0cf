"""In a real browser, with a real worker and SMTP server: a technician files a request of
their own that goes to a queue they do not work, and follows it to the end as any requester
does — the confirmation, "Mes demandes", the e-mails' links, an answer when it waits on them —
while its queue's staff hear of it once each, and a colleague's internal note and its file
never reach them."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from desk.auth.models import Role
from desk.notifications.models import NewTicketMode
from desk.notifications.services import set_new_ticket_mode
from desk.tickets.models import Status
from tests.catalog.world import only_ticket
from tests.notifications.conftest import smtp
from tests.notifications.helpers import wait_for
from tests.support.factories import make_user
from tests.support.live_server import chromium, live_server, log_in, new_page
from tests.support.worker import WorkerProcess

__all__ = ["chromium", "live_server", "smtp"]
pytestmark = [pytest.mark.browser, pytest.mark.worker]


@pytest.fixture
def mail_worker(app, test_env, smtp, live_server, monkeypatch) -> Iterator[WorkerProcess]:
    """A worker sending to `smtp`, the e-mails' links pointing at the live server."""
    monkeypatch.setitem(app.config, "BASE_URL", live_server)
    env = {**test_env, "DESK_MAIL_HOST": "127.0.0.1", "DESK_MAIL_PORT": str(smtp.port)}
    process = WorkerProcess({**env, "DESK_BASE_URL": live_server}).start()
    yield process
    process.stop()


def _subjects(smtp, address: str) -> list[str]:
    return [" ".join(m["Subject"].split()) for m in smtp.to(address)]


def _ticket_link(message) -> str:
    text = message.get_body(("plain",)).get_content()
    (link,) = re.findall(r"https?://\S+/mes-demandes/[A-Z0-9-]+", text)
    return link


def test_a_technician_follows_their_own_request_to_the_end(
    live_server,
    chromium,
    world,
    smtp,
    mail_worker,
    db,
    tmp_path,
):
    from playwright.sync_api import expect

    visio = world.queues["visio"]
    tina = make_user(
        "tina@umontpellier.fr", role=Role.TECHNICIAN, queues=(world.queues["messagerie"],)
    )
    vic = make_user("vic@umontpellier.fr", role=Role.TECHNICIAN, queues=(visio,), name="Vic")
    digest = make_user("dig@umontpellier.fr", role=Role.TECHNICIAN, queues=(visio,))
    silent = make_user("none@umontpellier.fr", role=Role.TECHNICIAN, queues=(visio,))
    set_new_ticket_mode(digest, NewTicketMode.DIGEST, actor=digest)
    set_new_ticket_mode(silent, NewTicketMode.NONE, actor=silent)

    # Tina files a Zoom request: the video-conferencing queue, not hers.
    page = new_page(chromium)
    log_in(page, live_server, tina.email)
    page.goto(f"{live_server}/catalogue/licence-zoom")
    page.get_by_label("J’ai déjà créé mon compte Zoom avec cette adresse.").check()
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre demande est enregistrée")
    expect(page.locator("main")).to_contain_text("« File visio »")
    ticket = only_ticket()
    assert (ticket.requester_id, ticket.queue_id) == (tina.id, visio.id)
    page.get_by_role("link", name="Mes demandes").first.click()
    expect(page.locator(f"a[href='/mes-demandes/{ticket.reference}']").first).to_be_visible()

    # Her receipt, and the queue's members as each chose: Vic one e-mail, the digest reader
    # and the one who chose nothing none now; Tina nothing as staff.
    wait_for(lambda: len(smtp.messages) >= 2, what="the receipt and Vic's e-mail")
    (receipt,) = smtp.to(tina.email)
    assert len(smtp.to(vic.email)) == 1
    assert smtp.to(digest.email) == smtp.to(silent.email) == []
    page.goto(_ticket_link(receipt))
    expect(page.get_by_role("heading", level=1)).to_contain_text(ticket.subject)

    # Vic takes it, writes an internal note with a file, then asks Tina a question.
    staff = new_page(chromium)
    log_in(staff, live_server, vic.email)
    staff.goto(f"{live_server}/tickets/{ticket.reference}")
    staff.get_by_role("button", name="Prendre ce ticket").click()
    staff.locator("summary", has_text="Ajouter une note interne").click()
    note = staff.locator("form[action$='/note']")
    note.locator("textarea").first.fill("Compte en double chez Zoom, voir le contrat")
    secret = tmp_path / "contrat-interne.txt"
    secret.write_text("interne")
    note.locator("input[type=file]").set_input_files(secret)
    note.get_by_role("button", name="Ajouter la note").click()
    expect(staff.locator("main")).to_contain_text("contrat-interne.txt")
    staff.get_by_label("Nouveau statut").select_option(label="En attente du demandeur")
    staff.locator("summary", has_text="Ajouter un commentaire pour le demandeur").click()
    staff.locator("form[action$='/status'] textarea").fill("Quelle adresse utilisez-vous ?")
    staff.get_by_role("button", name="Changer le statut").click()
    expect(staff.locator("main")).to_contain_text("En attente du demandeur")

    wait_for(lambda: len(smtp.to(tina.email)) >= 2, what="the question to Tina")
    (_receipt, question) = smtp.to(tina.email)
    assert "Votre réponse est attendue" in " ".join(question["Subject"].split())
    page.goto(_ticket_link(question))
    main = page.locator("main")
    expect(main).to_contain_text("Quelle adresse utilisez-vous ?")
    for hidden in ("contrat-interne", "Compte en double"):
        assert hidden not in page.content()
    page.get_by_label("Votre message").fill("Mon adresse de l’université")
    page.get_by_role("button", name="Envoyer").last.click()
    expect(main).to_contain_text("Mon adresse de l’université")

    # Vic, who holds it, hears of her answer once; nobody else, and Tina nothing as staff.
    wait_for(lambda: len(smtp.to(vic.email)) >= 2, what="Vic told of the answer")
    db.session.expire_all()
    assert db.session.get(type(ticket), ticket.id).status is Status.IN_PROGRESS
    assert _subjects(smtp, vic.email)[1].startswith(
        f"[{ticket.reference}] Nouveau message du demandeur"
    )
    assert len(smtp.to(tina.email)) == 2
    assert smtp.to(digest.email) == smtp.to(silent.email) == []
    for message in smtp.to(tina.email):
        assert "contrat-interne" not in message.as_string()
    (attachment,) = [a for a in _attachments(db, ticket) if a.filename == secret.name]
    assert page.request.get(f"{live_server}/attachments/{attachment.id}").status == 404


def _attachments(db, ticket):
    from sqlalchemy import select

    from desk.tickets.models import Attachment

    db.session.expire_all()
    return db.session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).all()
