"""Network connection problem (an incident): a pre-check, then what the technician needs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from wtforms import BooleanField, DateTimeLocalField, RadioField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from desk.catalog.forms.base import DataRow, RequestForm
from desk.catalog.forms.fields import (
    DATETIME_FORMATS,
    INVALID_DATETIME,
    PlaceFields,
    choices,
    display_tz,
    readable,
    strip,
    voiced,
)
from desk.core.forms import Length, clean_text
from desk.core.i18n import lazy_gettext as _l

SOCKET_RE = r"^[A-Za-z0-9][A-Za-z0-9 ._/-]*$"
PC_NAME_RE = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
# Clocks of browsers and server differ a little: "now" typed by the user is not the future.
CLOCK_SKEW = dt.timedelta(minutes=5)
# A connection problem of long ago is a typo ("0026" for "2026"), and a year-1 moment could
# not even be shown in Paris time: its ticket pages failed.
MAX_AGE = dt.timedelta(days=366)
_SOCKETS = ("wall_socket", "working_socket")


class ForCable:
    """Required when the computer is on a cable; for a Wi-Fi connection there is no socket
    nor plug to tell, so an empty value is left alone (a value typed is still checked)."""

    field_flags = {"required": True}  # the mark: the fieldset says it is for a cable

    def __init__(self, message: Any):
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if field.data:
            return
        field.errors[:] = []  # a radio's "not a valid choice" for no choice at all
        if form.connection.data == "wifi":
            raise StopValidation()
        raise StopValidation(self.message)


def _socket_field(label: Any, *validators: Any) -> StringField:
    return StringField(
        label,
        filters=[strip],
        validators=[
            *validators,
            Length(max=30, message=_l("At most %(max)s characters.")),
            Regexp(
                SOCKET_RE,
                message=_l(
                    "Use the number written on the socket: letters, digits, "
                    "spaces, “.”, “-”, “_” or “/”."
                ),
            ),
        ],
    )


class NetworkProblemForm(PlaceFields, RequestForm):
    """Sockets, since when, PC name, how it is plugged, where, and what happens."""

    form_key = "network_problem"
    template = "catalog/forms/_network.html"
    display_order = (
        "checked_cable",
        "checked_wifi",
        "wall_socket",
        "working_socket",
        "since",
        "pc_name",
        "plugged_via",
        "connection",
        "place",
        "description",
    )
    extra_labels = {"place": _l("Location")}
    multiline = frozenset({"description"})
    place_required = ("site", "building")

    checked_cable = BooleanField(
        voiced(
            _l(
                "If I use a cable: it is plugged in at both ends, the computer (or its docking "
                "station) and the wall socket."
            ),
            _l(
                "With a cable: it is plugged in at both ends, the computer (or its docking "
                "station) and the wall socket."
            ),
        ),
        validators=[],  # required for a wired connection only: see validate_checked_cable
    )
    checked_wifi = BooleanField(
        voiced(
            _l("If I use Wi-Fi: it is switched on and I am connected to the right network."),
            _l("With Wi-Fi: it is switched on and connected to the right network."),
        ),
        validators=[],  # required for a Wi-Fi connection only: see validate_checked_wifi
    )
    wall_socket = _socket_field(
        _l("Number of the wall socket in use"),
        ForCable(_l("Enter the number of the wall socket.")),
    )
    working_socket = _socket_field(
        _l("A socket that works for a colleague in the same office"), Optional()
    )
    since = DateTimeLocalField(
        _l("Since when?"),
        format=DATETIME_FORMATS,
        validators=[InputRequired(_l("Say since when the problem happens."))],
        invalid_value_message=INVALID_DATETIME,
    )
    pc_name = StringField(
        _l("Name of the computer"),
        filters=[strip, lambda v: v.upper() if isinstance(v, str) else v],
        validators=[
            DataRequired(_l("Enter the name of the computer.")),
            Length(max=30, message=_l("At most %(max)s characters.")),
            Regexp(
                PC_NAME_RE,
                message=_l("Copy the name from the label: letters, digits, “.”, “-” or “_”."),
            ),
        ],
    )
    plugged_via = RadioField(
        _l("The cable is plugged into"),
        choices=choices(
            [("docking", _l("a docking station")), ("direct", _l("the computer directly"))]
        ),
        validators=[ForCable(_l("Choose how the computer is plugged in."))],
        invalid_choice_message=_l("Choose one of the options."),
    )
    connection = RadioField(
        _l("Connection"),
        choices=choices([("wired", _l("Wired (cable)")), ("wifi", _l("Wi-Fi"))]),
        validators=[DataRequired(_l("Choose wired or Wi-Fi."))],
        invalid_choice_message=_l("Choose one of the options."),
    )
    description = TextAreaField(
        _l("What happens?"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Describe the problem.")),
            Length(min=10, max=4000, message=_l("Between %(min)s and %(max)s characters.")),
            readable,
        ],
    )

    def prepare(self, *, fresh: bool) -> None:
        if fresh and self.user is not None:
            self.prefill_place(self.user)
        self.load_place_choices()

    def validate_checked_cable(self, field: Any) -> None:
        if self.connection.data == "wired" and not field.data:
            raise ValidationError(_l("Check the cable first, then tick this box."))

    def validate_checked_wifi(self, field: Any) -> None:
        if self.connection.data == "wifi" and not field.data:
            raise ValidationError(_l("Check the Wi-Fi first, then tick this box."))

    def validate_since(self, field: Any) -> None:
        if field.data is None:
            return
        moment = field.data.replace(tzinfo=display_tz())
        now = dt.datetime.now(dt.UTC)
        if moment > now + CLOCK_SKEW:
            raise ValidationError(_l("This moment is in the future."))
        if moment < now - MAX_AGE:
            raise ValidationError(_l("Choose a date within one year from today."))
        field.data = moment

    def ticket_data(self) -> dict[str, Any]:
        data = {
            "checked_cable": True,
            "wall_socket": self.wall_socket.data or "",
            "working_socket": self.working_socket.data or "",
            "since": self.since.data.isoformat(),
            "pc_name": self.pc_name.data,
            "plugged_via": self.plugged_via.data,
            "connection": self.connection.data,
            "place": self.place_label(),
            "description": self.description.data,
        }
        # Each check is asked of its own connection only: stored as False for the other, the
        # ticket read "If I use Wi-Fi: it is switched on… No", as if it had been refused. On
        # Wi-Fi there is no cable to plug: only what was typed anyway is kept.
        if self.connection.data == "wifi":
            del data["checked_cable"]
            data["checked_wifi"] = True
            if not self.plugged_via.data:
                del data["plugged_via"]
        return data

    @classmethod
    def describe(cls, data: dict[str, Any]) -> list[DataRow]:
        """As stored, without the Wi-Fi check on a wired connection (older tickets hold it),
        nor the sockets a Wi-Fi connection left empty (it was not asked for them)."""
        if data.get("connection") != "wifi":
            data = {k: v for k, v in data.items() if k != "checked_wifi"}
        else:
            data = {k: v for k, v in data.items() if k not in _SOCKETS or v}
        return super().describe(data)

    def subject(self) -> str:
        return f"{self.request_type.title_fr} – {self.pc_name.data}"[:200]

    def place_ids(self) -> tuple[int | None, int | None, int | None]:
        return PlaceFields.place_ids(self)
