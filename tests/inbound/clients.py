"""Answers to a real desk e-mail, shaped as mail clients shape them.

Each builder takes the e-mail desk sent (as the SMTP server received it) and the words typed
above it, and returns the bytes the client would send: its subject prefix, its threading
headers, its attribution line and the desk e-mail's own text or HTML quoted below the words,
in the client's charset and transfer encoding. desk must find the ticket and keep the words,
once, without the history.
"""

from __future__ import annotations

import html
import textwrap
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import getaddresses, make_msgid

from tests.support.tnef import winmail

REQUESTER = "Marie Dupont <marie.dupont@umontpellier.fr>"
# The winmail.dat of a message written in rich text with no file (desk opens it: none).
TNEF = winmail([])


def _plain(original: EmailMessage) -> str:
    return original.get_body(("plain",)).get_content().replace("\r\n", "\n")


def _html(original: EmailMessage) -> str:
    return original.get_body(("html",)).get_content()


def _from(original: EmailMessage) -> tuple[str, str]:
    ((name, address),) = getaddresses([str(original["From"])])
    return name, address


def _encodable(text: str, charset: str) -> str:
    # What a Latin-1 client makes of desk's typographic apostrophes when it quotes them.
    return text.encode(charset, "replace").decode(charset)


def _quoted(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.splitlines())


def _answer(
    original: EmailMessage,
    *,
    prefix: str = "Re: ",
    sender: str = REQUESTER,
    to: str | None = None,
    threaded: bool = True,
    **extra: str,
) -> EmailMessage:
    """The headers of an answer: the Reply-To as recipient, In-Reply-To and References."""
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = to or str(original["Reply-To"])
    message["Subject"] = prefix + str(original["Subject"])
    message["Date"] = "Mon, 07 Dec 2026 10:05:00 +0100"
    message["Message-ID"] = make_msgid(domain="mail.umontpellier.fr")
    if threaded:
        message["In-Reply-To"] = str(original["Message-ID"])
        message["References"] = f"{original['References']} {original['Message-ID']}"
    for name, value in extra.items():
        message[name.replace("_", "-")] = value
    return message


def outlook_desktop(original: EmailMessage, words: str, *, tnef: bool = False, **head) -> bytes:
    """Outlook for Windows (French): text in Windows-1252 quoted-printable whose header block
    has no-break spaces before the colons ("De\xa0:"), HTML with the border-top block, and a
    winmail.dat when the message was written in rich text."""
    name, address = _from(original)
    message = _answer(original, prefix="RE : ", **head)
    message["X-Mailer"] = "Microsoft Outlook 16.0"
    message["Thread-Index"] = "AdrE3xkfw1Y0s8bZQ2yYtN3o2KmJ2w=="
    header = (
        f"De\xa0: {name} <{address}>\nEnvoyé\xa0: lundi 7 décembre 2026 10:00\n"
        f"À\xa0: Marie Dupont <marie.dupont@umontpellier.fr>\nObjet\xa0: {original['Subject']}"
    )
    text = f"{words}\n\n{header}\n\n{_plain(original)}\n"
    paragraphs = "".join(
        f"<p class=MsoNormal>{html.escape(line)}<o:p></o:p></p>" for line in words.splitlines()
    )
    block = html.escape(header).replace("\n", "<br>\n")
    body = (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta http-equiv='
        '"Content-Type" content="text/html; charset=windows-1252"><style><!--p.MsoNormal'
        "{margin:0cm}--></style></head><body lang=FR><div class=WordSection1>"
        f"{paragraphs}<p class=MsoNormal><o:p>&nbsp;</o:p></p><div style='border:none;"
        f"border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'><p class=MsoNormal>{block}"
        f"</p></div><p class=MsoNormal><o:p>&nbsp;</o:p></p>{_html(original)}</div></body></html>"
    )
    message.set_content(text, charset="windows-1252", cte="quoted-printable")
    message.add_alternative(body, subtype="html", charset="windows-1252", cte="quoted-printable")
    if tnef:
        message.make_mixed()
        message.add_attachment(
            TNEF, maintype="application", subtype="ms-tnef", filename="winmail.dat"
        )
    return message.as_bytes()


def outlook_web(original: EmailMessage, words: str, **head) -> bytes:
    """Outlook on the web and the new Outlook: HTML only, base64; below the words an empty
    <div id="appendonsend">, a rule, the "De : / Envoyé :" block in #divRplyFwdMsg, then
    the original message's HTML as siblings."""
    name, address = _from(original)
    message = _answer(original, prefix="RE: ", **head)
    typed = "".join(
        f'<div class="elementToProof" style="font-family:Aptos">{html.escape(line)}</div>'
        for line in words.splitlines()
    )
    body = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        f'</head><body dir="ltr">{typed}<div><br></div><div id="appendonsend"></div>'
        '<hr style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg" '
        'dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt"><b>De :</b> '
        f"{html.escape(name)} &lt;{address}&gt;<br><b>Envoyé :</b> lundi 7 décembre 2026 "
        f"10:00<br><b>À :</b> Marie Dupont<br><b>Objet :</b> {html.escape(original['Subject'])}"
        f"</font><div>&nbsp;</div></div><div>{_html(original)}</div></body></html>"
    )
    message.set_content(body, subtype="html", charset="utf-8", cte="base64")
    return message.as_bytes()


def _gmail_wrap(line: str) -> str:
    # Gmail's text part is hard-wrapped at 78 columns, the attribution line too.
    return "\n".join(textwrap.wrap(line, 78, break_long_words=False, break_on_hyphens=False))


def gmail(original: EmailMessage, words: str, *, english: bool = False, **head) -> bytes:
    """Gmail web: text (quoted-printable) with the attribution wrapped, HTML with a
    gmail_quote block."""
    name, address = _from(original)
    message = _answer(original, **head)
    if english:
        attribution = f"On Mon, Dec 7, 2026 at 10:00 AM {name} <{address}> wrote:"
    else:
        attribution = f"Le lun. 7 déc. 2026 à 10:00, {name} <{address}> a écrit :"
    text = f"{words}\n\n{_gmail_wrap(attribution)}\n\n{_quoted(_plain(original))}\n"
    typed = "".join(f"<div>{html.escape(line)}</div>" for line in words.splitlines())
    body = (
        f'<div dir="ltr">{typed}</div><br><div class="gmail_quote"><div dir="ltr" '
        f'class="gmail_attr">{html.escape(attribution)}<br></div><blockquote class="gmail_quote"'
        f' style="margin:0px 0px 0px 0.8ex">{_html(original)}</blockquote></div>'
    )
    message.set_content(text, charset="utf-8", cte="quoted-printable")
    message.add_alternative(body, subtype="html", charset="utf-8", cte="quoted-printable")
    return message.as_bytes()


def apple_mail(original: EmailMessage, words: str, **head) -> bytes:
    """Apple Mail (macOS, French): the attribution "Le 7 déc. 2026 à 10:00, X <x> a écrit :"
    and a blockquote type=cite."""
    name, address = _from(original)
    message = _answer(original, **head)
    message["X-Mailer"] = "Apple Mail (2.3774.200.91.1.1)"
    attribution = f"Le 7 déc. 2026 à 10:00, {name} <{address}> a écrit :"
    text = f"{words}\n\n{attribution}\n\n{_quoted(_plain(original))}\n"
    typed = "".join(f"<div>{html.escape(line)}</div>" for line in words.splitlines())
    body = (
        '<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head>'
        f'<body style="overflow-wrap: break-word;">{typed}<div><br><blockquote type="cite">'
        f"<div>{html.escape(attribution)}</div><br>{_html(original)}</blockquote></div></body>"
        "</html>"
    )
    message.set_content(text, charset="utf-8", cte="quoted-printable")
    message.add_alternative(body, subtype="html", charset="utf-8", cte="quoted-printable")
    return message.as_bytes()


def iphone(original: EmailMessage, words: str, **head) -> bytes:
    """iOS Mail: "Envoyé de mon iPhone", then the attribution itself quoted with ">"."""
    name, address = _from(original)
    message = _answer(original, **head)
    message["X-Mailer"] = "iPhone Mail (22B91)"
    text = (
        f"{words}\n\nEnvoyé de mon iPhone\n\n"
        f"> Le 7 déc. 2026 à 10:00, {name} <{address}> a écrit :\n>\n"
        f"> \ufeff{_quoted(_plain(original))[2:]}\n"
    )
    message.set_content(text, charset="utf-8", cte="quoted-printable")
    return message.as_bytes()


def _flowed(paragraph: str) -> str:
    # RFC 3676: a soft break is a space left at the end of the line.
    return " \n".join(textwrap.wrap(paragraph, 72, break_long_words=False))


def thunderbird(original: EmailMessage, words: str, *, charset="utf-8", **head) -> bytes:
    """Thunderbird: format=flowed text (long lines soft-broken at 72 columns), "Le … a écrit :"
    and ">" quoting, a "-- " signature; 8bit (or ISO-8859-1 when asked)."""
    name, _address = _from(original)
    message = _answer(original, **head)
    message["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Thunderbird/128.5.0"
    typed = "\n".join(_flowed(line) if line else "" for line in words.split("\n"))
    text = (
        f"{typed}\n\n-- \nMarie Dupont\nService RH\n\n"
        f"Le 07/12/2026 à 10:00, {name} a écrit :\n{_quoted(_plain(original))}\n"
    )
    cte = "8bit" if charset == "utf-8" else "quoted-printable"
    message.set_content(_encodable(text, charset), charset=charset, cte=cte)
    message.set_param("format", "flowed")
    return message.as_bytes()


def android_outlook(original: EmailMessage, words: str, **head) -> bytes:
    """Outlook for Android (French): "Obtenir Outlook pour Android", a line of underscores
    and the header block, in base64."""
    name, address = _from(original)
    message = _answer(original, prefix="RE: ", **head)
    text = (
        f"{words}\n\nObtenir Outlook pour Android<https://aka.ms/AAb9ysg>\n"
        "________________________________\n"
        f"De : {name} <{address}>\nEnvoyé : lundi, décembre 7, 2026 10:00\n"
        f"À : Marie Dupont <marie.dupont@umontpellier.fr>\nObjet : {original['Subject']}\n\n"
        f"{_plain(original)}\n"
    )
    message.set_content(text, charset="utf-8", cte="base64")
    return message.as_bytes()


def latin1_webmail(original: EmailMessage, words: str, **head) -> bytes:
    """An old webmail: ISO-8859-1 quoted-printable text, the history under a
    "-----Message d'origine-----" separator."""
    name, address = _from(original)
    message = _answer(original, prefix="Réf : ", **head)
    text = (
        f"{words}\n\n-----Message d'origine-----\nDe : {name} [mailto:{address}]\n"
        f"Envoyé : lundi 7 décembre 2026 10:00\nObjet : {original['Subject']}\n\n"
        f"{_plain(original)}\n"
    )
    message.set_content(
        _encodable(text, "iso-8859-1"), charset="iso-8859-1", cte="quoted-printable"
    )
    return message.as_bytes()


def raw_base64(original: EmailMessage, words: str, **head) -> bytes:
    """German Outlook ("AW:", "Von: / Gesendet:") as plain base64 UTF-8."""
    name, address = _from(original)
    message = _answer(original, prefix="AW: ", **head)
    text = (
        f"{words}\n\nVon: {name} <{address}>\nGesendet: Montag, 7. Dezember 2026 10:00\n"
        f"An: Marie Dupont <marie.dupont@umontpellier.fr>\nBetreff: {original['Subject']}\n\n"
        f"{_plain(original)}\n"
    )
    message.set_content(text, charset="utf-8", cte="base64")
    return message.as_bytes()


LATIN_1 = {"thunderbird_latin1", "latin1_webmail"}
CLIENTS = {
    "outlook_desktop": outlook_desktop,
    "outlook_desktop_tnef": lambda o, w, **h: outlook_desktop(o, w, tnef=True, **h),
    "outlook_web": outlook_web,
    "gmail_fr": gmail,
    "gmail_en": lambda o, w, **h: gmail(o, w, english=True, **h),
    "apple_mail": apple_mail,
    "iphone": iphone,
    "thunderbird": thunderbird,
    "thunderbird_latin1": lambda o, w, **h: thunderbird(o, w, charset="iso-8859-1", **h),
    "android_outlook": android_outlook,
    "latin1_webmail": latin1_webmail,
    "german_outlook": raw_base64,
}
