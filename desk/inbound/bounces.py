"""A bounce marks the notification it is about as failed, with the remote server's reason.

Nothing is added to any ticket and nothing is answered. The notification is found by the
Message-ID desk gave it (`<ticket-REF.notif-N@host>`, the host checked to be desk's own),
so a forged bounce can at most mark one of desk's own e-mails as failed — which the admins
see and can retry. The failed e-mails page shows the reason.
"""

from __future__ import annotations

from typing import Any

from desk.extensions import db
from desk.inbound.dsn import read_bounce
from desk.inbound.parsing import IncomingMail
from desk.notifications.mailer import mail_host
from desk.notifications.models import Channel, DeliveryStatus, Notification


def record_bounce(mail: IncomingMail) -> dict[str, Any]:
    """Mark the bounced notification failed; the parameters of the ledger's reason."""
    assert mail.bounce is not None
    bounce = read_bounce(mail.bounce, mail.raw)
    data: dict[str, Any] = {
        "recipient": bounce.recipient or "?",
        "diagnostic": bounce.diagnostic or bounce.status or "?",
        "status": bounce.status,
        "notification": None,
    }
    if bounce.notification_id is None or bounce.host.lower() != mail_host().lower():
        return data
    if not bounce.is_failure:
        return data  # "delayed": the server is still trying; nothing to mark yet
    row = db.session.get(Notification, bounce.notification_id, with_for_update=True)
    if row is None or row.channel is not Channel.EMAIL:
        return data
    if not bounce.recipient and row.recipient is not None:
        # A plain-text bounce may not name the address; the e-mail row knows whom it was for.
        data["recipient"] = row.recipient.email
    row.status = DeliveryStatus.FAILED
    row.last_error = f"bounce {bounce.status}: {bounce.diagnostic}"[:1000]
    row.payload = {
        **row.payload,
        "bounce": {
            "recipient": bounce.recipient,
            "status": bounce.status,
            "diagnostic": bounce.diagnostic,
        },
    }
    data["notification"] = row.id
    return data
