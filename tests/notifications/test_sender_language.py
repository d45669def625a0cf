"""The From's display name is in the reader's language like the rest of the e-mail (it said
"Centre de services" to English readers); its address, the envelope sender's, never changes:
SPF/DMARC alignment, bounces and the reply matching know that one."""

from __future__ import annotations

from email.utils import parseaddr

from tests.notifications.helpers import deliver_all, submit
from tests.support.factories import make_user


def _from_and_sender(smtp, address: str) -> tuple[str, str]:
    [message] = smtp.to(address)
    return str(message["From"]), smtp.senders[smtp.messages.index(message)]


def test_english_readers_get_an_english_sender_name_out_of_the_box(db, smtp):
    english = make_user("jane@umontpellier.fr", locale="en")
    french = make_user("jeanne@umontpellier.fr", locale="fr")
    submit(english)
    submit(french)
    deliver_all()
    assert _from_and_sender(smtp, english.email) == (
        "Service centre <desk@localhost>",
        "desk@localhost",
    )
    assert _from_and_sender(smtp, french.email) == (
        "Centre de services <desk@localhost>",
        "desk@localhost",
    )


def test_the_configured_english_sender_is_used_with_the_same_envelope(db, smtp, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FROM", "Direction du numérique <desk@univ.fr>")
    monkeypatch.setitem(app.config, "MAIL_FROM_EN", "Digital services <desk@univ.fr>")
    english = make_user("jane@umontpellier.fr", locale="en")
    french = make_user("jeanne@umontpellier.fr", locale="fr")
    submit(english)
    submit(french)
    deliver_all()
    name, sender = _from_and_sender(smtp, english.email)
    assert (name, sender) == ("Digital services <desk@univ.fr>", "desk@univ.fr")
    name, sender = _from_and_sender(smtp, french.email)
    assert parseaddr(name) == ("Direction du numérique", "desk@univ.fr")
    assert sender == "desk@univ.fr"
