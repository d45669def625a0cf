"""Forms of the staff ticket page and of the bulk bar; each carries the version it was built on."""

from __future__ import annotations

import datetime as dt

from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from desk.catalog.forms.fields import DATETIME_FORMATS, INVALID_DATETIME
from desk.core.forms import CheckboxesField, DeskForm
from desk.core.i18n import lazy_gettext as _l
from desk.core.i18n import number
from desk.core.input import parse_int
from desk.tickets.actions import MAX_BODY, MAX_REASON
from desk.tickets.attachments import CheckedUpload, UploadError, check_upload
from desk.tickets.history import PRIORITY_LABELS
from desk.tickets.models import Status
from desk.tickets.workflow import STATUS_LABELS


def _version(form, field) -> None:
    if parse_int(field.data) is None:
        raise ValidationError(_l("This form is incomplete: reload the page and try again."))


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def _choice(message):
    """A SelectField check with our own message (WTForms' default is not translated)."""

    def check(form, field) -> None:
        if field.data not in {choice.value for choice in field.choices or []}:
            raise ValidationError(message)

    return check


def _known_status(form, field) -> None:
    if field.data not in {s.value for s in Status}:
        raise ValidationError(_l("Unknown status."))


class TicketActionForm(DeskForm):
    """Base: the ticket version the user saw, for optimistic concurrency."""

    version = HiddenField(validators=[_version])

    @property
    def expected_version(self) -> int:
        version = parse_int(self.version.data)
        if version is None:  # `_version` refuses it first: a view that skipped validation
            raise ValueError("expected_version read from a form that was not validated")
        return version


class ClaimForm(TicketActionForm):
    """Take the ticket."""


class AssignForm(TicketActionForm):
    """Give the ticket to a member of the queue."""

    assignee = SelectField(
        _l("Assign to"),
        validate_choice=False,
        validators=[_choice(_l("Choose a member of the queue."))],
    )


class GiveBackForm(TicketActionForm):
    """Put the ticket back in its queue, unassigned, with a word for the colleagues."""

    note = TextAreaField(
        _l("A word for your colleagues (optional)"),
        id="give-back-note",
        validators=[Length(max=MAX_REASON, message=_l("Keep the text under 500 characters."))],
    )


class FollowUpForm(TicketActionForm):
    """Have desk remind the user of the ticket at a time (in the display zone)."""

    due_at = DateTimeLocalField(
        _l("Remind me on"),
        id="followup-due",
        format=DATETIME_FORMATS,
        validators=[InputRequired(_l("Choose the day and time of the reminder."))],
        invalid_value_message=INVALID_DATETIME,
    )
    note = StringField(
        _l("What for (optional)"),
        id="followup-note",
        validators=[Length(max=200, message=_l("Keep the text under 200 characters."))],
    )

    def validate_due_at(self, field) -> None:
        # Checked on the typed year: converting year 1 or 9999 to UTC could leave the calendar.
        this_year = dt.date.today().year
        if field.data is not None and not this_year - 1 <= field.data.year <= this_year + 1:
            raise ValidationError(_l("Choose a time within a year."))


class TransferForm(TicketActionForm):
    """Send the ticket to another queue, saying why."""

    queue = SelectField(
        _l("Transfer to queue"),
        validate_choice=False,
        validators=[_choice(_l("This queue does not exist."))],
    )
    reason = TextAreaField(
        _l("Reason for the transfer"),
        validators=[
            InputRequired(_l("Say why the ticket is transferred.")),
            Length(max=MAX_REASON, message=_l("Keep the reason under 500 characters.")),
        ],
    )


class DuplicateForm(TicketActionForm):
    """Close the ticket as a repeat of another request of the same requester."""

    original = StringField(
        _l("Reference of the ticket it repeats"),
        validators=[
            InputRequired(_l("Give the reference of the ticket this one repeats.")),
            Length(max=40, message=_l("A reference is at most 40 characters.")),
        ],
    )


class PriorityForm(TicketActionForm):
    """Change the priority."""

    priority = SelectField(
        _l("Priority"),
        validate_choice=False,
        validators=[_choice(_l("Unknown priority."))],
        choices=options(sorted(PRIORITY_LABELS.items())),
    )


class StatusForm(TicketActionForm):
    """Move the ticket along the workflow."""

    # Any known status passes here: the state machine explains a refused move better.
    status = SelectField(_l("New status"), validate_choice=False, validators=[_known_status])
    note = TextAreaField(
        _l("Comment for the requester (optional)"),
        validators=[
            Length(
                max=MAX_BODY,
                message=_l("Keep the text under %(n)s characters.", n=number(MAX_BODY)),
            )
        ],
    )


class MessageForm(TicketActionForm):
    """A message with an optional file, checked like the requesters' files (type, size,
    content); either one may be left empty, not both."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.checked: list[CheckedUpload] = []

    def _has_file(self) -> bool:
        data = self.attachment.data
        return isinstance(data, FileStorage) and bool(data.filename)

    def validate_body(self, field) -> None:
        if not (field.data or "").strip() and not self._has_file():
            raise ValidationError(_l("Write a message."))

    def validate_attachment(self, field) -> None:
        if self._has_file():
            try:
                self.checked = [check_upload(field.data)]
            except UploadError as exc:
                raise ValidationError(str(exc)) from None


class ReplyForm(MessageForm):
    """A public answer to the requester."""

    body = TextAreaField(
        _l("Reply to the requester"),
        id="reply-body",
        validators=[
            Length(
                max=MAX_BODY,
                message=_l("Keep the text under %(n)s characters.", n=number(MAX_BODY)),
            )
        ],
    )
    attachment = FileField(_l("Attach a file (optional)"), id="reply-file")


class NoteForm(MessageForm):
    """An internal note for the team."""

    body = TextAreaField(
        _l("Internal note (never shown to the requester)"),
        id="note-body",
        validators=[
            Length(
                max=MAX_BODY,
                message=_l("Keep the text under %(n)s characters.", n=number(MAX_BODY)),
            )
        ],
    )
    attachment = FileField(_l("Attach a file to the note (optional)"), id="note-file")
    # The queue's other members (desk.queues.ticket_page fills the choices).
    tell = CheckboxesField(_l("Tell colleagues (optional)"), id="note-tell")


BULK_ACTIONS = {
    "assign": _l("Assign to"),
    "status": _l("Change status to"),
    "transfer": _l("Transfer to queue"),
}


class BulkForm(DeskForm):
    """The bar above a queue list; the selected tickets come as `ticket` = "id:version"."""

    action = SelectField(
        _l("Action"),
        validate_choice=False,
        validators=[_choice(_l("Choose an action."))],
        choices=options(BULK_ACTIONS.items()),
    )
    assignee = SelectField(_l("Assign to"), validate_choice=False)
    status = SelectField(
        _l("Status"),
        validate_choice=False,
        choices=options((s.value, label) for s, label in STATUS_LABELS.items()),
    )
    queue = SelectField(_l("Queue"), validate_choice=False)
    reason = TextAreaField(
        _l("Reason for the transfer"),
        validators=[Length(max=MAX_REASON, message=_l("Keep the reason under 500 characters."))],
    )
