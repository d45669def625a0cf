"""The `calendars` and `sla_policies` sections of the reference file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from desk.reference.loader import LoadError, load_reference
from desk.sla.models import SlaCalendar, SlaPolicy
from desk.sla.services import policy_for
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


def test_bad_policy_target(db, tmp_path):
    make_request_type(slug="zoom-licence")
    data = {
        "calendars": [{"name": "X", "hours": ["lun-ven 08:00-17:00"]}],
        "sla_policies": [{"request_type": "zoom-licence", "calendar": "X", "resolution": "0h"}],
    }
    with pytest.raises(LoadError, match="resolution"):
        _load(tmp_path, data)
    assert db.session.scalar(select(SlaPolicy)) is None


def test_demo_file_policies(db):
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    if not data.get("request_types"):
        pytest.skip("the catalogue's request types are not in the demo file yet")
    load_reference(DEMO)
    slugs = {p.request_type.slug: p for p in db.session.scalars(select(SlaPolicy))}
    assert slugs["licence-zoom"].resolution_minutes == 540
    assert slugs["probleme-connexion-reseau"].first_response_minutes == 240
    assert slugs["probleme-connexion-reseau"].resolution_minutes == 1080
    assert len(slugs) == 5
