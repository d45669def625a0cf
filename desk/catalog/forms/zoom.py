"""Zoom licence association: attach an existing Zoom account to the university licence."""

from __future__ import annotations

from typing import Any

from flask import current_app
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, ValidationError

from desk.catalog.forms.base import RequestForm
from desk.catalog.forms.fields import strip, voiced
from desk.catalog.parsing import DomainNotAllowedError, check_institutional_email
from desk.core.i18n import lazy_gettext as _l


class ZoomLicenceForm(RequestForm):
    """The institutional address of the Zoom account, and a confirmation it exists."""

    form_key = "zoom_licence"
    template = "catalog/forms/_zoom.html"
    display_order = ("zoom_email", "account_created")

    zoom_email = StringField(
        _l("E-mail address of the Zoom account"),
        filters=[strip],
        validators=[
            DataRequired(
                voiced(
                    _l("Enter the e-mail address of your Zoom account."),
                    _l("Enter the e-mail address of their Zoom account."),
                )
            )
        ],
    )
    account_created = BooleanField(
        voiced(
            _l("I have already created my Zoom account with this address."),
            _l("They have already created their Zoom account with this address."),
        ),
        validators=[
            DataRequired(
                voiced(
                    _l("Create your Zoom account first, then confirm it here."),
                    _l("They create their Zoom account first; then confirm it here."),
                )
            )
        ],
    )
    attachment = None

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # A corrected address offered next to the field ("did you mean ...?").
        self.suggestion: str | None = None

    def prepare(self, *, fresh: bool) -> None:
        if fresh and self.user is not None and not self.zoom_email.data:
            domain = self.user.email.rpartition("@")[2].lower()
            if domain in current_app.config["INSTITUTIONAL_DOMAINS"]:
                self.zoom_email.data = self.user.email

    def validate_zoom_email(self, field: Any) -> None:
        try:
            field.data = check_institutional_email(
                field.data or "", current_app.config["INSTITUTIONAL_DOMAINS"]
            )
        except DomainNotAllowedError as exc:
            self.suggestion = exc.suggestion
            raise ValidationError(str(exc)) from None
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def subject(self) -> str:
        return f"{self.request_type.title_fr} – {self.zoom_email.data}"[:200]
