"""The report's activity: per queue, what came in, went out and is open, with the median
times; per technician, what each resolved and holds, shown only to whom may read it."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from desk.extensions import db
from desk.sla.activity import activity_report
from desk.sla.report import period_bounds
from tests.sla.conftest import paris
from tests.support.factories import make_queue, make_request_type, make_ticket, make_user
from tests.support.sql import statements_sent

MARCH = "/sla/report?from=2026-03-01&to=2026-03-31"
HOUR = dt.timedelta(hours=1)


def _ticket(queue, created, *, answered=None, resolved=None, status=None, assignee=None):
    return make_ticket(
        queue=queue,
        created_at=created,
        first_responded_at=created + answered if answered else None,
        resolved_at=created + resolved if resolved else None,
        status=status or ("resolved" if resolved else "in_progress"),
        assignee=assignee,
    )


def _queue(name: str):
    queue = make_queue()
    queue.name_fr = queue.name_en = name
    db.session.commit()
    return queue


@pytest.fixture
def march(db):
    """Two queues of a technician and one of someone else, with March 2026's tickets and
    some before and after it."""
    helpdesk, network, other = (_queue(name) for name in ("Assistance", "Réseau", "Ailleurs"))
    anna = make_user(role="technician", name="Anna Réseau", queues=(helpdesk, network))
    bruno = make_user(role="technician", name="Bruno Visio", queues=(helpdesk,))
    carla = make_user(role="technician", name="Carla Ailleurs", queues=(other,))
    _ticket(helpdesk, paris(2026, 3, 2, 9, 0), answered=HOUR, resolved=4 * HOUR, assignee=anna)
    _ticket(
        helpdesk, paris(2026, 3, 3, 9, 0), answered=3 * HOUR, resolved=48 * HOUR, assignee=bruno
    )
    _ticket(helpdesk, paris(2026, 3, 10, 9, 0), answered=HOUR / 2, assignee=anna)  # open
    # Created in February, resolved in March: resolved in the period, not created in it.
    _ticket(helpdesk, paris(2026, 2, 20, 9, 0), resolved=12 * 24 * HOUR, assignee=bruno)
    _ticket(helpdesk, paris(2026, 4, 2, 9, 0), status="new")  # after: open today only
    _ticket(network, paris(2026, 3, 15, 9, 0), status="new")
    _ticket(other, paris(2026, 3, 12, 9, 0), answered=HOUR, resolved=HOUR, assignee=carla)
    # A cancelled request: created, neither resolved nor open.
    _ticket(network, paris(2026, 3, 16, 9, 0), status="cancelled")
    return helpdesk, network, other, anna, bruno, carla


def _rows(html: str, marker: str) -> dict[str, list[str]]:
    found = {}
    for row in re.findall(rf"<tr {marker}>(.*?)</tr>", html, re.S):
        name = re.search(r'<th scope="row">(.*?)</th>', row).group(1)
        found[name] = re.findall(r"<td>(.*?)</td>", row)
    return found


def test_per_queue_counts_and_medians_of_the_queues_one_works(login, march):
    helpdesk, network, other, anna, *_ = march
    html = login(anna).get(MARCH).text
    queues = _rows(html, "data-queue-activity")
    # Created: the three of March; resolved: two of March and February's; open today: the
    # open one of March and April's. First answer: 1 h, 3 h and 30 min; resolution: 4 h,
    # 2 days and 12 days.
    assert queues[helpdesk.name] == ["3", "3", "2", "1 h 00", "2 j 0 h"]
    assert queues[network.name] == ["2", "0", "1", "—", "—"]
    assert other.name not in queues
    english = login(make_user(role="technician", queues=(helpdesk,), locale="en")).get(MARCH)
    assert _rows(english.text, "data-queue-activity")[helpdesk.name][3:] == ["1 h 00", "2 d 0 h"]


def test_a_technician_reads_only_their_own_figures(login, march):
    anna = march[3]
    people = _rows(login(anna).get(MARCH).text, "data-technician-activity")
    assert people == {"Anna Réseau": ["1", "1"]}


def test_a_lead_reads_those_of_the_queues_they_lead_and_an_admin_everyone_s(login, march):
    helpdesk, network = march[:2]
    lead = make_user(role="technician", queues=(helpdesk, network), leads=(helpdesk,))
    people = _rows(login(lead).get(MARCH).text, "data-technician-activity")
    assert people == {"Anna Réseau": ["1", "1"], "Bruno Visio": ["2", "0"]}
    people = _rows(login(make_user(role="admin")).get(MARCH).text, "data-technician-activity")
    assert people == {
        "Anna Réseau": ["1", "1"],
        "Bruno Visio": ["2", "0"],
        "Carla Ailleurs": ["1", "0"],
    }


def test_nothing_in_the_period_says_so(login, db):
    html = login(make_user(role="technician", queues=(make_queue(),))).get(MARCH).text
    assert "Aucun ticket créé ni résolu sur cette période, et aucun ouvert." in html
    assert "Aucun ticket résolu sur cette période, et aucun détenu aujourd’hui." in html


def test_requesters_may_not_read_it(login, march):
    assert login(make_user()).get(MARCH).status_code == 403


def test_a_fixed_number_of_statements_whatever_the_queues_and_people(app, march):
    admin = make_user(role="admin")
    start, end = period_bounds(dt.date(2026, 3, 1), dt.date(2026, 3, 31), "Europe/Paris")

    def sent() -> int:
        db.session.expire_all()
        assert admin.role  # the signed-in user, loaded before the report as a request has it
        with statements_sent(db.engine) as statements:
            activity_report(admin, start, end)
        return len(statements)

    before = sent()
    for _ in range(5):
        queue = make_queue()
        tech = make_user(role="technician", queues=(queue,))
        _ticket(queue, paris(2026, 3, 20, 9, 0), answered=HOUR, resolved=HOUR, assignee=tech)
        make_request_type(queue=queue)
    after = sent()
    assert after == before == 7, (before, after)
