"""The directory sync at a university's size: tens of thousands of entries, through slapd."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from desk.auth.models import User
from desk.extensions import db
from tests.identity.conftest import run_sync, sign_in_everyone, user_by_email
from tests.support.factories import make_user
from tests.support.slapd import PEOPLE_DN, Slapd

# More than PostgreSQL's 65,535 parameters of one statement: a query with one parameter per
# entry (or per account) fails there.
STUDENTS = 66_000


def _students_ldif(count: int) -> str:
    return "".join(
        f"\ndn: uid=etu{i:05d},{PEOPLE_DN}\n"
        "objectClass: inetOrgPerson\nobjectClass: eduPerson\nobjectClass: supannPerson\n"
        f"uid: etu{i:05d}\ncn: Etudiant {i}\nsn: {i}\ndisplayName: Etudiant {i}\n"
        f"mail: etu{i:05d}@etu.umontpellier.fr\neduPersonAffiliation: student\n"
        for i in range(count)
    )


@pytest.fixture
def slapd():
    """The test directory with 66,000 more students, read by a service account without
    limits, as a university sets it up (this module's `slapd`, used by `cas_app`)."""
    server = Slapd(extra_ldif=_students_ldif(STUDENTS), unlimited=True).start()
    try:
        yield server
    finally:
        server.cleanup()


def test_a_sync_of_tens_of_thousands_of_entries(cas_app, cas, slapd, app_ctx):
    """Every address of the directory was one parameter of the query that looks for accounts
    to link: past 65,535 entries PostgreSQL refused it, and the nightly sync failed every
    night at a large university. Now it completes, links the account made before sign-in was
    turned on, and stays within a couple of minutes."""
    sign_in_everyone(cas_app, cas)
    # A requester account made before sign-in was turned on, no password: linked by address.
    early = make_user("etu54321@etu.umontpellier.fr", name="Before CAS")
    early.password_hash = ""
    db.session.commit()
    started = time.monotonic()
    run = run_sync(cas_app)
    elapsed = time.monotonic() - started
    assert run.status == "ok", run.counts
    assert run.counts["entries"] == STUDENTS + 4
    assert run.counts["linked"] == 1 and run.counts["deactivated"] == 0
    assert user_by_email(early.email).display_name == "Etudiant 54321"
    assert db.session.scalar(select(func.count()).where(User.is_active_account.is_(False))) == 0
    assert elapsed < 120, f"the sync took {elapsed:.0f} s"
