"""A requester made staff (by the admin's page, the directory's groups or the reference file)
starts from the staff's e-mail defaults, their choices about their own requests kept
(desk.auth.roles): the choices such a requester may have stored, and what is checked after."""

from __future__ import annotations

from desk.auth.models import User
from desk.extensions import db
from desk.notifications.models import STAFF_EVENTS, NotificationEvent, NotificationPreference


def requester_saved_every_e_mail_off(user: User) -> None:
    """What saving the notification page as a requester stored before 0f92c43 (the page had
    no switch for the staff's events): every staff event and a reply to them without e-mail."""
    for event in (*STAFF_EVENTS, NotificationEvent.REPLIED):
        db.session.add(NotificationPreference(user_id=user.id, event=event, email_enabled=False))
    db.session.commit()


def assert_staff_defaults_and_own_choices(user: User) -> None:
    """Promoted: every staff e-mail on, their choice about their own requests (no e-mail for
    a reply) kept."""
    from desk.notifications.services import email_preferences

    choices = email_preferences(user)
    assert [e for e in STAFF_EVENTS if not choices[e]] == []
    assert choices[NotificationEvent.REPLIED] is False


def technician_turns_sla_warnings_off(user: User) -> None:
    """A staff member's own choice, which no later change of role (or load, or sync) undoes."""
    db.session.add(
        NotificationPreference(
            user_id=user.id, event=NotificationEvent.SLA_WARNING, email_enabled=False
        )
    )
    db.session.commit()
