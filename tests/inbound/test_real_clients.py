"""Replies as real clients send them, through the Maildir poll into a real ticket: the words
kept whole, the history cut, the charset read right, robots and signatures not mistaken for
the requester's words."""

from __future__ import annotations

import base64

from desk.inbound.models import HoldReason, InboundStatus
from desk.inbound.services import fetch_mail
from desk.tickets.models import EventKind, Status, Ticket
from tests.inbound import samples
from tests.inbound.helpers import attachments, events, ledger, people_and_ticket, signed
from tests.inbound.test_requests import ADDRESS, _queue_with_address
from tests.inbound.test_services import drop
from tests.support.factories import make_user

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40 + b"\xff\xd9"


def _raw(sender: str, to: str, body: bytes, content_type="text/plain; charset=utf-8", **extra):
    headers = {
        "From": f"Marie Dupont <{sender}>",
        "To": to,
        "Subject": "Re: [DEM-2026-000001] Votre demande",
        "Message-ID": f"<{abs(hash(body))}@mail.example.org>",
        "MIME-Version": "1.0",
        "Content-Type": content_type,
        **extra,
    }
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return head.encode() + b"\r\n" + body


def _text(body: str, charset="utf-8") -> bytes:
    return body.replace("\n", "\r\n").encode(charset)


def _comment_of(inbound, ticket, raw: bytes) -> str:
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    return comment.body


def test_a_list_of_hyphens_is_not_taken_for_a_signature(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    body = _text(
        "Voici les postes concernés :\n- PC-12 (salle 3)\n- PC-14 (salle 5)\n\n"
        "Merci de passer avant jeudi.\n"
    )
    raw = _raw(requester.email, signed(ticket), body)
    assert _comment_of(inbound, ticket, raw) == (
        "Voici les postes concernés :\n- PC-12 (salle 3)\n- PC-14 (salle 5)\n\n"
        "Merci de passer avant jeudi."
    )


def test_gmail_french_attribution_wrapped_over_two_lines_is_cut(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    body = _text(
        "Oui, c'est bon pour moi.\n\n"
        "Le lun. 7 déc. 2026 à 10:02, Centre de services de l'université <\n"
        f"{signed(ticket)}> a écrit :\n\n"
        "> Bonjour Marie Dupont,\n> Merci de confirmer.\n"
    )
    raw = _raw(requester.email, signed(ticket), body)
    assert _comment_of(inbound, ticket, raw) == "Oui, c'est bon pour moi."


def test_an_answer_below_the_quote_is_kept_and_the_quote_dropped(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    body = _text(
        "Le 07/12/2026 à 09:58, Centre de services a écrit :\n"
        "> Bonjour,\n> Pouvez-vous confirmer ?\n\nOui, je confirme.\n-- \nMarie\n"
    )
    raw = _raw(requester.email, signed(ticket), body)
    assert _comment_of(inbound, ticket, raw) == "Oui, je confirme."


def test_a_reply_with_only_the_history_is_empty_not_the_history(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    body = _text(
        "\nDe : Centre de services <desk@univ.example>\n"
        "Envoyé : lundi 7 décembre 2026 09:58\nÀ : Marie Dupont\n"
        "Objet : [DEM-2026-000001] Votre demande\n\n"
        "Bonjour Marie Dupont,\nMerci de nous envoyer une capture.\n"
    )
    drop(inbound, "1.eml", _raw(requester.email, signed(ticket), body))
    assert fetch_mail().counts == {"held": 1}
    assert ledger()[0].reason is HoldReason.EMPTY
    assert events(ticket, EventKind.COMMENT) == []


def test_windows_1252_declared_as_latin_1_and_undeclared_utf_8_are_read(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    words = "L’écran coûte 30 € – « urgent »"
    raw = _raw(
        requester.email,
        signed(ticket),
        _text(words, "cp1252"),
        content_type="text/plain; charset=iso-8859-1",
        **{"Content-Transfer-Encoding": "8bit"},
    )
    assert _comment_of(inbound, ticket, raw) == words
    # A script's mail: 8-bit UTF-8 and no charset at all.
    raw = _raw(
        requester.email,
        signed(ticket),
        _text("Problème réglé, à bientôt"),
        content_type="text/plain",
    )
    drop(inbound, "2.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    assert events(ticket, EventKind.COMMENT)[-1].body == "Problème réglé, à bientôt"


def test_utf_8_with_a_few_stray_bytes_keeps_its_accents(db, mailbox):
    """UTF-8 words with some bytes that are not UTF-8 (a Latin-1 disclaimer a relay added
    under them; a NUL, which Dovecot serves as 0x80) were read as Windows-1252 whole: every
    accent of the person's words came out as two signs ("Ã§a marche"). An HTML body's NUL
    showed as "\ufffd". Over the real Dovecot."""
    requester, _tech, _stranger, ticket = people_and_ticket()
    words = "Ça marche : l’écran s’allume, merci à vous."
    footer = "Ce message et ses pièces jointes sont confidentiels."
    bodies = {
        "footer": _text(f"{words}\n\n") + _text(footer, "latin-1"),
        "nul": _text(words).replace(b" merci", b"\x00 merci"),
    }
    for body in bodies.values():
        mailbox.append("INBOX", _raw(requester.email, signed(ticket), body))
    assert fetch_mail().counts == {"appended": 2}
    footer_comment, nul_comment = (e.body for e in events(ticket, EventKind.COMMENT))
    assert footer_comment == f"{words}\n\n{footer}"
    # Dovecot serves the NUL as 0x80, no character in UTF-8: dropped (it showed as "€").
    assert nul_comment == words
    # Base64 carries a NUL past IMAP: the HTML's drops it as the text's does, no "\ufffd".
    html = base64.b64encode(f"<p>{words}</p>".replace(" merci", "\x00 merci").encode())
    mailbox.append(
        "INBOX",
        _raw(
            requester.email,
            signed(ticket),
            html,
            content_type="text/html; charset=utf-8",
            **{"Content-Transfer-Encoding": "base64"},
        ),
    )
    assert fetch_mail().counts == {"appended": 1}
    assert events(ticket, EventKind.COMMENT)[-1].body == words


def test_an_unknown_charset_s_latin_1_is_read_in_the_subject_body_and_file_name(db, mailbox):
    """Relays wrap raw 8-bit header lines as "=?unknown-8bit?…?=" and label such bodies so;
    scripts make charsets up. Python knows no such codec: the subject, the words and the
    file's name read "Probl\ufffdme d\ufffdimprimante". Their bytes are now read as an
    unlabelled body's are. A new request by e-mail, over the real Dovecot."""
    _queue_with_address()
    user = make_user(email="claire.martin@umontpellier.fr")
    body = (
        (
            b"--b\r\nContent-Type: text/plain; charset=unknown-8bit\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        )
        + _text("L’imprimante du 2e étage affiche « erreur ».\n", "cp1252")
        + (
            b"--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
            b'Content-Disposition: attachment; filename="=?x-made-up?q?r=E9sum=E9.pdf?="\r\n\r\n'
            b"JVBERi0xLjQK\r\n--b--\r\n"
        )
    )
    raw = _raw(
        user.email,
        ADDRESS,
        body,
        content_type='multipart/mixed; boundary="b"',
        Subject=(
            "=?unknown-8bit?q?Probl=E8me_d=92imprimante_?= =?utf-8?q?=C3=A0_l=E2=80=99accueil?="
        ),
    )
    mailbox.append("INBOX", raw)
    assert fetch_mail().counts == {"created": 1}
    (ticket,) = db.session.query(Ticket).all()
    assert ticket.subject == "Problème d’imprimante à l’accueil"
    assert ticket.data["message"] == "L’imprimante du 2e étage affiche « erreur »."
    assert [a.filename for a in attachments(ticket) if a.filename.endswith(".pdf")] == [
        "résumé.pdf"
    ]


def test_zimbra_history_is_cut_in_text_and_in_html(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    text = _text(
        "Le poste 12 ne démarre toujours pas.\n\n----- Mail original -----\n"
        'De: "Centre de services" <desk@univ.example>\nÀ: "Marie Dupont" <m@u.fr>\n'
        "Envoyé: Lundi 7 Décembre 2026 09:58:00\nObjet: [DEM-2026-000001] Votre demande\n\n"
        "Bonjour, votre demande est résolue.\n"
    )
    assert _comment_of(inbound, ticket, _raw(requester.email, signed(ticket), text)) == (
        "Le poste 12 ne démarre toujours pas."
    )
    html = (
        '<html><body><div style="font-family: arial"><div>Toujours en panne.</div>'
        '<div><br></div><hr id="zwchr"><div><b>De: </b>"Centre de services"<br>'
        "<b>Objet: </b>[DEM-2026-000001]<br></div><div>Bonjour, votre demande est résolue."
        "</div></div></body></html>"
    ).encode()
    drop(inbound, "2.eml", _raw(requester.email, signed(ticket), html, "text/html; charset=utf-8"))
    assert fetch_mail().counts == {"appended": 1}
    assert events(ticket, EventKind.COMMENT)[-1].body == "Toujours en panne."


def test_apple_mail_text_after_a_picture_is_kept(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    body = (
        b"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVoici la photo :\r\n"
        b"--B\r\nContent-Type: image/jpeg; name=IMG_0001.jpeg\r\n"
        b"Content-Disposition: inline; filename=IMG_0001.jpeg\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(JPEG) + b"--B\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "\r\nLe numéro de série est SN-42.\r\n\r\nEnvoyé de mon iPhone\r\n--B--\r\n".encode()
    )
    raw = _raw(requester.email, signed(ticket), body, 'multipart/mixed; boundary="B"')
    assert _comment_of(inbound, ticket, raw) == "Voici la photo :\n\nLe numéro de série est SN-42."
    assert "IMG_0001.jpeg" in {a.filename for a in attachments(ticket)}


def test_a_signed_reply_is_appended_not_held_for_its_signature(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    body = (
        b"--S\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nC'est r\xc3\xa9par\xc3\xa9.\r\n"
        b'--S\r\nContent-Type: application/pkcs7-signature; name="smime.p7s"\r\n'
        b'Content-Disposition: attachment; filename="smime.p7s"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQME\r\n"
        b"--S--\r\n"
    )
    content_type = (
        'multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="S"'
    )
    raw = _raw(requester.email, signed(ticket), body, content_type)
    assert _comment_of(inbound, ticket, raw) == "C'est réparé."
    assert [a.filename for a in attachments(ticket) if not a.is_internal] == []


def test_an_out_of_office_without_robot_headers_leaves_a_waiting_ticket_waiting(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket("waiting_on_requester")
    raw = _raw(
        requester.email,
        signed(ticket),
        _text("Je suis absente jusqu'au 4 janvier.\n"),
        Subject="Réponse automatique : [DEM-2026-000001] Votre réponse est attendue",
    )
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"ignored": 1}
    assert ledger()[0].reason is HoldReason.AUTO_REPLY
    assert events(ticket, EventKind.COMMENT) == []
    db.session.refresh(ticket)
    assert ticket.status is Status.WAITING_ON_REQUESTER


def test_a_photo_sent_without_words_is_a_comment_as_on_the_web(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket("waiting_on_requester")
    raw = samples.with_files(
        sender=requester.email,
        to=signed(ticket),
        subject="x",
        words="",
        files=[("photo.jpg", "image", "jpeg", JPEG)],
        inline_image=None,
    )
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.body == "" and comment.actor_id == requester.id
    (photo,) = [a for a in attachments(ticket) if not a.is_internal]
    assert photo.filename == "photo.jpg" and photo.event_id == comment.id
    assert ledger()[0].status is InboundStatus.APPENDED
    db.session.refresh(ticket)
    assert ticket.status is Status.IN_PROGRESS
