"""The form that puts someone in copy of a ticket."""

from __future__ import annotations

from wtforms import StringField
from wtforms.validators import DataRequired

from desk.core.forms import DeskForm, Email, Length, clean_text
from desk.core.i18n import lazy_gettext as _l


class WatcherForm(DeskForm):
    email = StringField(
        _l("E-mail address of the person to put in copy"),
        description=_l("Their university address, e.g. prenom.nom@umontpellier.fr."),
        filters=[clean_text],  # trims too
        render_kw={"autocomplete": "email", "inputmode": "email", "spellcheck": "false"},
        validators=[
            DataRequired(_l("Enter the e-mail address of the person to put in copy.")),
            Length(max=254, message=_l("%(max)s characters at most.")),
            Email(_l("Enter a valid e-mail address."), check_deliverability=False),
        ],
    )
