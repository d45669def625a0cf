"""The catalogue form a reader came from (`from=`): read from the process's copy of the
catalogue, since the suggestions ask at every pause in the typing."""

from __future__ import annotations

from sqlalchemy import select

from desk.auth.models import Role
from desk.catalog.models import RequestType
from desk.extensions import db
from tests.support.factories import make_user
from tests.support.sql import statements_sent

QUERY = "liste de diffusion"
FORM = "creation-liste-diffusion"


def _suggested(client, **params) -> tuple[list[str], int]:
    """The suggested articles' links, and the SQL statements the request sent."""
    with statements_sent(db.engine) as seen:
        response = client.get("/aide/suggestions", query_string={"q": QUERY, **params})
    assert response.status_code == 200
    urls = [a["url"] for a in response.json["articles"]]
    assert urls, "the demo articles answer the query"
    return urls, len(seen)


def test_the_form_a_reader_came_from_costs_no_statement(demo_kb, login):
    reader = login(make_user())
    _suggested(reader, **{"from": FORM})  # warm up: the catalogue's copy is loaded once
    urls, with_form = _suggested(reader, **{"from": FORM})
    assert all(url.endswith(f"?from={FORM}") for url in urls)
    _urls, without = _suggested(reader)
    assert with_form == without
    # The kept entry says who may use it: a staff-only form is not offered to a student.
    student = login(make_user(email="leo@etu.umontpellier.fr", is_staff=False))
    urls, _n = _suggested(student, **{"from": "comptes-wifi-evenement"})
    assert not any("from=" in url for url in urls)


def test_a_form_turned_off_is_no_longer_offered(demo_kb, client, login):
    urls, _n = _suggested(client, **{"from": FORM})  # the catalogue's copy holds it
    assert all(url.endswith(f"?from={FORM}") for url in urls)
    article = urls[0]
    assert f'value="{FORM}"' in client.get(article).text
    entry = db.session.scalar(select(RequestType).filter_by(slug=FORM))
    response = login(make_user(role=Role.ADMIN)).submit(
        f"/admin/catalogue/{entry.id}",
        {
            f"rt{entry.id}-default_queue": str(entry.default_queue_id),
            f"rt{entry.id}-position": str(entry.position),
        },
        page="/admin/catalogue",
    )
    assert response.status_code == 302
    urls, _n = _suggested(client, **{"from": FORM})
    assert not any("from=" in url for url in urls)
    # The article's page no longer sends the reader back to it either ("I still need help").
    assert f'value="{FORM}"' not in client.get(article).text
