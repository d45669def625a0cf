"""The service status as an iCalendar subscription: read back by the icalendar parser, as a
calendar client would; planned work on its hours, edits as new sequences of the same event,
work called off as CANCELLED, typed text escaped, the language from the address."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from flask import current_app
from icalendar import Calendar

from desk.extensions import db
from desk.status.services import (
    DisruptionText,
    edit_disruption,
    end_disruption,
    publish_disruption,
)

FEED = "/etat-des-services/calendrier.ics"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _publish(services, title, *, start=None, hours=4, **more):
    content = DisruptionText(
        title_fr=title,
        details_fr=more.pop("details_fr", ""),
        starts_at=start,
        expected_end_at=(start + dt.timedelta(hours=hours)) if start and hours else None,
        **more,
    )
    return publish_disruption(content, actor=services.tech)


def _events(client, query="") -> dict[str, object]:
    response = client.get(FEED + query)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.get_data())
    assert calendar["VERSION"] == "2.0"
    return {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}


def test_planned_work_and_disruptions_in_the_feed(services, client):
    start = _now() + dt.timedelta(days=3)
    planned = _publish(
        services,
        "Maintenance de la messagerie",
        start=start,
        category=services.mail,
        details_fr="Coupure; webmail, IMAP et SMTP\nindisponibles.",
    )
    going_on = _publish(services, "Wi-Fi lent au Triolet", category=services.network)
    events = _events(client)  # not signed in: the page is public, so is its feed
    work = events["Intervention programmée : Maintenance de la messagerie"]
    assert work.decoded("DTSTART") == start
    assert work.decoded("DTEND") == start + dt.timedelta(hours=4)
    assert str(work["STATUS"]) == "CONFIRMED" and str(work["TRANSP"]) == "TRANSPARENT"
    host = urlsplit(current_app.config["BASE_URL"]).hostname
    assert str(work["UID"]) == f"disruption-{planned.id}@{host}"
    # What staff typed comes back as typed: the calendar format's escapes did their work.
    description = str(work["DESCRIPTION"])
    assert "Service : Messagerie" in description
    assert "Coupure; webmail, IMAP et SMTP\nindisponibles." in description
    assert str(work["URL"]).endswith("/etat-des-services")
    now = events["Perturbation : Wi-Fi lent au Triolet"]
    assert str(now["UID"]) == f"disruption-{going_on.id}@{host}"
    assert "DTEND" not in now  # no end announced: the feed does not invent one
    assert "Fin pas encore annoncée." in str(now["DESCRIPTION"])


def test_the_feed_links_to_the_sites_address_whatever_the_host_header(services, client):
    _publish(services, "Wi-Fi lent au Triolet", category=services.network)
    response = client.get(FEED, headers={"Host": "evil.example"})
    (event,) = Calendar.from_ical(response.get_data()).walk("VEVENT")
    assert str(event["URL"]) == current_app.config["BASE_URL"] + "/etat-des-services"


def test_an_edit_is_a_new_sequence_of_the_same_event(services, client):
    start = _now() + dt.timedelta(days=2)
    planned = _publish(services, "Coupure réseau", start=start)
    (before,) = _events(client).values()
    later = start + dt.timedelta(days=1)
    content = DisruptionText(
        title_fr="Coupure réseau",
        details_fr="",
        starts_at=later,
        expected_end_at=later + dt.timedelta(hours=2),
    )
    edit_disruption(planned, content, version=planned.version, actor=services.tech)
    (after,) = _events(client).values()
    assert after["UID"] == before["UID"]
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after.decoded("DTSTART") == later


def test_called_off_and_ended_stay_a_week_with_their_state(services, client):
    start = _now() + dt.timedelta(days=2)
    called_off = _publish(services, "Migration annulée", start=start)
    end_disruption(called_off, actor=services.tech)
    fixed = _publish(services, "Panne VPN")
    end_disruption(fixed, actor=services.tech)
    events = _events(client)
    off = events["Annulée : Migration annulée"]
    assert str(off["STATUS"]) == "CANCELLED"
    assert off.decoded("DTSTART") == start  # where clients had it, so they take it out
    over = events["Terminée : Panne VPN"]
    assert str(over["STATUS"]) == "CONFIRMED"
    db.session.refresh(fixed)
    assert over.decoded("DTEND") == fixed.ended_at.replace(microsecond=0)


@pytest.mark.parametrize(
    "query, summary",
    [
        ("?lang=en", "Planned work: E-mail maintenance"),
        ("?lang=fr", "Intervention programmée : Maintenance de la messagerie"),
        ("", "Intervention programmée : Maintenance de la messagerie"),
        ("?lang=de", "Intervention programmée : Maintenance de la messagerie"),
        ("?lang=%ff%fe", "Intervention programmée : Maintenance de la messagerie"),
    ],
)
def test_the_language_is_in_the_address(services, login, query, summary):
    _publish(
        services,
        "Maintenance de la messagerie",
        start=_now() + dt.timedelta(days=1),
        title_en="E-mail maintenance",
        category=services.mail,
    )
    # A signed-in English reader's calendar client sends no cookie: the address decides.
    events = _events(login(services.john), query)
    assert list(events) == [summary]
    if "lang=en" in query:
        assert "Service: E-mail" in str(events[summary]["DESCRIPTION"])


def test_hostile_titles_cannot_break_the_feed(services, client):
    title = "END:VEVENT\nBEGIN:VEVENT\nSUMMARY:faux;<script>,\\"
    _publish(services, title, start=_now() + dt.timedelta(days=1))
    events = _events(client)
    assert list(events) == [f"Intervention programmée : {title}"]
    # A NUL byte in the address is refused like anywhere else in the application.
    assert client.get(FEED + "?lang=%00").status_code == 400


def test_the_status_page_links_to_the_feed_in_its_language(services, login, client):
    page = client.get("/etat-des-services").text
    assert f'href="{FEED}?lang=fr"' in page
    assert f'href="{FEED}?lang=en"' in login(services.john).get("/etat-des-services").text
    raw = client.get(FEED).get_data()
    # Clients are asked to fetch it again every quarter of an hour (RFC 7986, and Outlook's).
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT15M\r\n" in raw
    assert b"X-PUBLISHED-TTL:PT15M\r\n" in raw
    empty = Calendar.from_ical(raw)
    assert empty.walk("VEVENT") == []
    assert str(empty["X-WR-CALNAME"]) == "État des services"


def test_without_a_language_the_feed_speaks_the_configured_default(services, client, app):
    _publish(
        services,
        "Maintenance de la messagerie",
        start=_now() + dt.timedelta(days=1),
        title_en="E-mail maintenance",
        category=services.mail,
    )
    saved = app.config["BABEL_DEFAULT_LOCALE"]
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    try:
        assert list(_events(client, "?lang=de")) == ["Planned work: E-mail maintenance"]
    finally:
        app.config["BABEL_DEFAULT_LOCALE"] = saved
