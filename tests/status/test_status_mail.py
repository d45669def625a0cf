"""The e-mail that tells a follower a disruption is over: its words in their language, and its
delivery end to end by a real worker process to a real SMTP server."""

from __future__ import annotations

import time

import pytest

from desk.extensions import db
from desk.notifications.content import render_email
from desk.notifications.models import Channel, DeliveryStatus
from desk.status.services import DisruptionText, publish_disruption
from tests.notifications.helpers import rows, wait_for
from tests.support.worker import WorkerProcess

STATUS = "/etat-des-services"


def _payload(locale: str, title_en: str = "Slow e-mail") -> dict:
    return {
        "alert": "disruption_ended",
        "to": "claire@umontpellier.fr",
        "name": "Claire <Martin>",
        "locale": locale,
        "title_fr": "Messagerie lente & <instable>",
        "title_en": title_en,
        "status_url": "https://desk.example/etat-des-services",
        "catalogue_url": "https://desk.example/catalogue",
        "events": [{"event": "disruption_ended"}],
    }


def test_french_follower_reads_french(app_ctx):
    subject, text, html = render_email(_payload("fr"), 1)
    assert subject == "Perturbation terminée : Messagerie lente & <instable>"
    assert "Bonjour Claire <Martin>," in text
    assert "La perturbation que vous suiviez est terminée : Messagerie lente" in text
    assert "https://desk.example/catalogue" in text and "État des services" in text
    assert "&lt;instable&gt;" in html and "<instable>" not in html
    assert "Claire &lt;Martin&gt;" in html
    assert 'lang="en"' not in html


def test_english_follower_reads_english_or_the_french_title_marked(app_ctx):
    subject, text, html = render_email(_payload("en"), 1)
    assert subject == "Disruption over: Slow e-mail"
    assert "Hello Claire <Martin>," in text and "Bonjour" not in text
    subject, _text, html = render_email(_payload("en", title_en=""), 1)
    assert subject == "Disruption over: Messagerie lente & <instable>"
    assert '<strong lang="fr">Messagerie lente &amp; &lt;instable&gt;</strong>' in html


@pytest.mark.worker
def test_followers_get_one_mail_each_from_the_worker(services, login, smtp, test_env):
    worker = WorkerProcess(
        {**test_env, "DESK_MAIL_HOST": "127.0.0.1", "DESK_MAIL_PORT": str(smtp.port)}
    ).start()
    try:
        disruption = publish_disruption(
            DisruptionText(title_fr="Messagerie lente", details_fr="", title_en="Slow e-mail"),
            actor=services.tech,
        )
        for user in (services.claire, services.john):
            login(user).submit(f"{STATUS}/{disruption.id}/suivre", page=STATUS)
        login(services.tech).submit(f"{STATUS}/{disruption.id}/fin", page=STATUS)
        wait_for(lambda: len(smtp.messages) >= 2, what="two e-mails")
        time.sleep(0.5)  # a duplicate would arrive now
        assert len(smtp.messages) == 2
        (to_claire,) = smtp.to(services.claire.email)
        assert to_claire["Subject"] == "Perturbation terminée : Messagerie lente"
        (to_john,) = smtp.to(services.john.email)
        assert to_john["Subject"] == "Disruption over: Slow e-mail"
        db.session.expire_all()
        assert {r.status for r in rows(Channel.EMAIL)} == {DeliveryStatus.SENT}
    finally:
        worker.stop()
