"""The catch-all form ("Autre demande informatique", "Autre demande RH"): a subject and a
description in the requester's words, checked next to each field; and the catalogue's empty
search, which offers it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from desk.auth.models import Role, User
from desk.catalog.models import RequestType, TicketKind
from desk.extensions import db
from desk.notifications.models import Channel, Notification, NotificationEvent
from desk.reference.models import Category, Queue
from desk.sla.models import SlaPolicy
from desk.tickets.models import Ticket
from tests.catalog.world import assert_nothing_saved, counts, field_errors, only_ticket
from tests.support.factories import make_user

IT_URL = "/catalogue/autre-demande-informatique"
HR_URL = "/catalogue/autre-demande-rh"
VALID = {
    "summary": "  L’imprimante du bureau 204 n’imprime plus  ",
    "description": "Elle affiche « erreur 49 » depuis ce matin.\nJ’ai essayé de la redémarrer.",
}


@pytest.fixture
def catch_alls(world):
    """The two demo catch-alls: IT (the front desk's queue) and HR."""
    desk_cat = Category(
        domain=world.it,
        code="service-desk",
        name_fr="Centre de services",
        name_en="Service centre",
        position=9,
    )
    support = Queue(domain=world.it, code="support", name_fr="File support", name_en="Support")
    it = RequestType(
        slug="autre-demande-informatique",
        title_fr="Autre demande informatique",
        title_en="Other IT request",
        description_fr="Aucun formulaire ne correspond ? Décrivez votre besoin.",
        description_en="No form fits? Describe your need.",
        domain=world.it,
        category=desk_cat,
        default_queue=support,
        form_key="general_request",
        kind=TicketKind.REQUEST,
        position=80,
    )
    hr = RequestType(
        slug="autre-demande-rh",
        title_fr="Autre demande RH",
        title_en="Other HR request",
        domain=world.hr,
        category=world.cats["directory"],
        default_queue=world.queues["rh-admin"],
        form_key="general_request",
        kind=TicketKind.REQUEST,
        position=80,
    )
    db.session.add_all([desk_cat, support, it, hr])
    db.session.commit()
    return {"it": it, "hr": hr}


# --- submitting ---------------------------------------------------------------------------


def test_the_request_is_filed_with_its_subject_and_acknowledged(catch_alls, staff, login):
    client = login(staff)
    page = client.get(IT_URL).text
    assert 'name="summary"' in page and 'name="description"' in page and 'name="attachment"' in page
    assert 'maxlength="150"' in page
    response = client.submit(IT_URL, VALID)
    assert response.status_code == 302

    ticket = only_ticket()
    # The subject is what the requester typed (trimmed), not the entry's title.
    assert ticket.subject == "L’imprimante du bureau 204 n’imprime plus"
    assert ticket.data == {
        "summary": "L’imprimante du bureau 204 n’imprime plus",
        "description": VALID["description"],
    }
    assert ticket.requester_id == staff.id
    assert ticket.request_type.slug == "autre-demande-informatique"
    assert (ticket.domain.code, ticket.queue.code) == ("it", "support")
    assert ticket.reference.startswith("DEM-")

    ack = db.session.scalars(
        select(Notification).where(
            Notification.channel == Channel.EMAIL,
            Notification.event == NotificationEvent.SUBMITTED,
        )
    ).one()
    assert ack.recipient_id == staff.id
    assert ack.payload["ticket"]["subject"] == ticket.subject

    # The requester's page shows the subject, then the description with its line breaks.
    detail = client.get(f"/mes-demandes/{ticket.reference}").text
    assert detail.index("Objet") < detail.index("erreur 49")
    assert '<div class="multiline">Elle affiche « erreur 49 »' in detail


def test_the_hr_catch_all_goes_to_hr_with_a_file(catch_alls, staff, login):
    data = {**VALID, "attachment": (io.BytesIO(b"Bulletin de mai\n"), "bulletin.txt")}
    response = login(staff).submit(HR_URL, data, content_type="multipart/form-data")
    assert response.status_code == 302
    ticket = only_ticket()
    assert (ticket.domain.code, ticket.queue.code) == ("hr", "rh-admin")
    assert counts() == (1, 1, 1, 1)  # the ticket, its creation, the file and its content
    assert ticket.events[0].attachments[0].filename == "bulletin.txt"


def test_spaces_and_control_characters_are_cleaned(catch_alls, staff, login):
    data = {
        "summary": "Poste\t bloqué\r\n au démarrage\x1b[0m",
        "description": "  Écran noir\x07 après le logo.\r\nDepuis lundi.  ",
    }
    assert login(staff).submit(IT_URL, data).status_code == 302
    ticket = only_ticket()
    assert ticket.subject == "Poste bloqué au démarrage[0m"
    assert ticket.data["description"] == "Écran noir après le logo.\nDepuis lundi."


def test_students_may_use_it(catch_alls, login):
    student = make_user(is_staff=False)
    assert login(student).submit(IT_URL, VALID).status_code == 302
    assert only_ticket().requester_id == student.id


def test_anonymous_visitors_are_sent_to_login(catch_alls, client):
    client.get("/login")  # a valid CSRF token of the anonymous session
    for response in (
        client.get(IT_URL),
        client.post(IT_URL, data={**VALID, "csrf_token": client.last_csrf}),
        client.get("/catalogue?q=imprimante"),
    ):
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert_nothing_saved()


# --- refusing, next to the field, saving nothing --------------------------------------------


def _refused(client, field, message, data, **kwargs):
    response = client.submit(IT_URL, data, **kwargs)
    assert response.status_code == 400
    errors = field_errors(response.text, field)
    assert any(message in e for e in errors), (field, errors)
    assert_nothing_saved()
    return response


@pytest.mark.parametrize(
    ("field", "overrides", "message"),
    [
        ("summary", {"summary": ""}, "Give your request a short subject."),
        ("summary", {"summary": " \t \r\n "}, "Give your request a short subject."),
        ("summary", {"summary": "x" * 151}, "At most 150 characters."),
        ("description", {"description": ""}, "Describe your request."),
        ("description", {"description": "  En panne  "}, "Between 10 and 4,000 characters."),
        ("description", {"description": "y" * 4001}, "Between 10 and 4,000 characters."),
    ],
)
def test_invalid_fields_in_english(catch_alls, login, field, overrides, message):
    client = login(make_user(locale="en"))
    response = _refused(client, field, message, {**VALID, **overrides})
    # What was typed comes back, to be corrected rather than retyped.
    kept = {**VALID, **overrides}["description"].strip()
    if kept:
        assert kept[:40] in response.text


@pytest.mark.parametrize(
    ("field", "overrides", "message"),
    [
        ("summary", {"summary": "x" * 151}, "150 caractères au plus."),
        ("description", {"description": "trop court"[:9]}, "Entre 10 et 4\u202f000 caractères."),
    ],
)
def test_invalid_fields_in_french(catch_alls, staff, login, field, overrides, message):
    _refused(login(staff), field, message, {**VALID, **overrides})


def test_the_limits_are_characters_not_bytes(catch_alls, staff, login):
    data = {"summary": "é" * 150, "description": "€" * 4000}
    assert login(staff).submit(IT_URL, data).status_code == 302
    assert only_ticket().subject == "é" * 150


def _multipart(fields: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = "desk-general-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value
        + b"\r\n"
        for name, value in fields.items()
    ]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


@pytest.mark.parametrize("field", ["summary", "description"])
def test_text_that_is_not_utf8_is_refused_next_to_its_field(catch_alls, staff, login, field):
    client = login(staff)
    client.get(IT_URL)
    fields = {name: value.encode() for name, value in VALID.items()}
    fields[field] = b"Imprimante cass\xe9e, \xfe\xff depuis lundi"  # Latin-1, not UTF-8
    body, boundary = _multipart({"csrf_token": client.last_csrf.encode(), **fields})
    response = client.post(
        IT_URL, data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 400
    errors = field_errors(response.text, field)
    assert any("ne sont pas de l’UTF-8 valide" in e for e in errors), errors
    assert_nothing_saved()


def test_nul_characters_are_refused_and_nothing_is_saved(catch_alls, staff, login):
    client = login(staff)
    # NUL cannot be stored: desk.core.input refuses it for every route, before the form
    # is read, with a sentence in the user's language.
    for data in ({**VALID, "summary": "Bon\x00jour"}, {**VALID, "description": "a\x00" * 10}):
        response = client.submit(IT_URL, data)
        assert response.status_code == 400
        assert "ne peut pas être enregistré" in response.text
    assert_nothing_saved()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00 binary", "outil.exe", "Ce type de fichier n’est pas accepté"),
        (b"", "vide.txt", "Le fichier est vide."),
        (b"not a pdf", "faux.pdf", "ne correspond pas à son extension"),
    ],
)
def test_a_refused_file_is_said_next_to_the_attachment(
    catch_alls, staff, login, content, name, message
):
    data = {**VALID, "attachment": (io.BytesIO(content), name)}
    _refused(login(staff), "attachment", message, data, content_type="multipart/form-data")


def test_an_oversized_file_is_refused_next_to_the_attachment(catch_alls, app, staff, login):
    app.config["MAX_UPLOAD_MB"] = 1  # the request limit stays at 11 MB: the form answers
    try:
        big = b"%PDF-1.4\n" + b"0" * (1024 * 1024)
        data = {**VALID, "attachment": (io.BytesIO(big), "scan.pdf")}
        _refused(
            login(staff),
            "attachment",
            "Le fichier est trop volumineux (1 Mo au maximum).",
            data,
            content_type="multipart/form-data",
        )
    finally:
        app.config["MAX_UPLOAD_MB"] = 10


def test_a_request_past_the_size_limit_is_refused_cleanly(catch_alls, staff, login):
    huge = {**VALID, "description": "x" * 12 * 1024 * 1024}
    response = login(staff).submit(IT_URL, huge)
    assert response.status_code == 413
    assert "Raccourcissez le texte" in response.text
    assert_nothing_saved()


# --- the catalogue's empty search offers it -------------------------------------------------


def _empty_block(page: str) -> str:
    return page.split("data-catalogue-empty")[1].split("</div>")[0]


def test_an_empty_search_offers_the_it_catch_all_and_the_help(catch_alls, staff, login):
    page = login(staff).get("/catalogue?q=xylophone").text
    block = _empty_block(page)
    assert "Aucune entrée ne correspond à votre recherche." in block
    assert f'href="{IT_URL}"' in block and ">Autre demande informatique</a>" in block
    assert 'href="/aide?q=xylophone"' in block
    assert "hidden" not in page.split("data-catalogue-empty")[1].split(">")[0]
    # The screen-reader announcement of the live filter names it too.
    status = page.split("data-catalogue-status")[1].split("data-one")[0]
    assert "Autre demande informatique" in status


def test_a_search_that_finds_entries_keeps_the_offer_hidden(catch_alls, staff, login):
    page = login(staff).get("/catalogue?q=zoom").text
    # Present for the live filter, hidden until nothing matches.
    assert "data-catalogue-empty hidden" in page
    assert f'href="{IT_URL}"' in _empty_block(page)


def test_the_catch_all_is_found_by_its_form_not_its_slug(catch_alls, staff, login):
    catch_alls["it"].slug = "besoin-informatique"
    catch_alls["it"].title_fr = "Un autre besoin informatique"
    db.session.commit()
    block = _empty_block(login(staff).get("/catalogue?q=xylophone").text)
    assert 'href="/catalogue/besoin-informatique"' in block
    assert "Un autre besoin informatique" in block


def test_without_an_it_catch_all_the_next_one_is_offered(catch_alls, staff, login):
    catch_alls["it"].is_active = False
    db.session.commit()
    block = _empty_block(login(staff).get("/catalogue?q=xylophone").text)
    assert f'href="{HR_URL}"' in block and IT_URL not in block


def test_a_staff_only_catch_all_is_not_offered_to_students(catch_alls, login):
    catch_alls["it"].is_staff_only = True
    db.session.commit()
    student = make_user(is_staff=False)
    block = _empty_block(login(student).get("/catalogue?q=xylophone").text)
    assert f'href="{HR_URL}"' in block and IT_URL not in block


def test_without_any_catch_all_the_message_stands_alone(world, staff, login):
    page = login(staff).get("/catalogue?q=xylophone").text
    block = _empty_block(page)
    assert "Aucune entrée ne correspond" in block and "/catalogue/" not in block
    assert 'href="/aide?q=xylophone"' in block


def test_staff_filing_for_someone_get_the_catch_all_for_that_person(catch_alls, staff, login):
    tech = make_user(role=Role.TECHNICIAN, queues=(catch_alls["it"].default_queue,))
    page = login(tech).get(f"/catalogue?q=xylophone&pour={staff.id}").text
    block = _empty_block(page)
    assert f'href="{IT_URL}?pour={staff.id}"' in block
    assert "/aide" not in block  # no article suggestions when filing for someone


def test_the_offer_is_in_english_for_english_readers(catch_alls, login):
    page = login(make_user(locale="en")).get("/catalogue?q=xylophone").text
    block = _empty_block(page)
    assert "No entry matches your search." in block
    assert ">Other IT request</a>" in block and "Search the help articles" in block


def test_the_catch_all_is_listed_in_the_catalogue(catch_alls, staff, login):
    page = login(staff).get("/catalogue").text
    assert page.index("Titre licence-zoom") < page.index("<h4>Autre demande informatique")
    assert db.session.scalar(
        select(RequestType).filter_by(form_key="general_request", slug="autre-demande-rh")
    )


# --- the demo file's catch-alls -------------------------------------------------------------


def test_the_demo_catch_alls_route_to_the_front_desk_and_to_hr(app, app_ctx, login):
    demo = Path(__file__).resolve().parents[2] / "desk/reference/data/demo.yaml"
    result = app.test_cli_runner().invoke(args=["desk", "load-reference", str(demo)])
    assert result.exit_code == 0, result.output
    claire = db.session.scalar(select(User).filter_by(email="claire.martin@umontpellier.fr"))
    client = login(claire, "demo-requester")
    block = _empty_block(client.get("/catalogue?q=xylophone").text)
    assert f'href="{IT_URL}">Autre demande informatique</a>' in block

    for url in (IT_URL, HR_URL):
        assert client.submit(url, VALID).status_code == 302
    db.session.expire_all()
    tickets = db.session.scalars(select(Ticket).order_by(Ticket.id)).all()
    assert [(t.domain.code, t.queue.code) for t in tickets] == [
        ("it", "support"),
        ("hr", "rh-admin"),
    ]
    assert all(t.subject == VALID["summary"].strip() for t in tickets)
    # Their SLA, like a request by e-mail: answered within a working day, done within five.
    policies = {p.request_type.slug: p for p in db.session.scalars(select(SlaPolicy))}
    for slug in ("autre-demande-informatique", "autre-demande-rh"):
        assert policies[slug].first_response_minutes == 540
        assert policies[slug].resolution_minutes == 5 * 540
    assert all(t.resolution_due_at is not None for t in tickets)


def test_the_subject_is_searched_for_articles_with_the_description(app):
    # Without JavaScript, the "check these first" step searches what was typed: the subject
    # ("l'imprimante n'imprime plus") says the most.
    from werkzeug.datastructures import MultiDict

    from desk.catalog.forms.general import GeneralRequestForm
    from desk.kb.deflection import typed_text

    with app.test_request_context():
        form = GeneralRequestForm(formdata=MultiDict(VALID), meta={"csrf": False})
        assert form.validate()
        assert typed_text(form) == f"{VALID['summary'].strip()} {VALID['description']}"
