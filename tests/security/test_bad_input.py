"""Input the database cannot store or compute with: a clear 400/404, never a 500.

Each case once ended in a 500 (found by fuzzing): a NUL character reached PostgreSQL, an id
past 32 bits overflowed the integer column, a year-9999 date overflowed the period arithmetic.
"""

from __future__ import annotations

import pytest
from flask import Blueprint
from sqlalchemy import func, select, text

from desk import create_app
from desk.core.access import AUTHENTICATED, access
from desk.extensions import db
from desk.reference.models import Domain
from desk.tickets.models import TicketEvent
from tests.conftest import Client
from tests.support.factories import make_ticket, make_user

NUL_FR = "caractère qui ne peut pas être enregistré"
NUL_EN = "character that cannot be saved"


def _events() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(TicketEvent))


def test_nul_in_a_comment_is_refused_in_the_users_language(app_ctx, login):
    user = make_user(locale="en")
    ticket = make_ticket(requester=user)
    before = _events()
    client = login(user)
    url = f"/mes-demandes/{ticket.reference}"
    response = client.submit(f"{url}/commentaire", {"body": "hello\x00world"}, page=url)
    assert response.status_code == 400
    assert NUL_EN in response.text
    assert _events() == before


def test_nul_in_an_admin_name_is_refused_and_nothing_saved(app_ctx, login):
    admin = login(make_user(role="admin"))
    response = admin.submit(
        "/admin/domains/new", {"code": "x", "name_fr": "Nom\x00", "name_en": "Name"}
    )
    assert response.status_code == 400
    assert NUL_FR in response.text
    assert db.session.scalar(select(func.count()).select_from(Domain)) == 0


def _multipart(csrf: str, *parts: tuple[bytes, bytes]) -> bytes:
    """A multipart body written by hand: (headers of the part, its content)."""
    body = b'--BB\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
    body += csrf.encode() + b"\r\n"
    for headers, content in parts:
        body += b"--BB\r\n" + headers + b"\r\n\r\n" + content + b"\r\n"
    return body + b"--BB--\r\n"


NAMELESS_PARTS = [
    b"Content-Disposition: garbage;;;",
    b"Content-Disposition: form-data",
    b'Content-Disposition: form-data; filename="note.txt"',
]


@pytest.mark.parametrize("nameless", NAMELESS_PARTS)
def test_a_multipart_part_without_a_name_is_a_400_page(app_ctx, login, nameless):
    """werkzeug keys such a part None; it once made every POST of every route a 500."""
    user = make_user(locale="en")
    ticket = make_ticket(requester=user)
    before = _events()
    client = login(user)
    url = f"/mes-demandes/{ticket.reference}"
    client.get(url)
    text = (b'Content-Disposition: form-data; name="body"', b"hello")
    body = _multipart(client.last_csrf, text, (nameless, b"x"))
    response = client.post(
        f"{url}/commentaire", data=body, content_type="multipart/form-data; boundary=BB"
    )
    assert response.status_code == 400
    assert "Bad request" in response.text
    assert _events() == before


def test_a_nameless_part_sent_to_the_login_form_is_a_400_page(app_ctx, client):
    client.get("/login")
    body = _multipart(client.last_csrf, (NAMELESS_PARTS[1], b"x"))
    response = client.post("/login", data=body, content_type="multipart/form-data; boundary=BB")
    assert response.status_code == 400
    assert "Requête incorrecte" in response.text


def test_the_login_fields_sent_as_files_are_a_refusal(app_ctx, client):
    """The e-mail check once ran on the file object: a 500 for anyone, signed in or not."""
    import io

    make_user("marie@umontpellier.fr")
    client.get("/login")
    data = {
        "csrf_token": client.last_csrf,
        "email": (io.BytesIO(b"marie@umontpellier.fr"), "email.txt"),
        "password": (io.BytesIO(b"password"), "password.txt"),
    }
    response = client.post("/login", data=data, content_type="multipart/form-data")
    assert response.status_code in (200, 400)
    assert "Adresse e-mail" in response.text  # the form again, not signed in
    assert client.get("/home").status_code == 302


@pytest.mark.parametrize(
    "body",
    [{"email": 5, "password": "x"}, {"email": "a@b.fr", "password": 5}],
    ids=["email", "password"],
)
def test_a_json_body_is_not_read_as_the_login_form(app_ctx, client, body):
    """Flask-WTF read it as the form (the CSRF token in its header): numbers reached the checks."""
    client.get("/login")
    response = client.post("/login", json=body, headers={"X-CSRFToken": client.last_csrf})
    assert response.status_code in (200, 400)
    assert "Adresse e-mail" in response.text


@pytest.mark.parametrize(
    "url",
    [
        "/catalogue?q=wifi%00",
        "/catalogue?q%00=wifi",
        "/mes-demandes/DEM-2026%00",
        "/queues/reseau?q=%00",
        "/sla/report?from=2026-01-01%00",
    ],
)
def test_nul_in_a_path_or_query_is_a_400_page(app_ctx, login, url):
    client = login(make_user(role="admin"))
    response = client.get(url)
    assert response.status_code == 400
    assert NUL_FR in response.text


def test_nul_in_an_uploaded_file_name(world, staff, login):
    import io

    ticket = make_ticket(requester=staff)
    url = f"/mes-demandes/{ticket.reference}"
    client = login(staff)
    client.get(url)
    response = client.post(
        f"{url}/commentaire",
        data={
            "csrf_token": client.last_csrf,
            "body": "voir pièce jointe",
            "attachment": (io.BytesIO(b"hello"), "note\x00.txt"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert NUL_FR in response.text


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/attachments/99999999999", 404),
        ("/attachments/2147483648", 404),
        ("/admin/domains/99999999999", 404),
        ("/admin/queues/1/members/99999999999999999999/remove", 405),  # GET: the rule matched
        # A page cursor out of range (base64 of [1e20] and [-1]) or not one: the first page.
        ("/notifications?after=WzEwMDAwMDAwMDAwMDAwMDAwMDAwMF0", 302),
        ("/notifications?after=Wy0xXQ", 302),
        ("/notifications?after=abc", 302),
        ("/api/places/buildings?site=999999999999", 400),
        ("/api/places/floors?building=-5", 400),
    ],
)
def test_integers_out_of_range_are_404_or_400(app_ctx, login, url, status):
    client = login(make_user(role="admin"))
    assert client.get(url).status_code == status


def test_a_huge_id_in_a_post_url_is_404(app_ctx, login):
    client = login(make_user(role="admin"))
    client.get("/admin/domains")
    response = client.post(
        "/admin/queues/1/members/99999999999999999999/remove", data={"csrf_token": client.last_csrf}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("bad", ["9999-12-31", "0001-01-01", "2026-02-30", "2026-13-01"])
def test_impossible_report_dates_are_a_field_message(app_ctx, login, bad):
    client = login(make_user(role="admin"))
    response = client.get(f"/sla/report?from=2026-01-01&to={bad}")
    assert response.status_code == 400
    assert f"« {bad} » n’est pas une date" in response.text or bad in response.text
    assert 'id="period-to-error"' in response.text


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/catalogue?q=%FF%FE", 200),
        ("/mes-demandes/%C3%28", 404),
        ("/catalogue/%ED%A0%80", 404),  # an encoded lone surrogate
        ("/admin/domains/%FF", 404),
    ],
)
def test_invalid_percent_encoded_utf8(app_ctx, login, url, status):
    client = login(make_user(role="admin"))
    assert client.get(url).status_code == status


def _probe_app(test_env):
    """desk plus one view that fails inside PostgreSQL and leaves the transaction aborted."""
    from config import TestingConfig

    application = create_app(TestingConfig())
    bp = Blueprint("probe", __name__)

    @bp.get("/probe/aborted")
    @access(AUTHENTICATED)
    def aborted():
        db.session.execute(text("SELECT 1 / 0"))
        return "unreachable"

    application.register_blueprint(bp)
    application.test_client_class = Client
    return application


def test_error_page_after_an_aborted_transaction_is_desks_own(app, test_env):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("an aborted transaction is PostgreSQL's (SQLite's 1 / 0 is NULL)")
    probe = _probe_app(test_env)
    with app.app_context():
        make_user("marie@umontpellier.fr", name="Marie Curie")
    client = probe.test_client()
    client.login("marie@umontpellier.fr")
    response = client.get("/probe/aborted")
    assert response.status_code == 500
    assert "Une erreur inattendue s’est produite" in response.text
    assert "Marie Curie" in response.text  # the full page, user menu (read after a rollback)
    assert "Internal Server Error" not in response.text
    assert "division" not in response.text.lower()
    # The connection went back to the pool clean: the next request works.
    assert client.get("/home").status_code == 200


def test_every_form_is_a_desk_form():
    """Flask-WTF's own FlaskForm reads a JSON body as the form's data and fails (a 500) on a
    list or a string; DeskForm reads only a browser's form. A button form (CSRF only) built
    with FlaskForm() made several POSTs a 500 (test_a_json_body_posted_to_a_button_form)."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "desk"
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "forms.py" or path.parent.name != "core"
        if "FlaskForm" in path.read_text(encoding="utf-8")
    ]
    assert offenders == [], "use desk.core.forms.DeskForm"


@pytest.mark.parametrize("body", [[1, 2, 3], "x"], ids=["list", "string"])
def test_a_json_body_posted_to_a_button_form_is_a_400(app_ctx, login, body):
    """Putting in copy, taking out of copy and following a disruption: once a 500 each (the
    CSRF token in its header is valid: the JSON body is simply not read as the form)."""
    from desk.status.models import Disruption

    user = make_user(locale="en")
    ticket = make_ticket(requester=user)
    disruption = Disruption(title_fr="Wi-Fi coupé")
    db.session.add(disruption)
    db.session.commit()
    client = login(user)
    url = f"/mes-demandes/{ticket.reference}"
    client.get(url)
    for target, status in (
        (f"/demandes/{ticket.reference}/en-copie", 400),  # no address: the form again
        (f"/demandes/{ticket.reference}/en-copie/{user.id}/retrait", 302),
        (f"/etat-des-services/{disruption.id}/suivre", 302),
    ):
        response = client.post(target, json=body, headers={"X-CSRFToken": client.last_csrf})
        assert response.status_code == status, f"{target}: {response.text[:300]}"
