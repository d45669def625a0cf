"""Requests that staff file for someone else: a call to the service desk, a visit at the counter.

A technician finds the person by name or e-mail: an active account, or, with a directory,
someone who has never signed in (whose account is then made as their first sign-in would
make it). Then they go through the catalogue and its forms as that person: their staff-only
rights, their place and addresses prefilled, their language for what they are sent. The
ticket is the person's own (the acknowledgement e-mail, "My requests"); its history says who
filed it and how the request came in. The catalogue's views read the person from `?pour=`
through `behalf_requester()`; the searches are in `desk.catalog.services`.
"""

from __future__ import annotations

import functools
import logging

from flask import (
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import HiddenField, RadioField, StringField
from wtforms.validators import InputRequired, Length

from desk.auth.models import User
from desk.catalog.forms import RequestForm
from desk.catalog.forms.fields import choices
from desk.catalog.services import directory_newcomers, find_people
from desk.catalog.views import bp
from desk.core.access import STAFF, access
from desk.core.errors import render_error
from desk.core.forms import DeskForm
from desk.core.i18n import lazy_gettext as _l
from desk.core.input import parse_int
from desk.extensions import db
from desk.identity.directory import DirectoryUnavailable, get_directory
from desk.identity.people import Person
from desk.identity.services import IdentityError, account_for_login
from desk.tickets.models import Intake

log = logging.getLogger(__name__)

MAX_PEOPLE = 20
MIN_SEARCH = 2

INTAKE_CHOICES = choices(
    [
        (Intake.PHONE, _l("By phone")),
        (Intake.IN_PERSON, _l("In person")),
        (Intake.EMAIL, _l("By e-mail")),
        (Intake.OTHER, _l("Another way")),
    ]
)


def behalf_requester(raw: str | None) -> User | None:
    """The person `?pour=` names (None without it); 403 unless the signed-in user is staff,
    404 when it names no active account."""
    if raw is None:
        return None
    if not current_user.is_technician:
        message = _("Only the service centre’s staff can file a request for someone else.")
        abort(make_response(render_error(403, message)))
    person_id = parse_int(raw)
    person = db.session.get(User, person_id) if person_id is not None else None
    if person is None or not person.is_active_account:
        abort(404)
    g.filing_for = person  # the forms' texts speak of them (desk.catalog.forms.fields.voiced)
    return person


@functools.cache
def behalf_form(cls: type[RequestForm]) -> type[RequestForm]:
    """The entry's form, with the question of how the request reached the staff member."""
    intake = RadioField(
        _l("How did this request reach you?"),
        choices=INTAKE_CHOICES,
        validators=[InputRequired(_l("Say how the request reached you."))],
    )
    return type(f"Behalf{cls.__name__}", (cls,), {"intake": intake})


class PersonSearchForm(DeskForm):
    """Find the person (GET, no CSRF needed: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Name or e-mail address"),
        filters=[lambda v: (v or "").strip()[:200]],
        validators=[
            Length(min=MIN_SEARCH, message=_l("Type at least %(min)d characters.")),
        ],
    )


class DirectoryPickForm(DeskForm):
    """Someone of the directory chosen on the search page (their login, from the page)."""

    login = HiddenField(validators=[InputRequired(), Length(max=128)])


@bp.get("/catalogue/pour-un-usager")
@access(*STAFF)
def behalf_find():
    """Step one of filing for someone: find the person, here or in the directory."""
    form = PersonSearchForm(request.args)
    people: list[User] = []
    newcomers: list[Person] = []
    directory = get_directory(current_app.config)
    directory_down = False
    if form.q.data and form.validate():
        people = find_people(form.q.data, MAX_PEOPLE + 1)
        try:
            newcomers = directory_newcomers(form.q.data, directory, MAX_PEOPLE)
        except DirectoryUnavailable as exc:
            log.warning("directory unavailable during a people search: %s", exc)
            directory_down = True
    return render_template(
        "catalog/behalf_find.html",
        form=form,
        people=people[:MAX_PEOPLE],
        more=len(people) > MAX_PEOPLE,
        newcomers=newcomers,
        directory=directory is not None,
        directory_down=directory_down,
    )


_PICK_REFUSED = {
    "directory_down": _l("The directory is not answering: try again in a moment."),
    "disabled": _l("This person’s account is deactivated."),
    # An account with their address that an e-mail match may not take (desk.identity.linking).
    "link_needed": _l(
        "An account with this person’s address already exists: search for it by name or e-mail, "
        "or ask an administrator to link it to their university login."
    ),
    # The login was a leaver's, whose link the nightly sync has not ended yet
    # (desk.identity.services): they are in the directory, their account comes after it.
    "entry_changed": _l(
        "This person’s login belonged to someone else until recently: their account can be "
        "made once the nightly directory update has run."
    ),
    # The address is another entry's account's: someone who left and came back with a new
    # entry, whose former account an administrator links to their login again.
    "email_taken": _l(
        "This person’s address is that of another directory entry’s account (someone who "
        "left and came back, perhaps): an administrator can link that account to their login."
    ),
}


@bp.post("/catalogue/pour-un-usager/annuaire")
@access(*STAFF)
def behalf_from_directory():
    """Someone who has never signed in: their account is made from the directory, as their
    first sign-in would make it, then the catalogue opens for them."""
    directory = get_directory(current_app.config)
    if directory is None:
        abort(404)
    form = DirectoryPickForm()
    if not form.validate():
        abort(400)
    try:
        person = account_for_login(form.login.data, directory)
    except IdentityError as exc:
        db.session.rollback()
        message = _PICK_REFUSED.get(exc.kind, _l("This person is not in the directory."))
        flash(str(message), "error")
        return redirect(url_for("catalog.behalf_find"))
    db.session.commit()
    log.info(
        "account %s made from the directory to file a request for them",
        person.email,
        extra={"actor_id": current_user.id, "user_id": person.id},
    )
    return redirect(url_for("catalog.index", pour=person.id))
