"""Free text of every catalogue form, as the "Other request" form already took it: bytes that
are not UTF-8 are refused next to their field (not saved as "caf�"), and control or
direction characters (a pasted terminal's escapes, a right-to-left override that turns a
subject around in the queue) are dropped."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.catalog.world import assert_nothing_saved, field_errors, only_ticket
from tests.support.factories import make_request_type

UNREADABLE = "Une partie de ce texte n’a pas pu être lue"


def _entries(world) -> dict[str, dict[str, str]]:
    """A valid submission of each entry with free text, by slug."""
    triolet = world.triolet
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    make_request_type(slug="accessibilite", form_key="accessibility_report")
    return {
        "comptes-wifi": {
            "event_name": "Colloque de chimie verte",
            "site": str(triolet[0].id),
            "building": str(triolet[1].id),
            "first_day": tomorrow.isoformat(),
            "last_day": tomorrow.isoformat(),
            "guest_count": "40",
        },
        "liste-diffusion": {
            "list_name": "labo-chimie.seminaires",
            "purpose": "Annonces des séminaires",
            "recipients": "alice@umontpellier.fr",
            "owners": "claire.martin@umontpellier.fr",
            "other_info": "Rien",
        },
        "numero-telephone": {
            "new_phone": "04 67 14 12 34",
            "effective_date": dt.date.today().isoformat(),
            "comment": "Nouveau bureau",
        },
        "connexion-reseau": {
            "checked_cable": "y",
            "checked_wifi": "y",
            "wall_socket": "B16-1-023",
            "since": (dt.datetime.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "pc_name": "um-pc-12345",
            "plugged_via": "docking",
            "connection": "wired",
            "site": str(triolet[0].id),
            "building": str(triolet[1].id),
            "description": "Plus de réseau depuis ce matin.",
        },
        "accessibilite": {
            "page": "Catalogue",
            "problem": "Le bouton Envoyer n’est pas atteint au clavier.",
            "assistive_technology": "Firefox et NVDA",
        },
    }


FREE_TEXT = [
    ("comptes-wifi", "event_name"),
    ("liste-diffusion", "purpose"),
    ("liste-diffusion", "other_info"),
    ("numero-telephone", "comment"),
    ("connexion-reseau", "description"),
    ("accessibilite", "page"),
    ("accessibilite", "problem"),
    ("accessibilite", "assistive_technology"),
]


def _multipart(fields: dict[str, bytes]) -> tuple[bytes, str]:
    """A multipart body as a browser sends it, its values as raw bytes."""
    boundary = "desk-test-boundary"
    parts = [
        b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
        % (boundary.encode(), name.encode(), value)
        for name, value in fields.items()
    ]
    body = b"".join(parts) + b"--%s--\r\n" % boundary.encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(("slug", "name"), FREE_TEXT)
def test_bytes_that_are_not_utf8_are_refused_next_to_their_field(world, staff, login, slug, name):
    data = _entries(world)[slug]
    client = login(staff)
    url = f"/catalogue/{slug}"
    client.get(url)
    fields = {k: v.encode() for k, v in data.items()}
    fields[name] = b"Caf\xe9 \xff\xfe du bureau 204"  # Latin-1 and stray bytes
    fields["csrf_token"] = client.last_csrf.encode()
    body, content_type = _multipart(fields)
    response = client.post(url, data=body, content_type=content_type)
    assert response.status_code == 400
    errors = field_errors(response.text, name)
    assert any(UNREADABLE in e for e in errors), errors
    assert_nothing_saved()


@pytest.mark.parametrize(("slug", "name"), FREE_TEXT)
def test_control_and_direction_characters_are_dropped(world, staff, login, slug, name):
    data = _entries(world)[slug]
    typed = data[name]
    data[name] = f"\u202e{typed}\x1b\x07\u200b"
    response = login(staff).submit(f"/catalogue/{slug}", data)
    assert response.status_code == 302, field_errors(response.text, name)
    assert only_ticket().data[name] == typed


@pytest.mark.parametrize(
    "value",
    [b"Caf%E9 %FF%FE du bureau 204", b"Caf\xe9 \xff\xfe du bureau 204"],
    ids=["percent-encoded", "raw"],
)
@pytest.mark.parametrize(("slug", "name"), FREE_TEXT[:5])
def test_a_url_encoded_form_refuses_them_next_to_their_field_too(
    world, staff, login, slug, name, value
):
    # A form without files is URL-encoded: werkzeug kept "Caf%E9" as typed by nobody and,
    # sent raw, dropped the whole form (every field "required", the CSRF token missing).
    from urllib.parse import quote

    data = _entries(world)[slug]
    client = login(staff)
    url = f"/catalogue/{slug}"
    client.get(url)
    data["csrf_token"] = client.last_csrf
    body = b"&".join(
        b"%s=%s" % (k.encode(), value if k == name else quote(v).encode()) for k, v in data.items()
    )
    response = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    errors = field_errors(response.text, name)
    assert any(UNREADABLE in e for e in errors), errors
    assert [
        k for k in data if k not in (name, "csrf_token") and field_errors(response.text, k)
    ] == []
    assert_nothing_saved()
