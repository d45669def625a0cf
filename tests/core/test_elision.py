"""French elision before a value: « la demande d’Anna », « de Claire », in pages and e-mails."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, get_translations, gettext
from markupsafe import Markup
from sqlalchemy import select

from desk.auth.models import Role
from desk.core.elision import ElidingText, elide, starts_with_vowel
from desk.extensions import db
from desk.notifications.content import render_email
from desk.notifications.models import Channel, Notification, NotificationEvent
from desk.watchers.models import TicketWatcher
from tests.support.factories import make_queue, make_ticket, make_user

PATTERN = "La demande de %(name)s est close."


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Anna Martin", "La demande d’Anna Martin est close."),
        ("Éric Petit", "La demande d’Éric Petit est close."),
        ("  Olivier", "La demande d’  Olivier est close."),
        ("Œdipe", "La demande d’Œdipe est close."),
        ("Claire Martin", "La demande de Claire Martin est close."),
        ("Hugo Blanc", "La demande de Hugo Blanc est close."),  # both are written: keep « de »
        ("Yann Le Gall", "La demande de Yann Le Gall est close."),
        ("UFR Sciences", "La demande de UFR Sciences est close."),  # an acronym
        ("42 rue", "La demande de 42 rue est close."),
        ("", "La demande de  est close."),
    ],
)
def test_de_is_elided_before_a_vowel(name, expected):
    assert ElidingText(PATTERN) % {"name": name} == expected


def test_only_de_and_que_just_before_a_value_change():
    pattern = "Ce que %(a)s dit de %(b)s, code %(c)s, de %(n)d jours, De %(d)s"
    values = {"a": "Anne", "b": "Inès", "c": "Ali", "n": 3, "d": "Ève"}
    assert elide(pattern, values) == (
        "Ce qu’%(a)s dit d’%(b)s, code %(c)s, de %(n)d jours, D’%(d)s"
    )
    assert ElidingText("Absence of %(name)s") % {"name": "Anna"} == "Absence of Anna"


def test_a_marked_up_name_is_read_as_its_text():
    name = Markup('<span lang="en">Emma</span>')
    assert elide(PATTERN, {"name": name}) == "La demande d’%(name)s est close."
    assert starts_with_vowel("ÉTIENNE") is False  # all capitals read as an acronym
    assert starts_with_vowel("Île") is True


def test_the_french_catalogue_marks_its_messages_and_the_english_none(app):
    with app.test_request_context("/"):
        with force_locale("fr"):
            catalog = get_translations()._catalog
            marked = [m for m in catalog.values() if isinstance(m, ElidingText)]
            assert len(marked) >= 15
            assert gettext("Absence of %(name)s", name="Anne Roux") == "Absence d’Anne Roux"
            assert gettext("Absence of %(name)s", name="Karim Benali") == "Absence de Karim Benali"
        with force_locale("en"):
            catalog = get_translations()._catalog
            assert not [m for m in catalog.values() if isinstance(m, ElidingText)]
            assert gettext("Absence of %(name)s", name="Anne Roux") == "Absence of Anne Roux"


def test_pages_elide_in_python_and_in_templates(app_ctx, login):
    network = make_queue(code="reseau")
    anne = make_user(
        "anne.roux@umontpellier.fr", role=Role.TECHNICIAN, queues=(network,), name="Anne Roux"
    )
    karim = make_user(
        "karim@umontpellier.fr", role=Role.TECHNICIAN, queues=(network,), name="Karim Benali"
    )
    admin = login(make_user("admin@umontpellier.fr", role=Role.ADMIN, name="Admin Desk"))
    # the account page's link is written by its template, the absence page's title in Python
    assert "Absence d’Anne Roux" in admin.get(f"/admin/accounts/{anne.id}").text
    assert "Absence de Karim Benali" in admin.get(f"/admin/accounts/{karim.id}").text
    page = admin.get(f"/admin/accounts/{anne.id}/absence").text
    assert "Absence d’Anne Roux" in page and "Absence de Anne" not in page


def test_e_mails_elide_too(app_ctx, login):
    network = make_queue(code="reseau")
    tech = make_user(
        "tech@umontpellier.fr", role=Role.TECHNICIAN, queues=(network,), name="Karim Benali"
    )
    emilie = make_user("emilie@umontpellier.fr", name="Émilie Martin")
    friend = make_user("ami@umontpellier.fr", name="Paul Ami")
    ticket = make_ticket(queue=network, requester=emilie, subject="Wi-Fi en panne")
    db.session.add(TicketWatcher(ticket_id=ticket.id, user_id=friend.id))
    db.session.commit()
    client = login(tech)
    for status in ("in_progress", "resolved"):
        page = client.get(f"/tickets/{ticket.reference}").text
        version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
        data = {"version": version, "csrf_token": client.last_csrf, "status": status}
        assert client.post(f"/tickets/{ticket.reference}/status", data=data).status_code == 302
    mail = db.session.scalars(
        select(Notification).where(
            Notification.channel == Channel.EMAIL,
            Notification.event == NotificationEvent.RESOLVED,
            Notification.recipient_id == friend.id,
        )
    ).one()
    _subject, text, html = render_email(mail.payload, mail.id)
    assert "La demande d’Émilie Martin, que vous suivez, a été résolue." in text
    assert "La demande d’Émilie Martin, que vous suivez, a été résolue." in html
