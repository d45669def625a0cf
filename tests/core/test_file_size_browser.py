"""In a real browser: a file over the upload limit is refused when it is chosen, next to its
field, before the form is sent. A file past the request's size used to get the server's
"too large" page instead of the form, and the message typed with it was lost."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.factories import make_ticket, make_user
from tests.support.live_server import chromium, live_server, log_in, new_page

__all__ = ["chromium", "live_server"]
pytestmark = pytest.mark.browser


@pytest.fixture
def one_mb(app):
    previous, app.config["MAX_UPLOAD_MB"] = app.config["MAX_UPLOAD_MB"], 1
    yield
    app.config["MAX_UPLOAD_MB"] = previous


def test_a_file_too_large_is_refused_when_chosen_and_the_message_stays(
    live_server, chromium, db, one_mb
):
    requester = make_user("claire@umontpellier.fr")
    ticket = make_ticket(requester=requester)
    page = new_page(chromium)
    log_in(page, live_server, requester.email)
    page.goto(f"{live_server}/mes-demandes/{ticket.reference}")
    page.fill("#body", "Voici la vidéo du problème.")
    field = page.locator("#attachment")
    assert field.get_attribute("data-max-bytes") == str(1024 * 1024)

    big = {"name": "video.pdf", "mimeType": "application/pdf", "buffer": b"%PDF" + b"0" * 2**21}
    field.set_input_files(files=[big])
    error = page.locator("#attachment-size-error")
    expect(error).to_have_text("Le fichier est trop volumineux (1 Mo au maximum).")
    assert error.get_attribute("role") == "alert"
    assert field.evaluate("input => input.files.length") == 0  # never sent
    assert "attachment-size-error" in field.get_attribute("aria-describedby")
    assert "attachment-hint" in field.get_attribute("aria-describedby")
    assert field.get_attribute("aria-invalid") == "true"
    assert page.input_value("#body") == "Voici la vidéo du problème."

    # A file within the limit takes the message away again.
    small = {"name": "capture.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
    field.set_input_files(files=[small])
    expect(error).to_have_count(0)
    assert field.get_attribute("aria-describedby") == "attachment-hint"
    assert field.get_attribute("aria-invalid") is None
    page.click("form[action$='/commentaire'] [type=submit]")
    expect(page.locator("ol.timeline")).to_contain_text("capture.pdf")
