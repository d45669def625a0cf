"""Mailing-list creation: name, purpose, recipients (addresses and groups), owners."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, StopValidation, ValidationError

from desk.catalog import parsing
from desk.catalog.forms.base import RequestForm
from desk.catalog.forms.fields import readable, strip
from desk.catalog.models import MailingList
from desk.catalog.parsing import format_issue, parse_recipients
from desk.core.forms import Length, clean_text
from desk.core.i18n import lazy_gettext as _l
from desk.core.transactions import hold_name
from desk.extensions import db
from desk.tickets.models import OPEN_STATUSES, Ticket

MAX_OWNERS = 20


def list_name_taken(name: str, request_type_id: int | None) -> bool:
    """A list of that name exists, or an open request of this type already asks for it.

    The name is held until the transaction ends (the new ticket's commit): a request for the
    same name sent at the same moment waits, then finds this one."""
    hold_name("mailing-list", name)
    if db.session.scalar(select(MailingList.id).where(func.lower(MailingList.name) == name)):
        return True
    if request_type_id is None:
        return False
    query = select(Ticket.id).where(
        Ticket.request_type_id == request_type_id,
        Ticket.status.in_(OPEN_STATUSES),
        Ticket.data["list_name"].as_string() == name,
    )
    return db.session.scalar(query.limit(1)) is not None


class MailingListForm(RequestForm):
    """The list's name and purpose, who receives it and who runs it."""

    form_key = "mailing_list"
    template = "catalog/forms/_mailing_list.html"
    display_order = ("list_name", "purpose", "recipients", "groups", "owners", "other_info")
    extra_labels = {"groups": _l("Directory groups")}
    multiline = frozenset({"purpose", "other_info"})

    list_name = StringField(
        _l("List name"),
        filters=[strip],
        validators=[DataRequired(_l("Enter the name of the list."))],
    )
    purpose = TextAreaField(
        _l("Purpose of the list"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Say what the list is for.")),
            Length(max=2000, message=_l("At most %(max)s characters.")),
            readable,
        ],
    )
    recipients = TextAreaField(
        _l("Recipients"),
        validators=[DataRequired(_l("Enter at least one recipient."))],
    )
    owners = TextAreaField(
        _l("Owners and moderators"),
        validators=[DataRequired(_l("Enter at least one owner."))],
    )
    other_info = TextAreaField(
        _l("Other information"),
        filters=[clean_text],
        validators=[Length(max=2000, message=_l("At most %(max)s characters.")), readable],
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.addresses: list[str] = []
        self.groups: list[str] = []
        self.owner_addresses: list[str] = []

    def prepare(self, *, fresh: bool) -> None:
        if fresh and self.user is not None and self.user.has_mailbox and not self.owners.data:
            self.owners.data = self.user.email

    def validate_list_name(self, field: Any) -> None:
        try:
            field.data = parsing.validate_list_name(field.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        rt_id = self.request_type.id if self.request_type is not None else None
        if list_name_taken(field.data, rt_id):
            raise ValidationError(
                _l(
                    "A list named “%(name)s” already exists or has already been requested.",
                    name=field.data,
                )
            )

    def validate_recipients(self, field: Any) -> None:
        addresses, groups, issues = parse_recipients(field.data or "")
        if issues:
            field.errors.extend(format_issue(issue) for issue in issues)
            raise StopValidation()
        self.addresses, self.groups = addresses, groups

    def validate_owners(self, field: Any) -> None:
        addresses, groups, issues = parse_recipients(field.data or "")
        if groups:
            field.errors.append(_l("Owners must be people: give their e-mail addresses."))
        field.errors.extend(format_issue(issue) for issue in issues)
        if len(addresses) > MAX_OWNERS:
            field.errors.append(_l("At most %(max)d owners.", max=MAX_OWNERS))
        if field.errors:
            raise StopValidation()
        self.owner_addresses = addresses

    def ticket_data(self) -> dict[str, Any]:
        return {
            "list_name": self.list_name.data,
            "purpose": self.purpose.data,
            "recipients": self.addresses,
            "groups": self.groups,
            "owners": self.owner_addresses,
            "other_info": self.other_info.data or "",
        }

    def subject(self) -> str:
        return f"{self.request_type.title_fr} – {self.list_name.data}"[:200]
