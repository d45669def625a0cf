"""Per-ticket reply addresses: `desk+DEM-2026-000042.<hmac>@univ.fr`.

The tag carries the reference and an HMAC of it under the secret key, so an address cannot
be guessed from a reference; a match proves the sender received one of desk's e-mails about
that ticket. The e-mails desk sends to staff carry an address signed for staff: only a reply
to one of those may be written on the ticket as staff (a requester, or someone in copy, has
the other address, and a From line is easily forged). Pure: the secret is passed in.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from desk.tickets.references import REFERENCE

_SIGNATURE_CHARS = 16  # 64 bits of hex: no online guessing gets through, short enough to read
# Case-insensitive: some relays lower-case the local part.
_TAG = re.compile(rf"(?P<reference>{REFERENCE})\.(?P<signature>[0-9a-f]{{16}})", re.IGNORECASE)


def _signature(reference: str, secret: str, *, staff: bool = False) -> str:
    purpose = "reply-staff" if staff else "reply"
    digest = hmac.new(secret.encode(), f"{purpose}:{reference}".encode(), hashlib.sha256)
    return digest.hexdigest()[:_SIGNATURE_CHARS]


def reply_address(base: str, reference: str, secret: str, *, staff: bool = False) -> str:
    """The reply address of one ticket, built on `base` (`desk@univ.fr`); `staff` for the
    e-mails sent to staff."""
    local, _, domain = base.rpartition("@")
    return f"{local}+{reference}.{_signature(reference, secret, staff=staff)}@{domain}"


def message_signature(notification_id: int, secret: str) -> str:
    """The HMAC that desk's Message-IDs carry (`<ticket-REF.notif-N.SIG@host>`): an answer
    whose In-Reply-To names it proves its sender read that e-mail, which a guessed
    notification number does not."""
    digest = hmac.new(secret.encode(), f"message:{notification_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:_SIGNATURE_CHARS]


def valid_message_signature(notification_id: int, signature: str, secret: str) -> bool:
    expected = message_signature(notification_id, secret)
    return hmac.compare_digest(signature.lower(), expected)


class AddressMatch:
    """What a recipient address says: not ours, ours with a good signature (for staff or
    not), or forged."""

    def __init__(self, reference: str | None, valid: bool, staff: bool = False):
        self.reference = reference
        self.valid = valid
        self.staff = staff


def read_reply_address(address: str, base: str, secret: str) -> AddressMatch | None:
    """None when `address` is not a plus address of `base`; else the reference and whether
    its signature is right (compared in constant time)."""
    base_local, _, base_domain = base.lower().rpartition("@")
    local, _, domain = address.strip().rpartition("@")
    if domain.lower() != base_domain or not local.lower().startswith(base_local + "+"):
        return None
    match = _TAG.fullmatch(local[len(base_local) + 1 :])
    if match is None:
        return AddressMatch(None, False)
    reference = match["reference"].upper()
    signature = match["signature"].lower()
    if hmac.compare_digest(signature, _signature(reference, secret, staff=True)):
        return AddressMatch(reference, True, staff=True)
    valid = hmac.compare_digest(signature, _signature(reference, secret))
    return AddressMatch(reference, valid)


# One plain address as a queue's may be (what people type in To): a dot-atom local part, a
# domain of letters, digits and hyphens ("localhost" too: the demo's).
_QUEUE_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
)


def valid_queue_address(address: str) -> bool:
    """Whether `address` is one e-mail address that a queue may have (not a name, a list)."""
    return len(address) <= 320 and bool(_QUEUE_ADDRESS.fullmatch(address))


def own_mailbox(address: str, *, reply_base: str, senders: list[str]) -> str:
    """Which of desk's own addresses `address` is ("DESK_REPLY_ADDRESS" for its reply base
    or any plus address of it, "DESK_MAIL_FROM" for the From of its e-mails, `senders`),
    else "". Mail to them is answers to desk's e-mails, not new requests: a queue with one
    of them would open a ticket from each reply sent to the From line, and each reply to
    the reply address would be read as both."""
    address = address.strip().lower()
    base = reply_base.strip().lower()
    if base:
        local, _, domain = base.rpartition("@")
        mine_local, _, mine_domain = address.rpartition("@")
        if address == base or (mine_domain == domain and mine_local.startswith(local + "+")):
            return "DESK_REPLY_ADDRESS"
    if any(address == sender.strip().lower() for sender in senders if sender):
        return "DESK_MAIL_FROM"
    return ""
