"""A sign-off word starts a signature only on a real sign-off: a short line of its own
("Cordialement,", "Regards,", "Best regards, John Smith") ends the words, while a sentence
that merely starts with it ("Thanks, it still fails…", "Salutations à Paul, …") is the
message. Through the Maildir poll, as the clients send them."""

from __future__ import annotations

from desk.inbound.services import fetch_mail
from desk.tickets.models import EventKind
from tests.inbound import samples
from tests.inbound.helpers import events, people_and_ticket, signed
from tests.inbound.test_services import drop, subject_of


def _comment(inbound, ticket, raw: bytes) -> str:
    drop(inbound, f"{len(events(ticket))}.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    return events(ticket, EventKind.COMMENT)[-1].body


def test_french_sentences_starting_with_sign_off_words_are_kept_the_signature_cut(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    words = (
        "Bonjour,\n\n"
        "Merci, mais ça ne marche toujours pas depuis la salle B-214.\n"
        "Salutations à Paul qui est passé hier, le poste redémarre encore tout seul.\n"
        "Cordialement je vous signale aussi que l’imprimante du couloir est en panne.\n"
        "Bonne journée à vous aussi, mais il faut repasser avant jeudi."
    )
    raw = samples.outlook_fr(
        sender=requester.email,
        to=signed(ticket),
        subject=subject_of(ticket),
        words=words.replace("\n", "\r\n"),
    )
    # The real "Cordialement," + name + service below the words, and the history, still go.
    assert _comment(inbound, ticket, raw) == words


def test_french_real_sign_offs_are_cut(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    for sign_off in ("Cordialement,\nMarie Dupont\nService RH", "Bonne journée à tous\nMarie"):
        raw = samples.gmail(
            sender=requester.email,
            to=signed(ticket),
            subject=subject_of(ticket),
            words=f"Le poste 12 redémarre toujours.\n\n{sign_off}",
        )
        assert _comment(inbound, ticket, raw) == "Le poste 12 redémarre toujours."


def test_english_sentences_starting_with_sign_off_words_are_kept(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    words = (
        "Hello,\n\n"
        "Thanks, it still fails when I plug the cable in.\n"
        "Warning: the mail client then says the certificate has expired.\n"
        "Regards, nothing has changed since Monday on my side.\n\n"
        "The LED stays red."
    )
    raw = samples.thunderbird(
        sender=requester.email, to=signed(ticket), subject=subject_of(ticket), words=words
    )
    # The "-- " signature and the ">" history below are still cut.
    assert _comment(inbound, ticket, raw) == words


def test_english_real_sign_offs_are_cut(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    for sign_off in (
        "Regards,\nJohn Smith\nLab of Physics",
        "Best regards, John Smith",
        "Thanks,\nJohn\n\nCONFIDENTIALITY: this e-mail and its attachments are private.",
    ):
        raw = samples.gmail(
            sender=requester.email,
            to=signed(ticket),
            subject=subject_of(ticket),
            words=f"It works now.\n\n{sign_off}",
        )
        assert _comment(inbound, ticket, raw) == "It works now."
