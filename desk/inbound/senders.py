"""Who wrote a received message: their account, by the address or, with a directory, by
another of their institutional addresses."""

from __future__ import annotations

import logging

from flask import current_app

from desk.auth.models import User
from desk.auth.services import find_user
from desk.identity.directory import DirectoryUnavailable, get_directory
from desk.identity.services import account_for_mail
from desk.inbound.parsing import IncomingMail

log = logging.getLogger(__name__)


def sender_account(mail: IncomingMail) -> tuple[User | None, str]:
    """The sender's account, and a technical note for the admins when the directory failed.

    By the address first (the common path: no directory call). A university person often
    writes from another of their institutional addresses (an alias, the student or the staff
    one): with a directory, the one entry listing that address (mail, mailAlternateAddress,
    supannAutreMail; never supannMailPerso, a personal mailbox) gives its linked account.
    Down, the message is held as from an unknown sender, to be retried.
    """
    if not mail.sender:
        return None, ""
    sender = find_user(mail.sender)
    if sender is not None and sender.is_active:
        return sender, ""
    directory = get_directory(current_app.config)
    if directory is None:
        return sender, ""
    try:
        by_alias = account_for_mail(mail.sender, directory)
    except DirectoryUnavailable as exc:
        log.warning("inbound: directory unavailable for sender %r: %s", mail.sender, exc)
        return sender, f"directory unavailable: {exc}"
    if by_alias is not None:
        log.info("inbound: %s is an address of %s (directory)", mail.sender, by_alias.email)
        return by_alias, ""
    return sender, ""
