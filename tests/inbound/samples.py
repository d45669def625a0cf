"""Messages in the shapes real mail clients produce, as bytes (what IMAP APPEND stores)."""

from __future__ import annotations

from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid

from tests.support.tnef import winmail

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


def apple_mail(*, sender, to, subject, in_reply_to=None, words="C’est réparé, merci !") -> bytes:
    """Apple Mail: quoted-printable text + HTML, "Le … a écrit :" and a blockquote."""
    message = EmailMessage(policy=SMTP)
    _headers(message, sender=sender, to=to, subject=f"Re: {subject}", in_reply_to=in_reply_to)
    message["X-Mailer"] = "Apple Mail (2.3774.200.91.1.1)"
    text = (
        f"{words}\n\nMarie\n\n"
        "> Le 1 déc. 2026 à 17:02, Centre de services <desk@univ.example> a écrit :\n"
        "> \n> Bonjour,\n> Le service attend votre réponse.\n"
    )
    html = (
        f'<html><body style="overflow-wrap: break-word;"><div>{words}</div><div><br></div>'
        '<div>Marie</div><div><br><blockquote type="cite"><div>Le 1 déc. 2026 à 17:02, '
        "Centre de services a écrit :</div><div>Bonjour,</div></blockquote></div></body></html>"
    )
    message.set_content(text, charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message.as_bytes()


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def with_files(
    *,
    sender,
    to,
    subject,
    in_reply_to=None,
    words="Voici la capture et le devis.",
    files=(("devis.pdf", "application", "pdf", PDF),),
    inline_image: bytes | None = PNG,
    inline_type: str = "png",
) -> bytes:
    """Outlook/Thunderbird with files: multipart/mixed around multipart/related (an inline
    image referenced by cid:, of type image/`inline_type`) and the attached files."""
    message = EmailMessage(policy=SMTP)
    _headers(message, sender=sender, to=to, subject=f"Re: {subject}", in_reply_to=in_reply_to)
    message.set_content(f"{words}\n", charset="utf-8")
    if inline_image is not None:
        message.add_alternative(
            f'<p>{words}</p><p><img src="cid:capture@mail"></p>', subtype="html", charset="utf-8"
        )
        html = message.get_payload()[1]
        html.add_related(inline_image, "image", inline_type, cid="<capture@mail>")
    for name, maintype, subtype, content in files:
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


# The signature logo Outlook sends with every message (same bytes each time), and another
# picture: both PNG as the upload checks see them (the same header, other bytes after it).
LOGO = PNG + b"logo of the HR department"
SCREENSHOT = PNG + b"screenshot of the error"


def outlook_signature(
    *,
    sender,
    to,
    subject,
    words="Toujours la même erreur.",
    pasted: bytes | None = None,
    files=(),
    sign_off=("Cordialement,", "Marie Dupont"),
) -> bytes:
    """Outlook desktop: its HTML body shows the signature logo (image001.png, inline, with
    a Content-ID) below the sign-off and, `pasted`, a screenshot pasted in the text
    (image002.png); then the files attached as such."""
    message = EmailMessage(policy=SMTP)
    _headers(message, sender=sender, to=to, subject=subject)
    message["X-Mailer"] = "Microsoft Outlook 16.0"
    message.set_content("\r\n\r\n".join([words, "\r\n".join(sign_off)]), charset="utf-8")
    pictures = [("image001.png", LOGO)] + ([("image002.png", pasted)] if pasted else [])
    cids = {name: f"{name}@01DB4C2A.5E3F1A20" for name, _ in pictures}
    # As Outlook writes them: each picture with the size it is shown at.
    html = "".join(
        f'<p><img width=602 height=338 src="cid:{cids[name]}"></p>' for name, _ in pictures[1:]
    )
    html = f"<html><body><p>{words}</p>{html}<p>{'<br>'.join(sign_off)}</p>"
    html += f'<p><img width=120 height=40 src="cid:{cids["image001.png"]}"></p></body></html>'
    message.add_alternative(html, subtype="html", charset="utf-8")
    related = message.get_payload()[1]
    for name, content in pictures:
        related.add_related(
            content, "image", "png", cid=f"<{cids[name]}>", disposition="inline", filename=name
        )
    for name, maintype, subtype, content in files:
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def postfix_bounce(*, original_message_id: str, recipient: str, host="mx.univ.example") -> bytes:
    """Postfix's bounce: multipart/report with a human part, message/delivery-status and the
    original's headers (text/rfc822-headers), from MAILER-DAEMON with an empty Return-Path."""
    boundary = "8C2A5E0C31.1733130840/mx.univ.example"
    return (
        "Return-Path: <>\r\n"
        f"From: MAILER-DAEMON@{host} (Mail Delivery System)\r\n"
        "To: desk@univ.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Date: Wed, 02 Dec 2026 09:14:00 +0100 (CET)\r\n"
        f"Message-ID: <20261202081400.8C2A5E0C31@{host}>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status;\r\n"
        f'\tboundary="{boundary}"\r\n'
        "\r\n"
        "This is a MIME-encapsulated message.\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Notification\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"This is the mail system at host {host}.\r\n\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n\r\n"
        f"<{recipient}>: host mail.example.org[192.0.2.1] said: 550 5.1.1\r\n"
        "    <" + recipient + ">: Recipient address rejected: User unknown\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Delivery report\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; {host}\r\n"
        "X-Postfix-Queue-ID: 8C2A5E0C31\r\n"
        "Arrival-Date: Wed,  2 Dec 2026 09:13:58 +0100 (CET)\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Original-Recipient: rfc822;{recipient}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        "Remote-MTA: dns; mail.example.org\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <" + recipient + ">: Recipient address rejected:\r\n"
        "    User unknown in local recipient table\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Undelivered Message Headers\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
        "From: Centre de services <desk@univ.example>\r\n"
        f"To: {recipient}\r\n"
        "Subject: [DEM-2026-000001] Demande reçue\r\n"
        f"Message-ID: {original_message_id}\r\n"
        "Auto-Submitted: auto-generated\r\n\r\n"
        f"--{boundary}--\r\n"
    ).encode()


def exchange_ndr(*, original_message_id: str, recipient: str) -> bytes:
    """Exchange Online's non-delivery report: multipart/report, a French human part, the
    delivery status, and the whole original as message/rfc822."""
    boundary = "_000_AM0PR01MB1234_"
    original = (
        "From: Centre de services <desk@univ.example>\r\n"
        f"To: {recipient}\r\n"
        "Subject: [DEM-2026-000001] =?utf-8?q?Demande_re=C3=A7ue?=\r\n"
        f"Message-ID: {original_message_id}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour,\r\n"
    )
    return (
        "From: postmaster@outlook.example\r\n"
        "To: desk@univ.example\r\n"
        "Subject: =?utf-8?q?Non_remis=C2=A0=3A_=5BDEM-2026-000001=5D_Demande_re=C3=A7ue?=\r\n"
        "Message-ID: <ndr-4f2a@AM0PR01MB1234.eurprd01.prod.outlook.example>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "Content-Language: fr-FR\r\n"
        "X-MS-Exchange-Message-Is-Ndr: \r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"Votre message n’a pas pu être remis à {recipient}.\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns;AM0PR01MB1234.eurprd01.prod.outlook.example\r\n\r\n"
        f"Final-Recipient: rfc822;{recipient}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.10\r\n"
        "Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; "
        f"{recipient} not found\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/rfc822\r\n\r\n"
        f"{original}\r\n"
        f"--{boundary}--\r\n"
    ).encode()


def html_newsletter(*, sender, to, subject, in_reply_to=None) -> bytes:
    """An HTML-only newsletter (a mailing tool): List-Unsubscribe, no List-Id, no Precedence."""
    message = EmailMessage(policy=SMTP)
    _headers(message, sender=sender, to=to, subject=subject, in_reply_to=in_reply_to)
    message["List-Unsubscribe"] = (
        "<https://news.example.org/u/123>, <mailto:u-123@news.example.org>"
    )
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(
        "<html><body><table><tr><td><h1>Lettre d’information</h1><p>Nouveautés du mois"
        "</p></td></tr></table></body></html>",
        subtype="html",
        charset="utf-8",
    )
    return message.as_bytes()


FORWARDED = "Bonjour,\nL’étudiant 21804512 ne peut plus se connecter à l’ENT depuis vendredi.\n"


def outlook_forward_fr(*, sender, to, subject, in_reply_to=None, words="Pour info") -> bytes:
    """Outlook (French) forward, "TR:": a few words, a signature, then the forwarded message
    under "-----Message d'origine-----" and its "De : / Envoyé :" block, its own history
    quoted with ">"."""
    message = EmailMessage(policy=SMTP)
    _headers(message, sender=sender, to=to, subject=f"TR: {subject}", in_reply_to=in_reply_to)
    message["X-Mailer"] = "Microsoft Outlook 16.0"
    text = (
        f"{words}\r\n\r\nCordialement,\r\nPaul Martin\r\n\r\n"
        "-----Message d'origine-----\r\n"
        "De : Service Scolarité <scolarite@umontpellier.fr>\r\n"
        "Envoyé : lundi 7 décembre 2026 09:58\r\n"
        "À : Paul Martin <paul.martin@umontpellier.fr>\r\n"
        f"Objet : {subject}\r\n\r\n"
        + FORWARDED.replace("\n", "\r\n")
        + "\r\n> Le compte a été réactivé le 2 décembre.\r\n"
    )
    html = (
        f"<html><body><p>{words}</p><p>Cordialement,<br>Paul Martin</p>"
        "<div id=divRplyFwdMsg><p><b>De :</b> Service Scolarité</p></div>"
        f"<p>{FORWARDED}</p></body></html>"
    )
    message.set_content(text, charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message.as_bytes()


def gmail_forward(*, sender, to, subject, words="FYI", french=False, forwarded=FORWARDED) -> bytes:
    """Gmail's forward ("Fwd:"): "---------- Forwarded message ---------" (or, in French,
    "---------- Message transféré ---------") and the forwarded header, text + HTML."""
    message = EmailMessage(policy=SMTP)
    _headers(message, sender=sender, to=to, subject=f"Fwd: {subject}")
    marker = "Message transféré" if french else "Forwarded message"
    head = (
        "De : Service Scolarité <scolarite@umontpellier.fr>\nDate : lun. 7 déc. 2026 à 09:58\n"
        if french
        else "From: Service Scolarité <scolarite@umontpellier.fr>\n"
        "Date: Mon, Dec 7, 2026 at 9:58 AM\n"
    )
    text = (
        f"{words}\n\n---------- {marker} ---------\n{head}"
        f"Subject: {subject}\nTo: <paul.martin@umontpellier.fr>\n\n\n{forwarded}"
    )
    html = (
        f'<div dir="ltr">{words}<br><br><div class="gmail_quote"><div class="gmail_attr">'
        f"---------- {marker} ---------<br></div><div>{forwarded}</div></div></div>"
    )
    message.set_content(text, charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message.as_bytes()


def forward_as_attachment(*, sender, to, subject, words="Pour info") -> bytes:
    """Outlook's "forward as attachment": the typed words, the message as message/rfc822."""
    forwarded = EmailMessage(policy=SMTP)
    forwarded["From"] = "Service Scolarité <scolarite@umontpellier.fr>"
    forwarded["To"] = "paul.martin@umontpellier.fr"
    forwarded["Subject"] = subject
    forwarded["Message-ID"] = make_msgid(domain="umontpellier.fr")
    forwarded.set_content(FORWARDED, charset="utf-8")
    message = EmailMessage(policy=SMTP)
    _headers(message, sender=sender, to=to, subject=f"TR: {subject}")
    message.set_content(f"{words}\n", charset="utf-8")
    message.add_attachment(forwarded, filename=f"{subject}.eml")
    return message.as_bytes()


VCARD = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Marie Dupont\r\nEND:VCARD\r\n"
ICALENDAR = (
    b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Point salle B-214\r\n"
    b"DTSTART:20261208T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
# The winmail.dat of a message written in rich text with no file (desk opens it: none).
TNEF = winmail([])


def with_client_parts(
    *, sender, to, subject, in_reply_to=None, words="Voici le devis.", files=()
) -> bytes:
    """What Outlook and phones add on their own: a meeting invitation's iCalendar as a third
    alternative of the body (and its invite.ics), the sender's vCard (text/x-vcard and
    text/vcard), Outlook's winmail.dat (application/ms-tnef); then the person's own files."""
    message = EmailMessage(policy=SMTP)
    _headers(message, sender=sender, to=to, subject=f"Re: {subject}", in_reply_to=in_reply_to)
    message.set_content(f"{words}\n", charset="utf-8")
    message.add_alternative(f"<p>{words}</p>", subtype="html", charset="utf-8")
    message.add_alternative(ICALENDAR, "text", "calendar", params={"method": "REQUEST"})
    message.add_attachment(ICALENDAR, "application", "ics", filename="invite.ics")
    message.add_attachment(VCARD, "text", "x-vcard", filename="Marie Dupont.vcf")
    message.add_attachment(VCARD, "text", "vcard")
    message.add_attachment(TNEF, "application", "ms-tnef", filename="winmail.dat")
    for name, maintype, subtype, content in files:
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def html_forward(*, sender, to, subject, words="Pour info") -> bytes:
    """Outlook on the web's HTML-only forward: the forwarded header in div#divRplyFwdMsg,
    the forwarded message below it."""
    message = EmailMessage(policy=SMTP)
    _headers(message, sender=sender, to=to, subject=f"TR: {subject}")
    message.set_content(
        f"<html><body><div>{words}</div><hr><div id=divRplyFwdMsg><b>De :</b> Service "
        f"Scolarité &lt;scolarite@umontpellier.fr&gt;<br><b>Objet :</b> {subject}</div>"
        f"<div>{FORWARDED}</div></body></html>",
        subtype="html",
        charset="utf-8",
    )
    return message.as_bytes()
