"""Login and password-change forms."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo

from desk.core.forms import DeskForm, Email, Length
from desk.core.i18n import lazy_gettext as _l


class LoginForm(DeskForm):
    """E-mail and password, with "remember me"."""

    email = EmailField(
        _l("E-mail address"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            DataRequired(_l("Enter your e-mail address.")),
            Email(_l("Enter a valid e-mail address.")),
            Length(max=254, message=_l("%(max)s characters at most.")),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Enter your password.")),
            Length(max=256, message=_l("%(max)s characters at most.")),
        ],
    )
    remember = BooleanField(_l("Remember me on this computer"))


class PasswordChangeForm(DeskForm):
    """Current password, then the new one twice."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[
            DataRequired(_l("Enter your current password.")),
            Length(max=256, message=_l("%(max)s characters at most.")),
        ],
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Enter a new password.")),
            Length(min=8, max=256, message=_l("Use between 8 and 256 characters.")),
        ],
    )
    confirm = PasswordField(
        _l("Confirm the new password"),
        validators=[
            DataRequired(_l("Enter the new password again.")),
            EqualTo("new_password", _l("The two new passwords are not the same.")),
        ],
    )
