"""A change of an account's role, whoever makes it: an administrator's account page, the
directory's groups (sync and sign-in), the reference file (`flask desk load-reference`)."""

from __future__ import annotations

from desk.auth.models import Role, User
from desk.notifications.preferences import forget_staff_choices


def change_role(user: User, role: Role) -> None:
    """Give `user` the role `role`. A requester made technician or administrator starts from
    the staff's e-mail defaults (forget_staff_choices, f9ca11a); one way in that skipped it
    left a promoted requester hearing of nothing they were given. The caller commits."""
    if user.id is not None and user.role is Role.REQUESTER and role is not Role.REQUESTER:
        forget_staff_choices(user)
    user.role = role
