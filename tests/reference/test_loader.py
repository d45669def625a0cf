"""`flask desk load-reference`: the demo file loads, twice, and bad files change nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from desk.auth.models import Role, User
from desk.extensions import db
from desk.reference.models import Building, Domain, Floor, Queue, QueueMembership, Site

DEMO = Path(__file__).resolve().parents[2] / "desk/reference/data/demo.yaml"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_file_loads_and_is_idempotent(app, app_ctx):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["desk", "load-reference", str(DEMO)])
    assert first.exit_code == 0, first.output
    assert "domains: 2 created" in first.output
    counts = [_count(m) for m in (Domain, Queue, Site, Building, Floor, User, QueueMembership)]
    second = runner.invoke(args=["desk", "load-reference", str(DEMO)])
    assert second.exit_code == 0
    assert "domains: 0 created, 2 updated" in second.output
    assert [
        _count(m) for m in (Domain, Queue, Site, Building, Floor, User, QueueMembership)
    ] == counts
    assert counts[0] == 2 and counts[1] >= 6 and counts[2] == 3
    roles = set(db.session.scalars(select(User.role)))
    assert roles == {Role.REQUESTER, Role.TECHNICIAN, Role.ADMIN}
    hr = db.session.scalar(select(Domain).filter_by(code="hr"))
    assert hr.name_fr == "Ressources Humaines"


def _load(app, tmp_path, text: str):
    path = tmp_path / "ref.yaml"
    path.write_text(text, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["desk", "load-reference", str(path)])


def test_unknown_domain_is_reported_and_nothing_is_saved(app, app_ctx, tmp_path):
    result = _load(
        app,
        tmp_path,
        """
domains: [{code: it, name_fr: Info}]
queues: [{code: q1, domain: nope, name_fr: File}]
""",
    )
    assert result.exit_code != 0
    assert "queues[0]: unknown domain 'nope'" in result.output
    assert _count(Domain) == 0


def test_missing_key_names_the_place(app, app_ctx, tmp_path):
    result = _load(app, tmp_path, "sites: [{code: s1, buildings: []}]")
    assert "sites[0]: 'name' is required" in result.output


def test_invalid_yaml_and_unknown_section(app, app_ctx, tmp_path):
    assert "not valid YAML" in _load(app, tmp_path, "domains: [").output
    assert "unknown section(s): planets" in _load(app, tmp_path, "planets: []").output


def test_reasons_come_in_the_commands_english(app, app_ctx, tmp_path):
    # The opening hours' reason is the admin page's translated message: it came out in the
    # default locale (French) after the command's English "calendars[0]:".
    result = _load(app, tmp_path, 'calendars: [{name: c, hours: "lundi 25:00-17:00"}]')
    assert result.exit_code != 0
    assert "calendars[0]: Line 1" in result.output, result.output
    assert "Ligne" not in result.output


def test_user_with_unknown_queue_rolls_everything_back(app, app_ctx, tmp_path):
    result = _load(
        app,
        tmp_path,
        """
domains: [{code: it, name_fr: Info}]
users: [{email: a@umontpellier.fr, role: technician, queues: [ghost], password: abcdefgh}]
""",
    )
    assert "users[0]: unknown queue(s): ghost" in result.output
    assert _count(Domain) == 0 and _count(User) == 0


def test_a_queue_in_use_keeps_its_domain(app, app_ctx, tmp_path):
    """As on the admin's form: moved with its tickets, a queue would take its IT entries'
    new requests into HR."""
    from tests.support.factories import make_ticket

    text = """
domains: [{code: it, name_fr: Info}, {code: hr, name_fr: RH}]
queues: [{code: q1, domain: %s, name_fr: File}]
"""
    assert _load(app, tmp_path, text % "it").exit_code == 0
    queue = db.session.scalar(select(Queue).filter_by(code="q1"))
    make_ticket(queue=queue)
    result = _load(app, tmp_path, text % "hr")
    assert result.exit_code != 0
    assert "queues[0]: queue 'q1' cannot move to domain 'hr'" in result.output
    db.session.expire_all()
    assert db.session.get(Queue, queue.id).domain.code == "it"
