""" "This solved my problem" is a request avoided in the report: counted once per reader (a
signed-in person, or a visit of someone who is not), article and day, however it is sent:
again from another session, twice at once by a double click without JavaScript."""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select, text

from desk.auth.models import Role
from desk.catalog.forms.fields import local_today
from desk.extensions import db
from desk.kb.models import Article, EventKind, KbEvent
from desk.kb.services import deflection_voter, record_deflection
from tests.support.factories import make_user
from tests.support.live_server import log_in, new_page

PUBLIC = "mot-de-passe-oublie"


def _deflections() -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(KbEvent).filter_by(kind=EventKind.DEFLECTION)
    )


def _solved(browser, slug=PUBLIC):
    return browser.submit(f"/aide/{slug}/resolu", page=f"/aide/{slug}")


def test_the_same_person_counts_once_from_another_session(demo_kb, login):
    person = make_user()
    assert _solved(login(person)).headers["Location"] == f"/aide/{PUBLIC}/merci"
    # Signed in again (another device, or after signing out): the one problem.
    assert _solved(login(person)).headers["Location"] == f"/aide/{PUBLIC}/merci"
    assert _deflections() == 1
    _solved(login(make_user(email="autre@umontpellier.fr")))  # someone else
    assert _deflections() == 2


def test_a_visitor_counts_once_per_visit(demo_kb, app):
    from tests.conftest import Client

    app.test_client_class = Client
    visitor, other = app.test_client(), app.test_client()
    for _ in range(2):
        _solved(visitor)
    _solved(other)  # another visit: another reader
    assert _deflections() == 2


def test_another_day_is_another_problem(demo_kb):
    article = db.session.scalar(select(Article).filter_by(slug=PUBLIC))
    person = make_user()
    voter = deflection_voter(person, "unused for a signed-in person")
    today = local_today()
    assert record_deflection(article, voter, today, person) is True
    assert record_deflection(article, voter, today, person) is False
    assert record_deflection(article, voter, today + dt.timedelta(days=1), person) is True
    db.session.commit()
    assert _deflections() == 2


@pytest.mark.browser
def test_a_double_click_or_posts_at_the_same_moment_count_once(live_server, chromium, demo_kb):
    from playwright.sync_api import expect

    page = new_page(chromium, javascript=False)
    log_in(page, live_server, make_user().email)
    page.goto(f"{live_server}/aide/{PUBLIC}")
    page.get_by_role("button", name="Cela a réglé mon problème").dblclick()
    expect(page.locator("h1")).to_have_text("Tant mieux, c’est réglé")
    # Another person's form sent by several requests at the same moment, from one session.
    page = new_page(chromium, javascript=False)
    log_in(page, live_server, make_user(email="autre@umontpellier.fr").email)
    page.goto(f"{live_server}/aide/{PUBLIC}")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    start = threading.Barrier(6)

    def post(_):
        start.wait()
        return requests.post(
            f"{live_server}/aide/{PUBLIC}/resolu",
            data={"csrf_token": token},
            cookies=cookies,
            headers={"Referer": f"{live_server}/aide/{PUBLIC}"},
            allow_redirects=False,
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(6) as pool:
        assert set(pool.map(post, range(6))) == {302}
    assert _deflections() == 2

    admin = new_page(chromium)
    log_in(admin, live_server, make_user(role=Role.ADMIN).email)
    admin.goto(f"{live_server}/aide/rapport")
    expect(admin.locator("[data-total=deflections]")).to_have_text("2")


def test_two_clicks_at_the_same_moment_on_postgresql_count_once(demo_kb, app):
    """The second insert waits for the first transaction, then meets the unique constraint."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's row locks on the unique index")
    article_id = db.session.scalar(select(Article.id).filter_by(slug=PUBLIC))
    person = make_user()
    voter, today = f"user:{person.id}", local_today()
    article = db.session.get(Article, article_id)
    assert record_deflection(article, voter, today, person) is True  # flushed, not committed
    outcome: list[bool] = []

    def second_click():
        with app.app_context():
            other = db.session.get(Article, article_id)
            outcome.append(record_deflection(other, voter, today, None))
            db.session.commit()

    thread = threading.Thread(target=second_click)
    thread.start()
    _wait_for_lock_wait()
    db.session.commit()
    thread.join(timeout=30)
    assert outcome == [False]
    assert _deflections() == 1


def _wait_for_lock_wait(seconds: float = 10) -> None:
    """Until another connection waits on a lock (the second insert on the first's row)."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    deadline = time.monotonic() + seconds
    with db.engine.connect() as watcher:
        while time.monotonic() < deadline:
            if watcher.scalar(waiting):
                return
            time.sleep(0.05)
    raise AssertionError("the second click never waited on the first")
