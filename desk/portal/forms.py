"""Forms of the requester's ticket page."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, ValidationError

from desk.catalog.forms.fields import strip
from desk.core.forms import DeskForm, Length
from desk.core.i18n import lazy_gettext as _l
from desk.tickets.attachments import CheckedUpload, UploadError, check_upload


class CommentForm(DeskForm):
    """A message to the technicians, with an optional file."""

    body = TextAreaField(
        _l("Your message"),
        filters=[strip],
        validators=[Length(max=5000, message=_l("At most %(max)s characters."))],
    )
    attachment = FileField(_l("Attach a file (optional)"))
    submit = SubmitField(_l("Send"))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.checked: list[CheckedUpload] = []

    def _has_file(self) -> bool:
        return isinstance(self.attachment.data, FileStorage) and bool(self.attachment.data.filename)

    def validate_body(self, field: Any) -> None:
        if not field.data and not self._has_file():
            raise ValidationError(_l("Write a message or attach a file."))

    def validate_attachment(self, field: Any) -> None:
        if self._has_file():
            try:
                self.checked = [check_upload(field.data)]
            except UploadError as exc:
                raise ValidationError(str(exc)) from None


class CancelForm(DeskForm):
    """Withdraw the request, optionally saying why."""

    reason = TextAreaField(
        _l("Why do you cancel it? (optional)"),
        filters=[strip],
        validators=[Length(max=1000, message=_l("At most %(max)s characters."))],
    )
    cancel = SubmitField(_l("Cancel this request"))


class ReopenForm(DeskForm):
    """Reopen a resolved ticket: the reason is required."""

    reason = TextAreaField(
        _l("What is still wrong?"),
        filters=[strip],
        validators=[
            DataRequired(_l("Say why the problem is not solved.")),
            Length(max=2000, message=_l("At most %(max)s characters.")),
        ],
    )
    reopen = SubmitField(_l("Reopen"))
