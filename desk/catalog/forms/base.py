"""The base class of every catalogue form: what a form turns into on a ticket.

A request form validates its fields (server side, messages in the user's language), then
says what the ticket gets: `ticket_data()` (the structured JSON), `subject()`, `place_ids()`
and `uploads()` (files kept as attachments). `describe()` renders stored data back, field by
field, with the form's labels, for the ticket pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar

from flask_babel import gettext as _
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import HiddenField, SubmitField
from wtforms.validators import ValidationError

from desk.core.forms import DeskForm
from desk.core.i18n import lazy_gettext as _l
from desk.core.i18n import localdt, long_date
from desk.tickets.attachments import CheckedUpload, UploadError, check_upload
from desk.tickets.services import NewTicket

# Fields that are machinery, never ticket data.
_MACHINERY = frozenset(
    {"csrf_token", "idempotency_token", "submit", "refresh", "attachment", "intake"}
)


@dataclass(frozen=True)
class DataRow:
    """One line of a ticket's form data, ready to show: `kind` picks the rendering."""

    name: str
    label: str
    value: Any
    kind: str = "text"  # text | multiline | list | guests


class RequestForm(DeskForm):
    """A catalogue form; subclasses add fields and may override the hooks below."""

    form_key: ClassVar[str] = ""
    template: ClassVar[str] = ""
    # False for entries made by other channels (e-mail): kept out of the catalogue pages.
    in_catalogue: ClassVar[bool] = True
    # Order of the rows on the ticket page; data keys not listed come last.
    display_order: ClassVar[tuple[str, ...]] = ()
    # Labels of data keys that are not form fields (computed values).
    extra_labels: ClassVar[dict[str, Any]] = {}
    multiline: ClassVar[frozenset[str]] = frozenset()

    idempotency_token = HiddenField()
    attachment = FileField(_l("Attachment (optional)"))
    submit = SubmitField(_l("Send the request"))

    def __init__(self, *args: Any, request_type: Any = None, user: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.request_type = request_type
        self.user = user
        self.checked_uploads: list[CheckedUpload] = []

    # -- hooks ---------------------------------------------------------------------------

    def prepare(self, *, fresh: bool) -> None:
        """Set dynamic choices; `fresh` is True for a new (not submitted) form, to prefill."""

    def ticket_data(self) -> dict[str, Any]:
        """The validated fields as JSON-ready values (dates as ISO strings)."""
        return {
            name: _jsonable(field.data)
            for name, field in self._fields.items()
            if name not in _MACHINERY and field.type not in ("FileField", "SubmitField")
        }

    def subject(self) -> str:
        """The ticket's one-line subject (French: the queues work in French)."""
        return self.request_type.title_fr[:200]

    def place_ids(self) -> tuple[int | None, int | None, int | None]:
        """(site, building, floor) stored on the ticket and used by routing."""
        return None, None, None

    def uploads(self) -> list[CheckedUpload]:
        """Checked files to keep as attachments of the new ticket."""
        return list(self.checked_uploads)

    def new_ticket(self, **channel: Any) -> NewTicket:
        """What the validated form asks for, filed by the form's user; `channel` adds what
        the way it came in knows (the one-time token, the page's language)."""
        site_id, building_id, floor_id = self.place_ids()
        return NewTicket(
            request_type=self.request_type,
            requester=self.user,
            subject=self.subject(),
            data=self.ticket_data(),
            site_id=site_id,
            building_id=building_id,
            floor_id=floor_id,
            uploads=self.uploads(),
            **channel,
        )

    def validate_attachment(self, field: Any) -> None:
        if isinstance(field.data, FileStorage) and field.data.filename:
            try:
                self.checked_uploads.append(check_upload(field.data))
            except UploadError as exc:
                raise ValidationError(str(exc)) from None

    # -- rendering stored data -----------------------------------------------------------

    @classmethod
    def describe(cls, data: dict[str, Any]) -> list[DataRow]:
        """Stored data as labelled rows, in the form's order, in the current language."""
        form = cls(formdata=None, meta={"csrf": False})
        names = [n for n in cls.display_order if n in data]
        names += sorted(n for n in data if n not in names)
        rows = []
        for name in names:
            field = form._fields.get(name)
            label = cls.extra_labels.get(name) or (field.label.text if field else name)
            rows.append(cls.display_row(name, str(label), data[name], field))
        return rows

    @classmethod
    def display_row(cls, name: str, label: str, value: Any, field: Any) -> DataRow:
        """How one stored value is shown; subclasses override for special values."""
        if isinstance(value, list):
            return DataRow(name, label, [str(v) for v in value], "list")
        if isinstance(value, bool):
            return DataRow(name, label, _("Yes") if value else _("No"))
        if value is None or value == "":
            return DataRow(name, label, "—")
        kind = "multiline" if name in cls.multiline else "text"
        if field is not None and field.type == "DateField":
            return DataRow(name, label, _format(value, date_only=True))
        if field is not None and field.type == "DateTimeLocalField":
            return DataRow(name, label, _format(value, date_only=False))
        if field is not None and field.type in ("RadioField", "SelectField"):
            pairs = (tuple(c)[:2] for c in (field.choices or []))  # SelectChoice or tuples
            labels = {str(v): str(text) for v, text in pairs}
            return DataRow(name, label, labels.get(str(value), str(value)))
        return DataRow(name, label, str(value), kind)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    return value


def _format(value: str, *, date_only: bool) -> str:
    """An ISO date or datetime from the JSON, in the user's locale; odd values as stored."""
    try:
        if date_only:
            return long_date(dt.date.fromisoformat(value))
        return localdt(dt.datetime.fromisoformat(value))  # "5 Dec 2026, 09:30", never 12/5/26
    except (TypeError, ValueError, OverflowError):  # a year-1 moment has no Paris time
        return str(value)
