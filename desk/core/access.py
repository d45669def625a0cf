"""The one access-control decorator every view carries.

`@access(...)` states who may call a view; a test walks the URL map and fails if a view lacks
it. Object-level rules (which tickets a user may see) live next to their models and are applied
by the same functions to list queries and to single-object lookups.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import abort
from flask_login import current_user

from desk.auth.models import Role
from desk.extensions import login_manager

F = TypeVar("F", bound=Callable)

PUBLIC = "public"
AUTHENTICATED = "authenticated"


def access(*roles: Role | str) -> Callable[[F], F]:
    """Allow a view to the given roles; `PUBLIC` for anyone, `AUTHENTICATED` for any login.

    Anonymous users are sent to the login page; a logged-in user without the role gets 403.
    """
    if not roles:
        raise ValueError("access() needs at least one role, PUBLIC or AUTHENTICATED")
    allowed = {str(r) for r in roles}

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if PUBLIC not in allowed:
                if not current_user.is_authenticated:
                    return login_manager.unauthorized()
                if AUTHENTICATED not in allowed and current_user.role.value not in allowed:
                    abort(403)
            return view(*args, **kwargs)

        wrapper.desk_access = frozenset(allowed)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


STAFF = (Role.TECHNICIAN, Role.ADMIN)
