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
from desk.notifications.models import NotificationEvent
from desk.notifications.outbox import Alert, write_alerts

THROTTLED = "inbound_throttled"


def tell_admins_throttled(sender: str) -> int:
    """Write one e-mail per active admin about `sender`, unless told within the hour."""
    if not throttle.first_warning(sender):
        return 0
    config = current_app.config
    admins = db.session.scalars(
        select(User).where(User.role == Role.ADMIN, User.is_active_account.is_(True))
    ).all()
    hour = f"{utcnow():%Y%m%d%H}"
    payload = {
        "alert": THROTTLED,
        "sender": sender,
        "limit": config["INBOUND_MAX_PER_MINUTE"],
        "url": f"{config['BASE_URL']}/admin/inbound",
    }
    return write_alerts(
        NotificationEvent.INBOUND_ALERT,
        [
            Alert(admin, payload, f"inbound-throttled:{sender[:120]}:{hour}:u{admin.id}")
            for admin in admins
        ],
    )
