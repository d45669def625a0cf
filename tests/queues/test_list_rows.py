"""What a queue list row says, in the reader's language: it is prepared in Python once per
page (desk.queues.display), not by template helpers per cell, and must say the same."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from desk.auth.models import Role
from desk.extensions import db
from tests.support.factories import (
    make_queue,
    make_request_type,
    make_site_tree,
    make_ticket,
    make_user,
)

DUE = dt.datetime(2025, 12, 1, 16, 0, tzinfo=dt.UTC)  # 17:00 in Paris (winter), long past
CREATED = dt.datetime(2025, 7, 14, 8, 30, tzinfo=dt.UTC)  # 10:30 in Paris (summer)


@pytest.fixture
def rows(app_ctx):
    queue = make_queue(code="reseau")
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,), name="Karim <b>Benali</b>")
    wifi = make_request_type(queue=queue)
    wifi.title_fr, wifi.title_en = "Problème Wi-Fi", "Wi-Fi problem"
    french_only = make_request_type(queue=queue)
    french_only.title_fr, french_only.title_en = "Prêt de matériel", ""
    site, _b, _f = make_site_tree("triolet")
    site.name, site.name_en = "Campus Triolet", None
    db.session.commit()
    late = make_ticket(
        queue=queue,
        request_type=wifi,
        requester=make_user(name="Claire <Martin>"),
        assignee=tech,
        status="in_progress",
        subject="Problème Wi-Fi – borne <HS>",
        language="fr",
        site_id=site.id,
        created_at=CREATED,
        resolution_due_at=DUE,
        resolution_warn_at=DUE - dt.timedelta(hours=4),
    )
    loan = make_ticket(
        queue=queue,
        request_type=french_only,
        subject="Prêt de matériel – a projector",
        language="en",
        created_at=CREATED,
    )
    # A subject that does not begin with the type's title (a ticket that came by e-mail).
    mailed = make_ticket(
        queue=queue,
        request_type=wifi,
        subject="Plus de réseau salle 12",
        language="fr",
        site_id=site.id,
        created_at=CREATED,
    )
    return tech, late, loan, mailed


def _row(html: str, reference: str) -> str:
    return re.search(rf'<tr data-ref="{reference}">(.*?)</tr>', html, re.S).group(1)


def test_french_reader(rows, login):
    tech, late, loan, mailed = rows
    html = login(tech).get("/queues/reseau?status=all").text
    row = _row(html, late.reference)
    assert f'value="{late.id}:{late.version}"' in row
    assert f'aria-label="Sélectionner {late.reference}"' in row
    assert f'<a href="/tickets/{late.reference}">{late.reference}</a>' in row
    assert "Problème Wi-Fi – borne &lt;HS&gt;" in row  # typed text escaped, not marked
    # The type is not said twice: the subject begins with its title.
    assert '<small class="muted">Campus Triolet</small>' in row
    assert "<td>Claire &lt;Martin&gt;</td>" in row and "Karim &lt;b&gt;Benali&lt;/b&gt;" in row
    assert 'class="badge status-in_progress">En cours<' in row
    assert 'class="prio-2">Normale<' in row
    assert 'class="sla-breached">01/12/2025 17:00' in row
    assert "<small>Résolution en retard</small>" in row
    assert "<td>14/07/2025 10:30</td>" in row
    other = _row(html, loan.reference)
    assert 'Prêt de matériel – <span lang="en">a projector</span>' in other
    assert 'class="sla-none">—' in other and "<td>—</td>" in other  # no due date, no assignee
    assert "<small" not in other.split("</td>")[2]  # no other type, no site: nothing under it
    mail = _row(html, mailed.reference)
    assert (
        '<td>Plus de réseau salle 12<br><small class="muted">Problème Wi-Fi · Campus Triolet'
        in mail
    )


def test_english_reader(rows, login):
    tech, late, loan, mailed = rows
    tech.locale = "en"
    db.session.commit()
    html = login(tech).get("/queues/reseau?status=all").text
    row = _row(html, late.reference)
    assert f'aria-label="Select {late.reference}"' in row
    # The title follows the reader; the French typed text is marked; so is the French site.
    assert 'Wi-Fi problem – <span lang="fr">borne &lt;HS&gt;</span>' in row
    assert '<small class="muted"><span lang="fr">Campus Triolet</span></small>' in row
    assert 'class="badge status-in_progress">In progress<' in row
    assert 'class="sla-breached">1 Dec 2025, 17:00' in row
    assert "<small>Resolution overdue</small>" in row
    assert "<td>14 Jul 2025, 10:30</td>" in row
    other = _row(html, loan.reference)
    # A type with no English title stays French, marked; the typed English text is not.
    assert '<span lang="fr">Prêt de matériel</span> – a projector' in other
    mail = _row(html, mailed.reference)
    assert (
        '<span lang="fr">Plus de réseau salle 12</span><br><small class="muted">Wi-Fi problem · '
        in mail
    )


def _queue_of(tech):
    from desk.reference.models import Queue

    return db.session.execute(db.select(Queue).filter_by(code="reseau")).scalar_one()


def _select(html: str, name: str) -> str:
    return re.search(rf'<select id="[^"]+" name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)


def test_the_filter_and_bulk_lists_follow_each_reader_in_turn(rows, login):
    """The lists' labels are kept per process and language: a French page, then an English
    one, then a French one again each get their own."""
    tech, _late, _loan, _mailed = rows
    other = make_queue(code="visio", domain=_queue_of(tech).domain)
    other.name_fr, other.name_en = "Visioconférence", "Video conferencing"
    db.session.commit()
    for locale in ("fr", "en", "fr"):
        tech.locale = locale
        db.session.commit()
        html = login(tech).get("/queues/reseau").text
        english = locale == "en"
        types, targets = _select(html, "type"), _select(html, "queue")
        actions, statuses = _select(html, "action"), _select(html, "status")
        assert (">Wi-Fi problem<" if english else ">Problème Wi-Fi<") in types
        assert ">Prêt de matériel<" in types  # no English title: French for both
        assert (">Video conferencing<" if english else ">Visioconférence<") in targets
        assert (">Assign to<" if english else ">Attribuer à<") in actions
        assert (">In progress<" if english else ">En cours<") in statuses
        assert (">Anyone<" if english else ">N’importe qui<") in _select(html, "assignee")
