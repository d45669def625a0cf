"""A list page costs a constant number of SQL statements, whatever its size (no N+1)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from desk.auth.models import Role
from desk.extensions import db
from tests.support.factories import (
    make_queue,
    make_request_type,
    make_site_tree,
    make_ticket,
    make_user,
)
from tests.support.sql import statements_sent


@pytest.fixture
def crowded_queue(app_ctx):
    queue = make_queue(code="reseau")
    techs = [make_user(role=Role.TECHNICIAN, queues=(queue,)) for _ in range(5)]
    types = [make_request_type(queue=queue) for _ in range(4)]
    sites = [make_site_tree()[0] for _ in range(3)]
    now = dt.datetime.now(dt.UTC)
    for i in range(70):  # every row has its own requester: a lazy load would show
        make_ticket(
            queue=queue,
            requester=make_user(),
            assignee=techs[i % 5] if i % 3 else None,
            request_type=types[i % 4],
            site_id=sites[i % 3].id,
            resolution_due_at=now + dt.timedelta(hours=i) if i % 5 else None,
        )
    return techs[0]


def _statements(app, client, url) -> tuple[int, str]:
    with app.app_context():
        engine = db.engine
    with statements_sent(engine) as seen:
        response = client.get(url)
    assert response.status_code == 200
    return len(seen), response.text


@pytest.mark.parametrize(
    "extra", ["", "&assignee=unassigned&priority=normal", "&sort=-created", "&status=all&q=user"]
)
def test_same_number_of_queries_for_10_and_50_rows(app, login, crowded_queue, extra):
    client = login(crowded_queue)
    client.get("/queues/reseau")  # warm up (first-request work is not per page)
    small, html_small = _statements(app, client, f"/queues/reseau?size=10{extra}")
    large, html_large = _statements(app, client, f"/queues/reseau?size=50{extra}")
    rows_small = html_small.count('<tr data-ref="')
    rows_large = html_large.count('<tr data-ref="')
    assert rows_small == 10 and rows_large > 10
    assert small == large
    # The signed-in user with the bell's unread count; the filter lists, which also say
    # whether the user is a member; the page. The queue and the transfer targets come from
    # this process's copy of the queues (desk.core.refcache), loaded by the warm-up.
    assert small == 3


def test_deep_pages_cost_the_same(app, login, crowded_queue):
    client = login(crowded_queue)
    html = client.get("/queues/reseau?size=10").text
    counts = []
    for _ in range(6):  # past the dated rows into the undated ones
        link = re.search(r'<a rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
        n, html = _statements(app, client, link)
        counts.append(n)
    # 56 dated tickets, then 14 undated: pages 2-5 dated, 6 where the dated run out (rows 51
    # to 56, then the first 4 undated: a second SELECT for them), 7 undated only.
    assert counts == [3, 3, 3, 3, 4, 3]
