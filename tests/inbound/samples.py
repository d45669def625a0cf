"""Messages in the shapes real mail clients produce, as bytes (what IMAP APPEND stores)."""

from __future__ import annotations

from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid

DESK_HOST = "127.0.0.1"  # the tests' BASE_URL host, used in desk's Message-IDs


def _headers(message: EmailMessage, *, sender, to, subject, in_reply_to=None, extra=None):
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Wed, 02 Dec 2026 09:14:00 +0100"
    message["Message-ID"] = make_msgid(domain="mail.example.org")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = f"<ticket-thread@{DESK_HOST}> {in_reply_to}"
    for name, value in (extra or {}).items():
        message[name] = value


def outlook_fr(*, sender, to, subject, in_reply_to=None, words="Merci, cela fonctionne.") -> bytes:
    """Outlook (French): new words, a "Cordialement" signature, the "De : / Envoyé :" block."""
    message = EmailMessage(policy=SMTP)
    _headers(message, sender=sender, to=to, subject=f"RE: {subject}", in_reply_to=in_reply_to)
    message["X-Mailer"] = "Microsoft Outlook 16.0"
    message["Thread-Index"] = "AdrE3xkfw1Y0s8bZQ2yYtN3o2KmJ2w=="
    text = (
        f"{words}\r\n\r\nCordialement,\r\nMarie Dupont\r\nService RH\r\n\r\n"
        "De : Centre de services <desk@univ.example>\r\n"
        "Envoyé : mardi 1 décembre 2026 17:02\r\n"
        "À : Marie Dupont <marie.dupont@umontpellier.fr>\r\n"
        f"Objet : {subject}\r\n\r\n"
        "Bonjour Marie Dupont,\r\nLe service attend votre réponse.\r\n"
    )
    html = (
        "<html><body><div class=WordSection1><p class=MsoNormal>"
        f"{words}<o:p></o:p></p><p class=MsoNormal>Cordialement,</p>"
        "<div id=divRplyFwdMsg><p><b>De :</b> Centre de services</p></div>"
        "<p>Bonjour Marie Dupont,</p></div></body></html>"
    )
    message.set_content(text, charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message.as_bytes()


def thunderbird(
    *, sender, to, subject, in_reply_to=None, words="I tried again, same error."
) -> bytes:
    """Thunderbird: format=flowed text, "On … wrote:" and ">" quoting, a "-- " signature."""
    message = EmailMessage(policy=SMTP)
    _headers(message, sender=sender, to=to, subject=f"Re: {subject}", in_reply_to=in_reply_to)
    message["User-Agent"] = "Mozilla/5.0 Thunderbird/115.5.0"
    text = (
        f"{words}\n\n-- \nJohn Smith\nLab of Physics\n\n"
        "On 01/12/2026 17:02, Centre de services wrote:\n"
        "> Hello John,\n> The desk is waiting for your answer.\n"
    )
    message.set_content(text, charset="utf-8", cte="8bit")
    message.replace_header("Content-Type", "text/plain; charset=UTF-8; format=flowed")
    return message.as_bytes()


def gmail(*, sender, to, subject, in_reply_to=None, words="D'accord, je passe demain.") -> bytes:
    """Gmail web: text + HTML, "Le … a écrit :" and a gmail_quote block."""
    message = EmailMessage(policy=SMTP)
    _headers(message, sender=sender, to=to, subject=f"Re: {subject}", in_reply_to=in_reply_to)
    text = (
        f"{words}\n\n"
        "Le mar. 1 déc. 2026 à 17:02, Centre de services <desk@univ.example> a écrit :\n\n"
        "> Bonjour,\n> Le service attend votre réponse.\n"
    )
    html = (
        f'<div dir="ltr">{words}</div><br><div class="gmail_quote"><div class="gmail_attr">'
        "Le mar. 1 déc. 2026 à 17:02, Centre de services a écrit :</div>"
        "<blockquote>Bonjour,</blockquote></div>"
    )
    message.set_content(text, charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message.as_bytes()


def exchange_out_of_office(*, sender, to, subject, in_reply_to=None) -> bytes:
    """Exchange's automatic reply: Auto-Submitted: auto-replied, X-Auto-Response-Suppress."""
    message = EmailMessage(policy=SMTP)
    _headers(
        message,
        sender=sender,
        to=to,
        subject=f"Réponse automatique : {subject}",
        in_reply_to=in_reply_to,
        extra={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
    )
    message.set_content("Je suis absente jusqu'au 4 janvier.", charset="utf-8")
    return message.as_bytes()


def windows_1252(*, sender, to, subject, in_reply_to=None) -> bytes:
    """An old client's plain text in Windows-1252, 8-bit, no HTML part."""
    body = "Le problème persiste : l’écran reste noir… « urgent »\r\n".encode("cp1252")
    headers = (
        f"From: {sender}\r\nTo: {to}\r\n"
        f"Subject: {Header('Re: ' + subject, 'windows-1252').encode()}\r\n"
        f"Message-ID: {make_msgid(domain='old.example.org')}\r\n"
        + (f"In-Reply-To: {in_reply_to}\r\n" if in_reply_to else "")
        + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=windows-1252\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return headers.encode("ascii") + body


def html_only(*, sender, to, subject, in_reply_to=None) -> bytes:
    """An HTML-only message with markup that must not survive (script, link, styles)."""
    message = EmailMessage(policy=SMTP)
    _headers(message, sender=sender, to=to, subject=f"Re: {subject}", in_reply_to=in_reply_to)
    message.set_content(
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>Voici le <b>numéro</b> de série&nbsp;: <a href='http://x.example'>SN-1234</a></p>"
        "<p>Merci <img src=x onerror=alert(2)></p></body></html>",
        subtype="html",
        charset="utf-8",
    )
    return message.as_bytes()
