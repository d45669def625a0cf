"""A first sign-in makes the account, its link and its session in one transaction: whatever
fails after the account row, nothing of it stays.

The account and its link are inserted in a savepoint (desk.identity.services._new_link). With
pysqlite's own transaction handling (SQLite: `make run`, the tests without PostgreSQL), the
SAVEPOINT opened the transaction itself, pysqlite having sent no BEGIN before a SELECT, and its
RELEASE committed the account there and then: a failure later in the sign-in rolled back the
rest and left an account with nothing of the directory applied and no session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from desk.auth.models import User
from desk.extensions import db
from desk.identity.cas import CasAnswer
from desk.identity.directory import get_directory
from desk.identity.models import CasSession, DirectoryLink
from desk.identity.services import account_for_identity, identify_cas_login
from tests.identity.conftest import cas_sign_in, new_browser, user_by_email

LEO = "leo.petit@etu.umontpellier.fr"


def _counts() -> tuple[int, int, int]:
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count(User.id))),
        db.session.scalar(select(func.count()).select_from(DirectoryLink)),
        db.session.scalar(select(func.count()).select_from(CasSession)),
    )


@pytest.fixture
def sessions_refused(app_ctx) -> Iterator[None]:
    """The database refuses every new CAS session row, as a constraint would: a failure of
    the sign-in's own commit, after the account row was written."""
    if db.engine.dialect.name == "sqlite":
        create = [
            "CREATE TRIGGER test_refuse_cas_session BEFORE INSERT ON cas_session "
            "BEGIN SELECT RAISE(ABORT, 'cas_session refused by the test'); END"
        ]
        drop = ["DROP TRIGGER IF EXISTS test_refuse_cas_session"]
    else:
        create = [
            "CREATE FUNCTION test_refuse_cas_session() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'cas_session refused by the test'; END $$",
            "CREATE TRIGGER test_refuse_cas_session BEFORE INSERT ON cas_session "
            "FOR EACH ROW EXECUTE FUNCTION test_refuse_cas_session()",
        ]
        drop = [
            "DROP TRIGGER IF EXISTS test_refuse_cas_session ON cas_session",
            "DROP FUNCTION IF EXISTS test_refuse_cas_session()",
        ]
    with db.engine.begin() as conn:
        for statement in create:
            conn.exec_driver_sql(statement)
    yield
    db.session.rollback()
    with db.engine.begin() as conn:
        for statement in drop:
            conn.exec_driver_sql(statement)


def test_a_first_sign_in_rolled_back_leaves_no_account(cas_app, slapd, app_ctx):
    """The caller owns the transaction: made, then rolled back, Léo has no account."""
    before = _counts()
    found = identify_cas_login(
        CasAnswer(user="lpetit", attributes={}), get_directory(cas_app.config)
    )
    assert found.user is None  # a first sign-in
    user = account_for_identity(found)
    db.session.flush()
    assert user.id is not None and user.is_staff is False
    db.session.rollback()
    assert _counts() == before
    assert user_by_email(LEO) is None


def test_a_sign_in_that_fails_after_the_account_row_leaves_nothing(
    cas_app, cas, slapd, app_ctx, sessions_refused
):
    """Léo's first sign-in fails at its commit (its session row refused): no account, no link,
    no session; the next sign-in, once the database takes it, makes the account whole."""
    before = _counts()
    browser = new_browser(cas_app)
    cas_app.config["PROPAGATE_EXCEPTIONS"] = False  # desk's 500 page, as in production
    failed = cas_sign_in(browser, cas, "lpetit")
    assert failed.status_code == 500
    assert browser.get("/home").status_code == 302  # nobody signed in
    assert _counts() == before
    assert user_by_email(LEO) is None
