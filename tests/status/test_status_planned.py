"""Planned work: a disruption announced ahead with its start (and an expected end), shown on
the banners a week before, going on from its start by the clock, and called off with an
e-mail to its followers if it does not happen."""

from __future__ import annotations

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from desk.extensions import db
from desk.notifications.content import render_email
from desk.notifications.models import Channel, Notification, NotificationEvent
from desk.status.models import Disruption
from desk.status.services import DisruptionText, publish_disruption
from tests.support.factories import make_ticket
from tests.support.sql import statements_sent

STATUS = "/etat-des-services"
NEW = f"{STATUS}/nouvelle"
PARIS = ZoneInfo("Europe/Paris")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _local(value: dt.datetime) -> str:
    """How a browser's date-time field sends `value`: local to Paris, to the minute."""
    return value.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _field_error(page: str, field: str) -> str:
    match = re.search(rf'<ul class="errors" id="{field}-error">(.*?)</ul>', page, re.S)
    assert match, f"no error next to {field}"
    return _text(match.group(1))


def _plan(services, title="Maintenance de la messagerie", *, days=2, hours=4, **more):
    start = (_now() + dt.timedelta(days=days)).replace(microsecond=0)
    content = DisruptionText(
        title_fr=title,
        details_fr="",
        starts_at=start,
        expected_end_at=start + dt.timedelta(hours=hours) if hours else None,
        **more,
    )
    return publish_disruption(content, actor=services.tech)


def _form(**fields) -> dict:
    return {"title_fr": "Maintenance", "category": "", "version": "0", **fields}


def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Disruption))


def test_staff_announce_planned_work_with_its_local_times(services, login):
    # 08:00–12:00 in Paris on a winter day: 07:00–11:00 UTC, whatever the server's zone.
    day = (_now() + dt.timedelta(days=3)).astimezone(PARIS).date()
    tech = login(services.tech)
    response = tech.submit(
        NEW,
        _form(
            title_fr="Maintenance de la messagerie",
            category=str(services.mail.id),
            starts_at=f"{day.isoformat()}T08:00",
            expected_end_at=f"{day.strftime('%d/%m/%Y')} 12:00",  # typed by hand
        ),
    )
    assert response.status_code == 302
    disruption = db.session.scalar(select(Disruption))
    start = dt.datetime.combine(day, dt.time(8), PARIS)
    assert disruption.started_at == start.astimezone(dt.UTC)
    assert disruption.expected_end_at == start.replace(hour=12).astimezone(dt.UTC)
    status = tech.get(STATUS)
    assert "L’intervention programmée est annoncée" in status.text
    going_on, planned = _text(status.text).split("Interventions programmées", 1)
    assert "Maintenance de la messagerie" not in going_on
    assert "Maintenance de la messagerie" in planned
    assert "08:00" in planned and "12:00" in planned
    assert "Annuler l’intervention" in planned and "C’est rétabli" not in planned


def test_the_banner_announces_planned_work_of_the_coming_week_only(services, login):
    _plan(services, "Coupure réseau samedi", days=2, category=services.network)
    _plan(services, "Migration du Wi-Fi en mars", days=20, category=services.network)
    claire = login(services.claire)
    form = claire.get("/catalogue/wifi").text
    banner = _text(form.split('class="disruptions', 1)[1].split("</section>", 1)[0])
    assert banner.startswith("planned-only") or "Interventions programmées" in banner
    assert "Coupure réseau samedi" in banner and "Migration du Wi-Fi" not in banner
    assert "Perturbation connue" not in banner  # nothing is broken now
    assert "Prévenez-moi quand ce sera terminé" in banner
    # The status page lists every planned work, however far.
    assert "Migration du Wi-Fi en mars" in claire.get(STATUS).text
    # Another service's form is not told.
    assert "Coupure réseau samedi" not in claire.get("/catalogue/boite").text


def test_planned_work_is_going_on_from_its_start_by_the_clock(services, login):
    disruption = _plan(services, "Coupure réseau", category=services.network)
    claire = login(services.claire)
    assert "Perturbation connue" not in claire.get("/catalogue/wifi").text
    disruption.started_at = _now() - dt.timedelta(minutes=1)
    db.session.commit()
    form = _text(claire.get("/catalogue/wifi").text)
    assert "Perturbation connue" in form and "Coupure réseau" in form
    assert "Interventions programmées" not in form.split("Perturbation connue", 1)[1][:300]
    going_on = _text(claire.get(STATUS).text).split("Interventions programmées", 1)[0]
    assert "Coupure réseau" in going_on and "Fin prévue" in going_on


def test_a_ticket_is_linked_to_planned_work_only_once_it_has_started(services, login):
    ticket = make_ticket(request_type=services.wifi_form, requester=services.claire)
    disruption = _plan(services, "Coupure réseau", category=services.network)
    tech = login(services.tech)
    # Not offered on the ticket page, and refused if forged.
    assert f"disruption-{disruption.id}" not in tech.get(f"/tickets/{ticket.reference}").text
    response = tech.submit(
        f"{STATUS}/{disruption.id}/tickets",
        {"reference": ticket.reference},
        page=f"/tickets/{ticket.reference}",
        follow_redirects=True,
    )
    assert "Cette intervention n’a pas commencé" in response.text
    assert db.session.scalar(select(func.count()).select_from(Disruption)) == 1
    from desk.status.models import DisruptionTicket

    assert db.session.get(DisruptionTicket, ticket.id) is None


def test_a_late_disruption_says_so(services, login):
    disruption = _plan(services, "Coupure réseau", days=0, hours=0)
    disruption.started_at = _now() - dt.timedelta(hours=3)
    disruption.expected_end_at = _now() - dt.timedelta(hours=1)
    db.session.commit()
    page = _text(login(services.claire).get(STATUS).text)
    assert "Fin prévue" in page and "plus tard qu’annoncé : toujours en cours" in page


def test_calling_off_planned_work_tells_its_followers(services, login):
    disruption = _plan(services, "Maintenance de la messagerie", title_en="E-mail maintenance")
    for user in (services.claire, services.john):
        login(user).submit(f"{STATUS}/{disruption.id}/suivre", page=STATUS)
    response = login(services.tech).submit(
        f"{STATUS}/{disruption.id}/fin", page=STATUS, follow_redirects=True
    )
    assert "L’intervention est annulée ; personnes prévenues par e-mail : 2." in response.text
    db.session.expire_all()
    assert disruption.cancelled and disruption.ended_at is not None
    mails = db.session.scalars(
        select(Notification).where(
            Notification.event == NotificationEvent.DISRUPTION_ENDED,
            Notification.channel == Channel.EMAIL,
        )
    ).all()
    subjects = sorted(render_email(m.payload, m.id)[0] for m in mails)
    assert subjects == [
        "Intervention annulée : Maintenance de la messagerie",
        "Planned work called off: E-mail maintenance",
    ]
    text = render_email(mails[0].payload, mails[0].id)[1]
    assert "annulée" in text or "called off" in text
    fixed = _text(response.text).split("Réglées cette semaine", 1)[1]
    assert "Maintenance de la messagerie" in fixed and "Annulée le" in fixed


def test_ending_a_started_disruption_is_not_calling_it_off(services, login):
    disruption = _plan(services)
    disruption.started_at = _now() - dt.timedelta(minutes=5)
    db.session.commit()
    login(services.tech).submit(f"{STATUS}/{disruption.id}/fin", page=STATUS)
    db.session.expire_all()
    assert disruption.ended_at is not None and not disruption.cancelled


def test_the_editor_shows_the_stored_times_in_local_time(services, login):
    start = dt.datetime(2027, 1, 15, 7, 0, tzinfo=dt.UTC)  # 08:00 in Paris (winter)
    disruption = _plan(services)
    disruption.started_at, disruption.expected_end_at = start, start + dt.timedelta(hours=2)
    db.session.commit()
    page = login(services.tech).get(f"{STATUS}/{disruption.id}/modifier").text
    assert 'value="2027-01-15T08:00"' in page and 'value="2027-01-15T10:00"' in page
    assert 'type="datetime-local"' in page


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"starts_at": "demain matin"}, "starts_at", "Saisissez une date et une heure"),
        ({"starts_at": "99999-01-01T08:00"}, "starts_at", "Saisissez une date et une heure"),
        ({"starts_at": "0001-01-01T00:30"}, "starts_at", "moins d’un an"),
        ({"starts_at": "9999-12-31T23:59"}, "starts_at", "moins d’un an"),
        ({"expected_end_at": "2026-13-45T25:99"}, "expected_end_at", "Saisissez une date"),
        ({"expected_end_at": "2020-01-01T08:00"}, "expected_end_at", "moins d’un an"),
    ],
)
def test_impossible_dates_are_refused_next_to_their_field(services, login, fields, field, message):
    response = login(services.tech).submit(NEW, _form(**fields))
    assert response.status_code == 400
    assert message in _field_error(response.text, field)
    assert _count() == 0


def test_an_expected_end_must_be_ahead_and_after_the_start(services, login):
    tech = login(services.tech)
    past = _now() - dt.timedelta(hours=1)
    response = tech.submit(NEW, _form(expected_end_at=_local(past)))
    assert response.status_code == 400
    assert "Cette heure est passée" in _field_error(response.text, "expected_end_at")
    start = _now() + dt.timedelta(days=2)
    response = tech.submit(
        NEW,
        _form(starts_at=_local(start), expected_end_at=_local(start - dt.timedelta(hours=2))),
    )
    assert response.status_code == 400
    assert "postérieure au début" in _field_error(response.text, "expected_end_at")
    assert _count() == 0


def test_a_disruption_going_on_cannot_be_put_off(services, login):
    disruption = _plan(services, "Wi-Fi coupé", days=0, hours=0)
    disruption.started_at = _now() - dt.timedelta(hours=1)
    db.session.commit()
    before = disruption.started_at
    response = login(services.tech).submit(
        f"{STATUS}/{disruption.id}/modifier",
        _form(
            title_fr="Wi-Fi coupé",
            version=str(disruption.version),
            starts_at=_local(_now() + dt.timedelta(days=1)),
        ),
    )
    assert response.status_code == 400
    assert "Elle a déjà commencé" in _field_error(response.text, "starts_at")
    db.session.expire_all()
    assert disruption.started_at == before and disruption.version == 1


def test_planned_work_can_be_moved_and_an_empty_start_keeps_it(services, login):
    disruption = _plan(services, days=2)
    planned_start = disruption.started_at
    tech = login(services.tech)
    later = (_now() + dt.timedelta(days=4)).replace(second=0, microsecond=0)
    response = tech.submit(
        f"{STATUS}/{disruption.id}/modifier",
        _form(version="1", starts_at=_local(later), expected_end_at=""),
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert disruption.started_at == later and disruption.expected_end_at is None
    response = tech.submit(f"{STATUS}/{disruption.id}/modifier", _form(version="2", starts_at=""))
    assert response.status_code == 302
    db.session.expire_all()
    assert disruption.started_at == later != planned_start


def test_planned_work_in_the_banner_costs_no_query_more(services, login):
    claire = login(services.claire)
    _plan(services, "Une", category=services.network)
    claire.get("/catalogue/wifi")
    with statements_sent(db.engine) as one:
        claire.get("/catalogue/wifi")
    for n in range(3):
        _plan(services, f"Prévue {n}", category=services.network)
        disruption = _plan(services, f"En cours {n}", category=services.network)
        disruption.started_at = _now() - dt.timedelta(hours=1)
    db.session.commit()
    claire.get("/catalogue/wifi")
    with statements_sent(db.engine) as seven:
        page = claire.get("/catalogue/wifi").text
    assert "Prévue 2" in page and "En cours 2" in page
    assert len(seven) == len(one), "\n\n".join(s[:150] for s in seven)


def test_the_banner_names_one_day_once(services, login):
    day = (_now() + dt.timedelta(days=3)).astimezone(PARIS).date()
    start = dt.datetime.combine(day, dt.time(8), PARIS).astimezone(dt.UTC)
    one_day = _plan(services, "Coupure courte", days=3, hours=0, category=services.network)
    one_day.started_at, one_day.expected_end_at = start, start + dt.timedelta(hours=4)
    two_days = _plan(services, "Coupure longue", days=3, hours=0, category=services.network)
    two_days.started_at, two_days.expected_end_at = start, start + dt.timedelta(days=1)
    db.session.commit()
    banner = _text(login(services.john).get("/catalogue/wifi").text)
    weekday = day.strftime("%A")  # the C locale's English names
    month = day.strftime("%B")
    assert f"on {weekday} {day.day} {month}, from 08:00 to 12:00" in banner
    assert f"from {weekday} {day.day} {month}, 08:00 to " in banner
