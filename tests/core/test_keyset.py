"""Keyset pagination (`desk.core.keyset`) and the lists that use it: "Mes demandes", the
notifications, the failed e-mails and the incoming-mail review. Each list is walked from its
first page to its last through its own "next" links, forged and stale cursors land on the
first page with a message, and no page is fetched with OFFSET."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from html import unescape

import pytest

from desk.auth.models import Role
from desk.core.keyset import NONE, decode_cursor, encode_cursor
from desk.extensions import db
from desk.inbound.models import HoldReason, InboundMessage, InboundStatus
from desk.notifications.models import Channel, DeliveryStatus, Notification, NotificationEvent
from tests.support.factories import make_ticket, make_user
from tests.support.sql import statements_sent

NEXT_RE = re.compile(r'<a rel="next" href="([^"]+)"')
STALE_FR = "Ce lien de page n’est plus valable"
T0 = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)


def _forge(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_cursor_round_trip():
    moment = dt.datetime(2026, 11, 21, 9, 30, 0, 123456, tzinfo=dt.UTC)
    assert decode_cursor(encode_cursor(moment, 42), (dt.datetime, int)) == (moment, 42)
    paris = dt.datetime(2026, 11, 21, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert decode_cursor(encode_cursor(paris, 1), (dt.datetime, int))[0] == paris
    assert decode_cursor(encode_cursor(2.5, 7), (float, int)) == (2.5, 7)
    assert decode_cursor(encode_cursor(3, 7), (float, int)) == (3.0, 7)
    assert decode_cursor(encode_cursor("due", None, 7), (str, (dt.datetime, NONE), int)) == (
        "due",
        None,
        7,
    )


@pytest.mark.parametrize(
    "bad",
    [
        _forge(["2026-01-01T00:00:00", 1]),  # a date without its offset
        _forge(["yesterday", 1]),
        _forge(["0001-01-01T00:00:00+05:00", 1]),  # before year 1 once in UTC
        _forge(["2026-01-01T00:00:00+00:00", 0]),
        _forge(["2026-01-01T00:00:00+00:00", -1]),
        _forge(["2026-01-01T00:00:00+00:00", 2**31]),
        _forge(["2026-01-01T00:00:00+00:00", 10**30]),
        _forge(["2026-01-01T00:00:00+00:00", "1"]),
        _forge(["2026-01-01T00:00:00+00:00", True]),
        _forge(["2026-01-01T00:00:00+00:00", 1.5]),
        _forge([None, 1]),
        _forge([12, 1]),
        _forge(["2026-01-01T00:00:00+00:00"]),
        _forge(["2026-01-01T00:00:00+00:00", 1, 2]),
        _forge({"a": 1}),
        _forge("x"),
        "",
        "!!!",
        "é",
        "x" * 500,
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        base64.urlsafe_b64encode(b"[1e999, 1]").decode(),
    ],
)
def test_forged_cursors_decode_to_nothing(bad):
    assert decode_cursor(bad, (dt.datetime, int)) is None


def test_floats_must_be_finite():
    assert decode_cursor(base64.urlsafe_b64encode(b"[1e999,1]").decode(), (float, int)) is None
    assert decode_cursor(base64.urlsafe_b64encode(b"[NaN,1]").decode(), (float, int)) is None


def _walk(client, url: str) -> list[str]:
    """Every page of a list from `url` on, through its "next" links: the pages' HTML."""
    pages = []
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.status_code)
        pages.append(answer.text)
        found = NEXT_RE.search(answer.text)
        url = unescape(found.group(1)) if found else ""
        assert len(pages) < 20, "the pages do not end"
    return pages


def _shown(pages: list[str], pattern: str) -> list[str]:
    return [key for page in pages for key in re.findall(pattern, page)]


@pytest.fixture
def my_requests(app_ctx):
    """A requester with 45 tickets, two created in the same second, and somebody else's."""
    me = make_user(role=Role.REQUESTER)
    other = make_user(role=Role.REQUESTER)
    tickets = [
        make_ticket(requester=me, created_at=T0 + dt.timedelta(minutes=i // 2 * 2))
        for i in range(45)
    ]
    make_ticket(requester=other, created_at=T0 + dt.timedelta(minutes=3))
    return me, other, tickets


def test_my_requests_are_walked_newest_first_without_gap_or_repeat(my_requests, login):
    me, _other, tickets = my_requests
    client = login(me)
    pages = _walk(client, "/mes-demandes?show=all")
    assert len(pages) == 3  # 20 + 20 + 5
    newest_first = sorted(tickets, key=lambda t: (t.created_at, t.id), reverse=True)
    assert _shown(pages, r'data-reference="([^"]+)"') == [t.reference for t in newest_first]
    assert "Page précédente" not in pages[0] and "Première page" not in pages[0]
    assert all("Première page" in page for page in pages[1:])


def test_a_new_ticket_does_not_shift_the_next_page(my_requests, login):
    """With OFFSET, a ticket filed between two pages pushed a row of page 1 onto page 2."""
    me, _other, _tickets = my_requests
    client = login(me)
    first = client.get("/mes-demandes?show=all").text
    make_ticket(requester=me, created_at=T0 + dt.timedelta(days=1))
    second = client.get(unescape(NEXT_RE.search(first).group(1))).text
    shown_first = re.findall(r'data-reference="([^"]+)"', first)
    shown_second = re.findall(r'data-reference="([^"]+)"', second)
    assert not set(shown_first) & set(shown_second)
    assert len(shown_second) == 20


def test_another_requesters_cursor_shows_only_my_own_tickets(my_requests, login):
    _me, other, tickets = my_requests
    cursor = encode_cursor(T0 + dt.timedelta(days=1), 2**31 - 1)  # after everything anyone has
    page = login(other).get(f"/mes-demandes?show=all&after={cursor}").text
    shown = re.findall(r'data-reference="([^"]+)"', page)
    assert len(shown) == 1 and shown[0] not in {t.reference for t in tickets}


@pytest.mark.parametrize(
    "after",
    [
        "garbage",
        "x" * 300,
        _forge(["2026-01-01T00:00:00", 1]),
        _forge(["2026-01-01T00:00:00+00:00", 10**40]),
        "%FF%FE",
        # Well formed, but nothing is older: the rows it pointed after are gone.
        _forge(["1990-01-01T00:00:00+00:00", 1]),
    ],
)
def test_a_bad_or_stale_cursor_lands_on_the_first_page_with_a_message(my_requests, login, after):
    me, _other, _tickets = my_requests
    client = login(me)
    answer = client.get(f"/mes-demandes?show=closed&after={after}")
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/mes-demandes?show=closed")
    assert STALE_FR in client.get(answer.headers["Location"]).text


def test_a_nul_in_the_cursor_is_refused_in_the_users_language(my_requests, login):
    me, _other, _tickets = my_requests
    answer = login(me).get("/mes-demandes?after=ab%00cd")
    assert answer.status_code == 400 and "caractère" in answer.text


@pytest.mark.parametrize(
    ("url", "table"),
    [
        ("/mes-demandes?show=all", "ticket"),
        ("/notifications", "notification"),
        ("/admin/notifications", "notification"),
        ("/admin/inbound?show=failed", "inbound_message"),
    ],
)
def test_no_list_page_is_fetched_with_offset(app_ctx, login, url, table):
    admin = make_user(role=Role.ADMIN)
    make_ticket(requester=admin)
    client = login(admin)
    with statements_sent(db.engine) as statements:
        assert client.get(url).status_code == 200
    listed = [s for s in statements if f"FROM {table}" in s and "LIMIT" in s]
    assert listed, statements
    if db.engine.dialect.name == "sqlite":
        # SQLite's compiler writes OFFSET 0 after every LIMIT: PostgreSQL's run is the check.
        listed = [re.sub(r"(LIMIT \d+) OFFSET \?", r"\1", s) for s in listed]
    assert not any("OFFSET" in s for s in listed), listed


def _notifications(user, count: int, **extra) -> list[Notification]:
    rows = [
        Notification(
            event=NotificationEvent.ASSIGNED,
            recipient_id=user.id,
            channel=Channel.INAPP,
            payload={
                "events": [{"event": "assigned"}],
                "ticket": {"reference": f"DEM-2026-{i:06d}", "subject": f"sujet {i}"},
            },
            dedupe_key=f"keyset-{user.id}-{i}-{extra.get('status', '')}",
            **extra,
        )
        for i in range(count)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_the_notification_list_is_walked_and_read_marks_keep_the_page(app_ctx, login):
    me, other = make_user(role=Role.TECHNICIAN), make_user(role=Role.TECHNICIAN)
    mine = _notifications(me, 65)
    _notifications(other, 5)
    client = login(me)
    pages = _walk(client, "/notifications")
    assert [len(re.findall(r'data-id="(\d+)"', p)) for p in pages] == [30, 30, 5]
    shown = [int(i) for i in _shown(pages, r'data-id="(\d+)"')]
    assert shown == sorted((n.id for n in mine), reverse=True)
    # "Mark as read" on page 2 comes back to page 2.
    second_url = unescape(NEXT_RE.search(pages[0]).group(1))
    answer = client.submit(
        f"/notifications/{shown[31]}/read", {"next": second_url}, page=second_url
    )
    assert answer.status_code == 302 and answer.headers["Location"] == second_url


def test_the_failed_e_mails_are_walked_by_an_admin_only(app_ctx, login):
    admin = make_user(role=Role.ADMIN)
    failed = _notifications(admin, 35, status=DeliveryStatus.FAILED, last_error="550 no such user")
    for row in failed:
        row.channel = Channel.EMAIL
    db.session.commit()
    pages = _walk(login(admin), "/admin/notifications")
    assert len(pages) == 2
    assert _shown(pages, r"DEM-2026-\d{6}") == [f"DEM-2026-{i:06d}" for i in reversed(range(35))]
    assert login(make_user(role=Role.TECHNICIAN)).get("/admin/notifications").status_code == 403
    stale = login(admin).get(f"/admin/notifications?after={_forge([1])}")
    assert stale.status_code == 302 and stale.headers["Location"].endswith("/admin/notifications")


def test_the_incoming_mail_review_is_walked_within_its_tab(app_ctx, login):
    rows = [
        InboundMessage(
            message_id=f"<m{i}@example.org>",
            content_hash=f"{i:064d}",
            subject=f"message {i:03d}",
            status=InboundStatus.HELD if i % 3 else InboundStatus.FAILED,
            reason=HoldReason.BAD_SIGNATURE if i % 3 else None,
            received_at=T0 + dt.timedelta(minutes=i // 4),  # four at a time: ties on the date
        )
        for i in range(100)
    ]
    db.session.add_all(rows)
    db.session.commit()
    admin = login(make_user(role=Role.ADMIN))
    held = _shown(_walk(admin, "/admin/inbound?show=held"), r"message (\d{3})")
    expected = sorted(
        (r for r in rows if r.status is InboundStatus.HELD),
        key=lambda r: (r.received_at, r.id),
        reverse=True,
    )
    assert held == [r.subject[-3:] for r in expected]
    failed = _walk(admin, "/admin/inbound?show=failed")
    assert "show=failed" in NEXT_RE.search(failed[0]).group(1)
    assert len(_shown(failed, r"message (\d{3})")) == 34
    assert login(make_user(role=Role.TECHNICIAN)).get("/admin/inbound").status_code == 403


def test_the_notification_list_reads_one_users_rows_in_order(app_ctx, login):
    """The list's page comes from its own index, whoever the user and however old their
    rows: not from the primary key walked backwards through everybody's newer ones."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("query plans checked on PostgreSQL")
    me, busy = make_user(role=Role.TECHNICIAN), make_user(role=Role.TECHNICIAN)
    _notifications(me, 40)
    (model,) = _notifications(busy, 1)
    with db.engine.begin() as conn:  # 20,000 newer rows, somebody else's
        conn.exec_driver_sql(
            "INSERT INTO notification (event, recipient_id, channel, payload, dedupe_key,"
            " status, attempts, next_attempt_at, last_error, created_at)"
            " SELECT event, recipient_id, channel, payload, 'copy-' || g, status, attempts,"
            " next_attempt_at, last_error, created_at"
            " FROM notification, generate_series(1, 20000) AS g WHERE id = %s",
            (model.id,),
        )
        conn.exec_driver_sql("ANALYZE notification")
    client = login(me)
    for url in ("/notifications", unescape(NEXT_RE.search(client.get("/notifications").text)[1])):
        with statements_sent(db.engine, parameters=True) as sent:
            assert client.get(url).status_code == 200
        ((statement, parameters),) = [
            (s, p) for s, p in sent if "FROM notification" in s and "LIMIT" in s
        ]
        with db.engine.connect() as conn:
            explained = conn.exec_driver_sql(f"EXPLAIN (ANALYZE) {statement}", parameters)
            plan = "\n".join(row[0] for row in explained)
        assert "ix_notification_inbox_list" in plan, plan
        assert "Rows Removed by Filter" not in plan, plan
