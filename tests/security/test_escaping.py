"""Messages that quote what a user typed are text, never markup: escaped in every page.

The bug class: flask-babel's lazy strings declare themselves safe HTML, so a parser message
such as "Line 2: not an e-mail address (<script>…)" reached the page unescaped and ran.
"""

from __future__ import annotations

import ast
import datetime as dt
import io
from pathlib import Path

from flask import render_template_string
from markupsafe import escape

from desk.core.i18n import lazy_gettext, lazy_ngettext, lazy_text
from desk.extensions import db
from desk.reference.models import Site
from tests.catalog.world import field_errors
from tests.support.factories import make_user
from tests.support.live_server import log_in, new_page

ROOT = Path(__file__).resolve().parents[2]
PAYLOAD = "<script>window.deskXss=1</script>\"'"
ESCAPED = str(escape(PAYLOAD))
LAZY_NAMES = {"lazy_gettext", "lazy_ngettext", "lazy_pgettext", "lazy_npgettext", "LazyString"}


def test_no_module_takes_its_lazy_strings_from_flask_babel():
    """Only desk.core.i18n may: flask-babel's LazyString is markup-safe, desk's is text."""
    offenders = []
    for path in sorted((ROOT / "desk").rglob("*.py")):
        if path == ROOT / "desk/core/i18n.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("flask_babel"):
                bad = {alias.name for alias in node.names} & LAZY_NAMES
                if bad:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {sorted(bad)}")
            elif (
                isinstance(node, ast.Attribute)
                and node.attr in LAZY_NAMES
                and isinstance(node.value, ast.Name)
                and node.value.id == "flask_babel"
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.attr}")
    assert offenders == [], "import lazy_gettext as _l from desk.core.i18n instead"


def test_no_template_marks_text_safe():
    """`|safe` or `Markup(...)` on text would bring the bug back by another door."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "templates").rglob("*")
        if path.is_file() and ("|safe" in path.read_text() or "| safe" in path.read_text())
    ]
    # Markup built in Python from anything but a string literal must say, on its line, why
    # it is safe (ruff's S704 rule): e.g. the knowledge base's Markdown, sanitized by nh3 just
    # before. A literal (`Markup('<span lang="%s">')`) is our own markup; the values `%` puts
    # in it are escaped.
    for path in (ROOT / "desk").rglob("*.py"):
        if path.name == "i18n.py":
            continue
        lines = path.read_text().splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not (isinstance(node, ast.Call) and _called_name(node.func) == "Markup"):
                continue
            literal = node.args and isinstance(node.args[0], ast.Constant)
            if not literal and "noqa: S704" not in lines[node.lineno - 1]:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def test_lazy_messages_are_escaped_with_their_values(app_ctx):
    messages = [
        lazy_gettext("Line %(line)d: %(reason)s (%(value)s)", line=2, reason="x", value=PAYLOAD),
        lazy_ngettext("%(num)d guest: %(name)s", "%(num)d guests: %(name)s", 2, name=PAYLOAD),
        lazy_text(lambda: PAYLOAD),
    ]
    with app_ctx.test_request_context():
        for message in messages:
            rendered = render_template_string("{{ m }}", m=message)
            assert "<script>" not in rendered
            assert ESCAPED in rendered
            assert PAYLOAD in str(message)  # the text itself is intact


def test_flashed_lazy_message_is_escaped_once(app, app_ctx):
    """A flashed message goes through the session's JSON (as Markup) and comes back once."""
    with app.test_request_context():
        from flask import flash, session

        flash(lazy_gettext("Saved: %(name)s", name=PAYLOAD))
        serialized = app.session_interface.get_signing_serializer(app).dumps(dict(session))
        restored = app.session_interface.get_signing_serializer(app).loads(serialized)
        session.clear()
        session.update(restored)
        from flask import g

        g.pop("_flashes", None)
        rendered = render_template_string(
            "{% for m in get_flashed_messages() %}{{ m }}{% endfor %}"
        )
        assert rendered == f"Saved: {ESCAPED}"


def _mailing_list(recipients: str) -> dict:
    return {
        "list_name": "labo-chimie.seminaires",
        "purpose": "Annonces",
        "recipients": recipients,
        "owners": "claire.martin@umontpellier.fr",
        "other_info": "",
    }


def test_mailing_list_recipient_is_escaped(world, staff, login):
    response = login(staff).submit("/catalogue/liste-diffusion", _mailing_list(PAYLOAD))
    assert response.status_code == 400
    assert "<script>window.deskXss" not in response.text
    assert ESCAPED[:40] in response.text
    assert any("<script>window.deskXss" in e for e in field_errors(response.text, "recipients"))


def test_wifi_guest_csv_row_is_escaped(world, staff, login):
    first = dt.date.today() + dt.timedelta(days=1)
    data = {
        "event_name": "Colloque",
        "site": str(world.triolet[0].id),
        "building": str(world.triolet[1].id),
        "first_day": first.isoformat(),
        "last_day": first.isoformat(),
        "guest_count": "",
        "guest_file": (io.BytesIO(f"Dupont;Marie;{PAYLOAD}\n".encode()), "invites.csv"),
    }
    response = login(staff).submit(
        "/catalogue/comptes-wifi", data, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "<script>window.deskxss" not in response.text.lower()
    errors = field_errors(response.text, "guest_file")  # e-mails are echoed lower-cased
    assert any("<script>window.deskxss" in e for e in errors), errors


def test_places_import_line_is_escaped(app_ctx, login):
    admin = login(make_user(role="admin"))
    db.session.add(Site(code="x", name=PAYLOAD[:60], is_active=False))
    db.session.commit()
    admin.get("/admin/places/import")
    response = admin.post(
        "/admin/places/import",
        data={
            "csrf_token": admin.last_csrf,
            "file": (io.BytesIO(f"{PAYLOAD[:60]};B1\n".encode()), "lieux.csv"),
        },
        content_type="multipart/form-data",
    )
    assert "<script>window.deskXss" not in response.text
    assert "&lt;script&gt;window.deskXss" in response.text


def test_the_payload_does_not_run_in_chromium(world, staff, live_server, chromium):
    page = new_page(chromium)
    log_in(page, live_server, staff.email)
    page.goto(f"{live_server}/catalogue/liste-diffusion")
    page.fill("#list_name", "labo-chimie.seminaires")
    page.fill("#purpose", "Annonces")
    page.fill("#recipients", PAYLOAD)
    page.click("form.request-form [type=submit]")
    page.wait_for_selector("#recipients-error")
    assert "<script>window.deskXss=1</script>" in page.inner_text("#recipients-error")
    assert page.evaluate("typeof window.deskXss") == "undefined"
