"""The confirmation of an erasure an administrator makes on someone's request."""

from __future__ import annotations

from wtforms import BooleanField
from wtforms.validators import InputRequired

from desk.core.forms import DeskForm
from desk.core.i18n import lazy_gettext as _l


class EraseForm(DeskForm):
    confirm = BooleanField(
        _l("I understand that this cannot be undone"),
        validators=[InputRequired(_l("Tick the box to confirm the erasure."))],
    )
