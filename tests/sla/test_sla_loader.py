"""The `calendars` and `sla_policies` sections of the reference file."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from desk.extensions import db as _db
from desk.reference.loader import LoadError, load_reference
from desk.sla.models import SlaCalendar, SlaEvent, SlaPolicy
from desk.sla.services import policy_for
from desk.tickets.models import Ticket
from tests.sla.conftest import new_ticket, paris
from tests.support.factories import make_queue, make_request_type

DEMO = Path(__file__).resolve().parents[2] / "desk/reference/data/demo.yaml"


def _load(tmp_path, data) -> None:
    path = tmp_path / "ref.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    load_reference(path)


def test_calendars_and_policies_load_idempotently(db, tmp_path):
    zoom = make_request_type(slug="zoom-licence")
    queue = make_queue(code="visio")
    data = {
        "calendars": [
            {
                "name": "Jours ouvrés 8h–17h",
                "timezone": "Europe/Paris",
                "hours": ["lun-ven 08:00-17:00"],
                "holiday_country": "FR",
                "holiday_years": [2026, 2027],
                "holidays": ["2026-12-24"],
                "queues": ["visio"],
            },
            {"name": "24/7", "hours": ["lun-dim 00:00-24:00"]},
        ],
        "sla_policies": [
            {
                "request_type": "zoom-licence",
                "calendar": "Jours ouvrés 8h–17h",
                "resolution": "1d",
                "warning_percent": 75,
            }
        ],
    }
    _load(tmp_path, data)
    _load(tmp_path, data)
    calendars = {c.name: c for c in db.session.scalars(select(SlaCalendar))}
    assert len(calendars) == 2 and calendars["24/7"].is_24_7
    workday = calendars["Jours ouvrés 8h–17h"]
    assert {"2026-12-24", "2026-12-25", "2027-07-14"} <= set(workday.holidays)
    db.session.refresh(queue)
    assert queue.calendar_id == workday.id
    policy = policy_for(zoom.id)
    assert (policy.resolution_minutes, policy.first_response_minutes) == (540, None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"calendars": [{"name": "X", "hours": ["lun 08:00-12:00"], "timezone": "Europe/Pari"}]},
            "calendars[0]",
        ),
        ({"calendars": [{"name": "X", "hours": ["dim fermé"]}]}, "calendars[0]"),
        (
            {
                "calendars": [
                    {"name": "X", "hours": ["lun 08:00-12:00"], "holidays": ["2026-02-30"]}
                ]
            },
            "calendars[0]",
        ),
        (
            {"sla_policies": [{"request_type": "nope", "calendar": "X", "resolution": "1d"}]},
            "unknown request type",
        ),
    ],
)
def test_bad_sections_are_refused_whole(db, tmp_path, data, message):
    with pytest.raises(LoadError, match=message.replace("[", r"\[").replace("]", r"\]")):
        _load(tmp_path, data)
    assert db.session.scalar(select(SlaCalendar)) is None


@pytest.mark.parametrize("percent", ["soixante", 75.9, True, [75], 0, 100])
def test_a_warning_percent_that_is_no_whole_percentage_is_refused(db, tmp_path, percent):
    make_request_type(slug="zoom-licence")
    policy = {"request_type": "zoom-licence", "calendar": "X", "resolution": "1d"}
    data = {
        "calendars": [{"name": "X", "hours": ["lun-ven 08:00-17:00"]}],
        "sla_policies": [{**policy, "warning_percent": percent}],
    }
    with pytest.raises(LoadError, match=r"sla_policies\[0\]: warning_percent must be a whole"):
        _load(tmp_path, data)
    assert db.session.scalar(select(SlaPolicy)) is None


@pytest.mark.parametrize("years", [[20026], [2026, "deux mille vingt-sept"], "2026-20028"])
def test_holiday_years_are_read_as_the_admin_form_reads_them(db, tmp_path, years):
    # A typo generated no holiday at all, and the load said nothing.
    calendar = {"name": "X", "hours": ["lun-ven 08:00-17:00"], "holiday_years": years}
    with pytest.raises(LoadError, match=r"calendars\[0\]"):
        _load(tmp_path, {"calendars": [calendar]})
    assert db.session.scalar(select(SlaCalendar)) is None
    _load(tmp_path, {"calendars": [{**calendar, "holiday_years": "2026-2027"}]})
    holidays = db.session.scalar(select(SlaCalendar.holidays))
    assert {"2026-05-14", "2027-05-17"} <= set(holidays)  # Ascension, Whit Monday


def test_holidays_given_alone_rather_than_as_a_list(db, tmp_path):
    path = tmp_path / "ref.yaml"
    path.write_text(
        "calendars:\n"
        "  - {name: A, hours: ['lun-ven 08:00-17:00'], holidays: 2026-12-25}\n"
        "  - {name: B, hours: ['lun-ven 08:00-17:00'], holidays: '2026-12-24 - 2026-12-26'}\n",
        encoding="utf-8",
    )
    load_reference(path)
    saved = dict(db.session.execute(select(SlaCalendar.name, SlaCalendar.holidays)).all())
    assert saved == {"A": ["2026-12-25"], "B": ["2026-12-24", "2026-12-25", "2026-12-26"]}


def test_bad_policy_target(db, tmp_path):
    make_request_type(slug="zoom-licence")
    data = {
        "calendars": [{"name": "X", "hours": ["lun-ven 08:00-17:00"]}],
        "sla_policies": [{"request_type": "zoom-licence", "calendar": "X", "resolution": "0h"}],
    }
    with pytest.raises(LoadError, match="resolution"):
        _load(tmp_path, data)
    assert db.session.scalar(select(SlaPolicy)) is None


@pytest.mark.parametrize(("first", "resolution"), [("4h", "2h"), ("10h", "1d"), ("2d", "1d")])
def test_a_first_response_longer_than_the_resolution_is_refused(db, tmp_path, first, resolution):
    # The admin form refuses it; the file gave the same policy without a word.
    make_request_type(slug="zoom-licence")
    policy = {"request_type": "zoom-licence", "calendar": "X", "resolution": resolution}
    data = {
        "calendars": [{"name": "X", "hours": ["lun-ven 08:00-17:00"]}],
        "sla_policies": [{**policy, "first_response": first}],
    }
    with pytest.raises(LoadError, match=r"sla_policies\[0\]: first_response \(\d+ business"):
        _load(tmp_path, data)
    assert db.session.scalar(select(SlaPolicy)) is None
    _load(tmp_path, {**data, "sla_policies": [{**policy, "first_response": resolution}]})
    assert db.session.scalar(select(SlaPolicy)) is not None


def test_hours_cut_under_a_year_long_target_are_refused(db, tmp_path):
    # The hours are read before the policies: a target checked when it was typed became ten
    # thousand years of these, and each new ticket of the type a server error.
    rt = make_request_type(slug="pret-materiel")
    always = {"name": "Toujours", "hours": ["lun-dim 00:00-24:00"]}
    policy = {"request_type": "pret-materiel", "calendar": "Toujours", "resolution": "365d"}
    _load(tmp_path, {"calendars": [always], "sla_policies": [policy]})
    # The reason is the admin form's message, in the site's default language (French).
    with pytest.raises(
        LoadError, match=r"'Toujours'.*« Demande \d+ » aurait un objectif de plus d’un an"
    ):
        _load(tmp_path, {"calendars": [{**always, "hours": ["sam 00:00-00:01"]}]})
    _db.session.expire_all()
    assert _db.session.scalar(select(SlaCalendar)).is_24_7
    # Shortened in the same file, the target fits the new hours.
    _load(
        tmp_path,
        {
            "calendars": [{**always, "hours": ["sam 00:00-00:01"]}],
            "sla_policies": [{**policy, "resolution": "52 min"}],
        },
    )
    assert new_ticket(rt, paris(2026, 12, 7, 9, 0)).resolution_due_at is not None


def test_demo_file_policies(db):
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    if not data.get("request_types"):
        pytest.skip("the catalogue's request types are not in the demo file yet")
    load_reference(DEMO)
    slugs = {p.request_type.slug: p for p in db.session.scalars(select(SlaPolicy))}
    assert slugs["licence-zoom"].resolution_minutes == 540
    assert slugs["probleme-connexion-reseau"].first_response_minutes == 240
    assert slugs["probleme-connexion-reseau"].resolution_minutes == 1080
    # Requests by e-mail (to a queue's address) have their SLA like the catalogue's forms.
    assert slugs["demande-par-email"].first_response_minutes == 540
    assert set(slugs) == {entry["request_type"] for entry in data["sla_policies"]}


# --- a reference file that changes SLA settings recomputes the open tickets (after commit) ---

WORKDAY = "Jours ouvrés 8h–17h"  # the `workday` fixture's calendar


def _zoom_policy(**changes) -> dict:
    return {"request_type": "zoom-licence", "calendar": WORKDAY, "resolution": "1d", **changes}


def _cli_load(app, tmp_path, data, *, ok: bool = True):
    """`flask desk load-reference FILE`, as an administrator runs it."""
    path = tmp_path / "ref.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["desk", "load-reference", str(path)])
    assert (result.exit_code == 0) is ok, result.output
    return result


def _sla_tasks(app) -> list[tuple[str, int]]:
    """(task, id) of the SLA messages waiting in the Celery queue of the test Redis."""
    raw = app.extensions["redis"].lrange("celery", 0, -1)
    found = []
    for message in map(json.loads, reversed(raw)):  # LPUSHed: the oldest is last
        task = message["headers"]["task"]
        if task.startswith("desk.sla."):
            args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            found.append((task, *args))
    return found


@pytest.mark.worker
def test_cli_policy_change_recomputes_open_tickets_on_the_worker(
    app, celery_worker_process, zoom, tmp_path
):
    ticket = new_ticket(zoom, paris(2026, 11, 20, 16, 30))  # a Friday, 1 working day to go
    assert ticket.resolution_due_at == paris(2026, 11, 23, 16, 30)
    result = _cli_load(app, tmp_path, {"sla_policies": [_zoom_policy(resolution="2d")]})
    assert "sla_policies: 0 created, 1 updated" in result.output

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _db.session.rollback()  # see the worker's commit
        due = _db.session.get(Ticket, ticket.id).resolution_due_at
        if due != paris(2026, 11, 23, 16, 30):
            break
        time.sleep(0.1)
    assert due == paris(2026, 11, 24, 16, 30), celery_worker_process.output()[-3000:]


@pytest.mark.worker
def test_cli_target_added_counts_from_the_load_on_the_worker(
    app, celery_worker_process, zoom, tmp_path
):
    """A first-response target added by the file to a policy that had none: the open tickets
    count it from the load, not from their creation (Friday's ticket was then overdue since
    Monday, and the next sweep breached and escalated every older ticket at once)."""
    from desk.sla.services import to_calendar
    from desk.sla.sweep import sweep_sla

    ticket = new_ticket(zoom, paris(2026, 11, 20, 16, 30))
    _cli_load(app, tmp_path, {"sla_policies": [_zoom_policy(first_response="4h")]})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _db.session.rollback()  # see the worker's commit
        fresh = _db.session.get(Ticket, ticket.id)
        if fresh.first_response_due_at is not None:
            break
        time.sleep(0.1)
    policy = policy_for(zoom.id)
    added = policy.first_response_added_at
    assert fresh.first_response_started_at == added
    due = to_calendar(policy.calendar).add_business_time(added, dt.timedelta(hours=4))
    assert fresh.first_response_due_at == due, celery_worker_process.output()[-3000:]
    assert fresh.resolution_due_at == paris(2026, 11, 23, 16, 30)  # from its creation still
    # Its resolution was missed long ago (one breach); its first answer is not late.
    assert sweep_sla(added + dt.timedelta(minutes=1)) == 1
    kinds = _db.session.scalars(select(SlaEvent.kind).where(SlaEvent.ticket_id == ticket.id))
    assert list(kinds) == ["resolution_breach"]


def test_cli_reloading_an_unchanged_file_enqueues_nothing(app, zoom, tmp_path):
    new_ticket(zoom, paris(2026, 11, 20, 16, 30))
    redis = app.extensions["redis"]
    redis.delete("celery")  # the ticket's own notification task
    data = {
        "calendars": [{"name": "Astreinte", "hours": ["lun-dim 00:00-24:00"]}],
        "sla_policies": [_zoom_policy(warning_percent=75)],
    }
    _cli_load(app, tmp_path, data)  # a new calendar, the policy as it already is
    assert redis.llen("celery") == 0
    _cli_load(app, tmp_path, data)
    assert redis.llen("celery") == 0

    data["calendars"][0]["hours"] = ["lun-sam 00:00-24:00"]
    _cli_load(app, tmp_path, data)
    astreinte = _db.session.scalar(select(SlaCalendar).filter_by(name="Astreinte"))
    assert _sla_tasks(app) == [("desk.sla.recompute_calendar", astreinte.id)]

    redis.delete("celery")  # consumed, as a worker would
    data["sla_policies"] = [_zoom_policy(first_response="4h")]
    _cli_load(app, tmp_path, data)
    assert _sla_tasks(app) == [("desk.sla.recompute_policy", policy_for(zoom.id).id)]


def test_cli_new_policy_recomputes_only_when_tickets_are_open(app, workday, tmp_path):
    filed = make_request_type(slug="zoom-licence")
    new_ticket(filed, paris(2026, 11, 20, 16, 30))
    make_request_type(slug="vpn-access")
    vpn = {"request_type": "vpn-access", "calendar": WORKDAY, "resolution": "1d"}
    _cli_load(app, tmp_path, {"sla_policies": [_zoom_policy(), vpn]})
    _db.session.rollback()
    assert _sla_tasks(app) == [("desk.sla.recompute_policy", policy_for(filed.id).id)]


def test_cli_failed_load_enqueues_nothing(app, zoom, tmp_path):
    new_ticket(zoom, paris(2026, 11, 20, 16, 30))
    data = {
        "calendars": [{"name": WORKDAY, "hours": ["lun-sam 08:00-17:00"]}],
        "sla_policies": [_zoom_policy(resolution="0h")],  # refused after the calendar changed
    }
    _cli_load(app, tmp_path, data, ok=False)
    assert _sla_tasks(app) == []
    _db.session.rollback()
    assert "5" not in policy_for(zoom.id).calendar.weekly_hours  # Saturday: still closed
