"""Telling the admins about incoming mail that needs them (a throttled sender), by e-mail.

Written to the notification outbox like every e-mail desk sends (so retried, listed when
failed), once per sender and hour: a flood of a thousand messages is one e-mail per admin.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from desk.auth.models import Role, User
from desk.core.db import utcnow
from desk.extensions import db
from desk.inbound import throttle
from desk.notifications.models import Channel, DeliveryStatus, Notification, NotificationEvent
from desk.notifications.outbox import _insert_ignoring_duplicates, schedule_delivery

THROTTLED = "inbound_throttled"


def tell_admins_throttled(sender: str) -> int:
    """Write one e-mail per active admin about `sender`, unless told within the hour."""
    if not throttle.first_warning(sender):
        return 0
    config = current_app.config
    admins = db.session.scalars(
        select(User).where(User.role == Role.ADMIN, User.is_active_account.is_(True))
    ).all()
    now = utcnow()
    rows = [
        {
            "event": NotificationEvent.INBOUND_ALERT,
            "ticket_id": None,
            "recipient_id": admin.id,
            "channel": Channel.EMAIL,
            "payload": {
                "alert": THROTTLED,
                "to": admin.email,
                "name": admin.display_name,
                "locale": admin.locale or config["BABEL_DEFAULT_LOCALE"],
                "sender": sender,
                "limit": config["INBOUND_MAX_PER_MINUTE"],
                "url": f"{config['BASE_URL']}/admin/inbound",
                "events": [{"event": NotificationEvent.INBOUND_ALERT.value}],
            },
            "dedupe_key": f"inbound-throttled:{sender[:120]}:{now:%Y%m%d%H}:u{admin.id}",
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": "",
            "created_at": now,
            "sent_at": None,
        }
        for admin in admins
    ]
    if not rows:
        return 0
    inserted = db.session.execute(
        _insert_ignoring_duplicates(db.session).returning(Notification.id), rows
    ).scalars()
    ids = list(inserted)
    schedule_delivery(ids)
    return len(ids)
