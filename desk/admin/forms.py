"""Administration forms: queue, member, domain, category."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import InputRequired, Optional, Regexp, ValidationError

from desk.auth.models import Role
from desk.auth.services import find_user, normalize_email
from desk.core.forms import DeskForm, Email, Length, NumberRange, WholeNumberField
from desk.core.i18n import lazy_gettext as _l
from desk.queues.forms import options


def _clean(value):
    """Trim, and drop control characters (PostgreSQL refuses NUL in text)."""
    if not isinstance(value, str):
        return value
    return "".join(ch for ch in value if ch.isprintable()).strip()


CODE = [
    InputRequired(_l("Enter a code.")),
    Regexp(
        r"^[a-z0-9][a-z0-9-]{0,39}$",
        message=_l("Use lower-case letters, digits and dashes (40 at most)."),
    ),
]
NAME_FR = [
    InputRequired(_l("Enter the French name.")),
    Length(max=120, message=_l("120 characters at most.")),
]
NAME_EN = [Optional(), Length(max=120, message=_l("120 characters at most."))]
POSITION = [
    Optional(),
    NumberRange(min=0, max=9999, message=_l("Enter a number between %(min)s and %(max)s.")),
]


class PositionField(WholeNumberField):
    """A whole number (ASCII digits, as every number desk reads) whose parse error is in our
    catalogue; empty is 0."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("invalid_value_message", _l("Enter a number between 0 and 9999."))
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            super().process_formdata(valuelist)
        else:
            self.data = 0


def _in_choices(form, field) -> None:
    from wtforms.validators import ValidationError

    if field.data not in {c.value for c in field.choices or []}:
        raise ValidationError(_l("Choose a value from the list."))


class QueueForm(DeskForm):
    """A queue: code (used in its URL), names, domain, open or closed."""

    code = StringField(
        _l("Code"),
        filters=[_clean],
        validators=CODE,
        description=_l("Appears in the queue's address, e.g. reseau-triolet."),
    )
    name_fr = StringField(_l("Name (French)"), filters=[_clean], validators=NAME_FR)
    name_en = StringField(_l("Name (English)"), filters=[_clean], validators=NAME_EN)
    domain = SelectField(_l("Domain"), validate_choice=False, validators=[_in_choices])
    is_active = BooleanField(_l("Open (tickets can be sent to it)"), default=True)
    inbound_address = StringField(
        _l("E-mail address for new requests (optional)"),
        filters=[_clean, lambda v: v.lower() if isinstance(v, str) else v],
        validators=[
            Optional(),
            Length(max=320, message=_l("At most %(max)s characters.")),
            Email(_l("Enter a valid e-mail address."), check_deliverability=False),
        ],
        description=_l(
            "A message sent to this address by a known user becomes a ticket of this queue "
            "(the mailbox desk reads must receive it)."
        ),
    )


class MemberForm(DeskForm):
    """Add a technician to a queue."""

    user = SelectField(_l("Technician"), validate_choice=False, validators=[_in_choices])
    is_lead = BooleanField(_l("Lead of the queue (receives escalations)"))


class DomainForm(DeskForm):
    """A domain of the service centre."""

    code = StringField(_l("Code"), filters=[_clean], validators=CODE)
    name_fr = StringField(_l("Name (French)"), filters=[_clean], validators=NAME_FR)
    name_en = StringField(_l("Name (English)"), filters=[_clean], validators=NAME_EN)
    position = PositionField(_l("Position"), default=0, validators=POSITION)


class CategoryForm(DomainForm):
    """A category inside a domain."""


ROLE_LABELS = {
    Role.REQUESTER: _l("Requester"),
    Role.TECHNICIAN: _l("Technician"),
    Role.ADMIN: _l("Administrator"),
}


class AccountForm(DeskForm):
    """An account's name, role and kind (staff or student)."""

    display_name = StringField(
        _l("Name"),
        filters=[_clean],
        validators=[
            InputRequired(_l("Enter the person's name.")),
            Length(max=120, message=_l("120 characters at most.")),
        ],
    )
    role = SelectField(
        _l("Role"),
        choices=options((r.value, label) for r, label in ROLE_LABELS.items()),
        validate_choice=False,
        validators=[_in_choices],
    )
    is_staff = BooleanField(_l("Member of staff (not a student)"), default=True)


class NewAccountForm(AccountForm):
    """A new account: the above, plus its e-mail (the login) and a first password."""

    email = EmailField(
        _l("E-mail"),
        filters=[_clean],
        validators=[
            InputRequired(_l("Enter an e-mail address.")),
            Length(max=254, message=_l("254 characters at most.")),
            Email(_l("Enter a valid e-mail address."), check_deliverability=False),
        ],
    )
    password = PasswordField(
        _l("First password"),
        validators=[
            InputRequired(_l("Enter a first password.")),
            Length(min=8, max=200, message=_l("Between %(min)s and %(max)s characters.")),
        ],
        description=_l("At least 8 characters; give it to the person, who can change it."),
    )

    def validate_email(self, field) -> None:
        # Told with the other mistakes of the form, not after they are mended (the service
        # checks again, and the unique key, for two admins creating the same one at once).
        if field.data and not field.errors and find_user(normalize_email(field.data)):
            raise ValidationError(_l("An account with this e-mail already exists."))


class CasLinkForm(DeskForm):
    """Link an account to a university login (desk.identity.linking.link_account)."""

    cas_login = StringField(
        _l("University login"),
        filters=[_clean],
        validators=[
            InputRequired(_l("Enter the university login, as the person types it to sign in.")),
            Length(max=128, message=_l("128 characters at most.")),
        ],
        description=_l(
            "The login the person signs in with at the university (the page that sent them "
            "here shows it). Their directory entry must have this account's e-mail address."
        ),
    )


class AccountSearchForm(DeskForm):
    """Search the accounts (GET, no CSRF needed: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name or e-mail"), filters=[_clean])


__all__ = [
    "AccountForm",
    "AccountSearchForm",
    "CasLinkForm",
    "CategoryForm",
    "DomainForm",
    "MemberForm",
    "NewAccountForm",
    "QueueForm",
    "options",
]
