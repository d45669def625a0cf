"""SLA pages: calendars and policies (admins), the report (staff); template helpers."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.numbers import format_percent
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms.validators import ValidationError

from desk.auth.models import Role
from desk.catalog.forms.fields import local_today, named_choices
from desk.catalog.models import RequestType
from desk.core.access import STAFF, access
from desk.core.db import utcnow
from desk.core.i18n import lazy_gettext as _l
from desk.core.i18n import name_html
from desk.core.input import parse_date
from desk.core.templating import ADMIN_MENU, register_nav
from desk.extensions import db
from desk.sla import loading  # noqa: F401 - registers the reference-file sections
from desk.sla.activity import activity_report
from desk.sla.forms import CalendarForm, PolicyForm
from desk.sla.models import SlaCalendar, SlaPolicy
from desk.sla.parsing import SettingError, day_minutes, format_weekly
from desk.sla.report import period_bounds, sla_report
from desk.sla.services import (
    describe_target,
    remaining_business_time,
    sla_hint,
    to_calendar,
)
from desk.sla.settings import calendars, delete_policy, policies, save_calendar, save_policy
from desk.sla.state import SlaState, badge_label, sla_standing
from desk.sla.timeline import describe_sla_event
from desk.tickets.intake import intake_report
from desk.tickets.models import Ticket

bp = Blueprint("sla", __name__, url_prefix="/sla")
ADMIN = (Role.ADMIN,)
register_nav(_l("SLA report"), "sla.report", STAFF, order=70)
register_nav(_l("SLA settings"), "sla.settings", ADMIN, order=35, menu=ADMIN_MENU)


@bp.get("/settings")
@access(*ADMIN)
def settings():
    """Calendars and policies, with links to edit them."""
    return render_template(
        "sla/settings.html",
        calendars=calendars(),
        policies=policies(),
        weekly_text=lambda c: format_weekly(c.weekly_hours, _language()),
        target_text=_target_text,
    )


def _target_text(minutes: int | None, calendar: SlaCalendar) -> str:
    return describe_target(minutes, calendar) if minutes else "—"


def _language() -> str:
    return "en" if _("Monday") == "Monday" else "fr"


@bp.route("/calendars/new", methods=["GET", "POST"], defaults={"calendar_id": None})
@bp.route("/calendars/<int:calendar_id>", methods=["GET", "POST"])
@access(*ADMIN)
def calendar_form(calendar_id: int | None):
    """Create or edit a calendar; "add the public holidays" fills the list without saving."""
    calendar = db.get_or_404(SlaCalendar, calendar_id) if calendar_id else None
    form = CalendarForm(calendar=calendar)
    if request.method == "GET" and calendar is not None:
        form.name.data, form.timezone.data = calendar.name, calendar.timezone
        form.name_en.data = calendar.name_en or ""
        form.weekly_hours.data = format_weekly(calendar.weekly_hours, _language())
        form.holidays.data = "\n".join(calendar.holidays)
        if calendar.holidays_run_out(local_today()):
            # The year the notice above the form asks for, ready to add.
            form.holiday_years.data = str((calendar.holidays_until or 0) + 1)
    if request.method == "GET" and calendar is None:
        form.weekly_hours.data = (
            "lun-ven 08:00-12:00 13:30-17:00"
            if _language() == "fr"
            else "mon-fri 08:00-12:00 13:30-17:00"
        )
    status = 200
    if form.is_submitted() and form.generate.data:
        status = 200 if _add_holidays(form) else 400
    elif form.validate_on_submit():
        try:
            saved = save_calendar(
                calendar,
                name=form.name.data,
                name_en=form.name_en.data,
                actor=current_user,
                timezone=form.parsed["timezone"],
                weekly=form.parsed["weekly"],
                holidays=form.parsed["holidays"],
            )
        except SettingError as exc:
            db.session.rollback()
            form.weekly_hours.errors.append(str(exc))
            return render_template("sla/calendar_form.html", form=form, calendar=calendar), 400
        flash(_("Calendar “%(name)s” saved.", name=saved.local_name), "success")
        return redirect(url_for("sla.settings"))
    elif form.is_submitted():
        status = 400
    return render_template(
        "sla/calendar_form.html",
        form=form,
        calendar=calendar,
        runs_out=calendar is not None and calendar.holidays_run_out(local_today()),
    ), status


def _add_holidays(form: CalendarForm) -> bool:
    """Clear the errors of the other fields (nothing is saved) and merge the holidays."""
    for field in form:
        field.errors = []
    if form.add_public_holidays():
        flash(_("Public holidays added to the list; check it, then save."), "info")
        return True
    return False


def _policy_choices(form: PolicyForm, policy: SlaPolicy | None) -> None:
    used = set(db.session.scalars(select(SlaPolicy.request_type_id)))
    if policy is not None:
        used.discard(policy.request_type_id)
    types = db.session.scalars(select(RequestType).order_by(RequestType.position))
    form.request_type.choices = [(t.id, t.title) for t in types if t.id not in used]
    form.calendar.choices = named_choices(calendars())


@bp.route("/policies/new", methods=["GET", "POST"], defaults={"policy_id": None})
@bp.route("/policies/<int:policy_id>", methods=["GET", "POST"])
@access(*ADMIN)
def policy_form(policy_id: int | None):
    """Create or edit the SLA policy of a request type."""
    policy = db.get_or_404(SlaPolicy, policy_id) if policy_id else None
    form = PolicyForm(policy=policy)
    _policy_choices(form, policy)
    if request.method == "GET" and policy is not None:
        form.fill(policy)
    if form.validate_on_submit():
        request_type = db.session.get(RequestType, form.request_type.data)
        try:
            save_policy(
                policy,
                request_type=request_type,
                calendar=form.parsed["calendar"],
                first_response_minutes=form.parsed["first_response"],
                resolution_minutes=form.parsed["resolution"],
                warning_percent=form.parsed["warning_percent"],
                actor=current_user,
            )
        except SettingError as exc:
            db.session.rollback()
            form.resolution.errors.append(str(exc))
        except IntegrityError:
            db.session.rollback()
            if not _type_taken_meanwhile(form, policy):
                raise  # not the type's unique key: desk's conflict page (or a bug's 500)
        else:
            flash(
                _(
                    "Policy of “%(name)s” saved; open tickets get their new due dates.",
                    name=request_type.title,
                ),
                "success",
            )
            return redirect(url_for("sla.settings"))
    status = 400 if form.is_submitted() else 200
    return (
        render_template(
            "sla/policy_form.html", form=form, policy=policy, working_days=_working_days()
        ),
        status,
    )


def _type_taken_meanwhile(form: PolicyForm, policy: SlaPolicy | None) -> bool:
    """Another admin saved a policy for this request type between the form's check and our
    commit (the unique key refused ours): the form's own message, as if it had been there
    before; the list redrawn without that type. False when that was not the refusal."""
    _policy_choices(form, policy)
    try:
        form.validate_request_type(form.request_type)
    except ValidationError as exc:
        form.request_type.errors = [*form.request_type.errors, str(exc)]
        return True
    return False


def _working_days() -> Markup:
    """What "1 working day" is on each calendar, for the targets typed in them: a day is the
    calendar's average open day, and "2 working days" of 8 h 06 are not two of 9 hours."""
    sentence = escape(_("On “%(calendar)s”, 1 working day = %(length)s of opening time."))
    return Markup(" ").join(
        # The name in a <span lang="fr"> on an English page when it has no English one.
        sentence
        % {
            "calendar": name_html(calendar),
            "length": business_duration(dt.timedelta(minutes=day_minutes(to_calendar(calendar)))),
        }
        for calendar in calendars()
        if any(calendar.weekly_hours.values())  # never open: no day to speak of
    )


@bp.post("/policies/<int:policy_id>/delete")
@access(*ADMIN)
def policy_delete(policy_id: int):
    """Remove a policy (its open tickets lose their due dates)."""
    policy = db.get_or_404(SlaPolicy, policy_id)
    title = policy.request_type.title
    delete_policy(policy, actor=current_user)
    flash(_("Policy of “%(name)s” removed.", name=title), "success")
    return redirect(url_for("sla.settings"))


def _date_arg(name: str, default: dt.date, errors: dict[str, str]) -> dt.date:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    value = parse_date(raw)
    if value is None:  # also years like 9999: the period arithmetic would overflow
        errors[name] = _("“%(text)s” is not a date written YYYY-MM-DD.", text=raw[:40])
        return default
    return value


@bp.get("/report")
@access(*STAFF)
def report():
    """Share of tickets that met first response and resolution, per queue and request type."""
    today = utcnow().astimezone(ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])).date()
    errors: dict[str, str] = {}
    first = _date_arg("from", today - dt.timedelta(days=30), errors)
    last = _date_arg("to", today, errors)
    if not errors and first > last:
        errors["to"] = _("The end of the period comes before its start.")
    if not errors and (last - first).days > 3660:
        errors["from"] = _("Choose a period of at most ten years.")
    if errors:
        # The page then shows the default period, as on a first visit, with the errors.
        first, last = today - dt.timedelta(days=30), today
    data = sla_report(
        current_user, first, last, now=utcnow(), timezone=current_app.config["DISPLAY_TIMEZONE"]
    )
    start, end = period_bounds(first, last, current_app.config["DISPLAY_TIMEZONE"])
    context = {
        "data": data,
        "first": first,
        "last": last,
        "errors": errors,
        "args": request.args,
        "intake": intake_report(current_user, start, end),
        "activity": activity_report(current_user, start, end),
    }
    try:
        from desk.satisfaction.report import satisfaction_report
    except ImportError:  # satisfaction feature absent: the report shows SLA only
        pass
    else:
        context["satisfaction"] = satisfaction_report(current_user, start, end)
    return render_template("sla/report.html", **context), 400 if errors else 200


@bp.app_template_global("sla_hint")
def sla_hint_global(request_type: RequestType) -> str:
    """The catalogue's promise for a request type ("Traitement sous 1 jour ouvré")."""
    return sla_hint(request_type)


@bp.app_template_global("sla_info")
def sla_info(ticket: Ticket) -> dict | None:
    """What the ticket pages show: state, due dates, remaining business time."""
    if ticket.resolution_due_at is None and ticket.first_response_due_at is None:
        return None
    now = utcnow()
    state, deadline = sla_standing(ticket, now)
    return {
        "state": state,
        "label": badge_label(state, deadline),
        "paused": state is SlaState.PAUSED,
        "remaining": remaining_business_time(ticket, now) if ticket.is_open else None,
    }


@bp.app_template_global("sla_badge")
def sla_badge(ticket: Ticket) -> dict:
    """State and label for the queue list (on track / due soon / breached / paused)."""
    state, deadline = sla_standing(ticket, utcnow())
    return {"state": state, "label": badge_label(state, deadline)}


@bp.app_template_global("sla_event_label")
def sla_event_label(event) -> str:
    """An SLA timeline entry in the reader's language."""
    return describe_sla_event(event)


@bp.app_template_filter("percent")
def percent(value: float | None) -> str:
    """A share given in percent, as the reader writes it: "95,5 %" in French, "95.5%" in English."""
    if value is None:
        return ""
    return format_percent(value / 100, locale=str(get_locale()), decimal_quantization=False)


@bp.app_template_filter("elapsed")
def elapsed(value: dt.timedelta | None) -> str:
    """A clock duration as the report's medians show it: "40 min", "3 h 20", "2 d 4 h"."""
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return _("%(minutes)d min", minutes=minutes)
    hours = minutes // 60
    if hours < 24:
        return _("%(hours)d h %(minutes)02d", hours=hours, minutes=minutes % 60)
    return _("%(days)d d %(hours)d h", days=hours // 24, hours=hours % 24)


@bp.app_template_filter("business_duration")
def business_duration(value: dt.timedelta | None) -> str:
    """ "3 h 20" of business time; "overdue by 1 h 05" once negative."""
    if value is None:
        return ""
    minutes = int(abs(value).total_seconds() // 60)
    text = (
        _("%(hours)d h %(minutes)02d", hours=minutes // 60, minutes=minutes % 60)
        if minutes >= 60
        else _("%(minutes)d min", minutes=minutes)
    )
    return _("overdue by %(duration)s", duration=text) if value < dt.timedelta(0) else text
