"""A login's answer time does not tell which e-mail addresses have an account.

An unknown address costs one scrypt check of a dummy hash, as a real account's wrong password
does. An account without a password (made by a CAS sign-in, or from the directory when someone
filed for its owner) must cost the same: it answered at once, a tenth of a second before an
unknown address did, and so gave away who has an account (the break-glass login of a CAS
site takes any address).
"""

from __future__ import annotations

import time

from werkzeug.security import check_password_hash, generate_password_hash

from desk.extensions import db
from tests.support.factories import make_user

ROUNDS = 3


def _quickest(measure) -> float:
    """The quickest of a few runs, in seconds: other work on the machine only adds time, so
    the minimum is the cost itself."""
    best = float("inf")
    for round_ in range(ROUNDS):
        started = time.perf_counter()
        measure(round_)
        best = min(best, time.perf_counter() - started)
    return best


def _wrong_password(client, email: str):
    def measure(round_: int) -> None:
        client.get("/login")
        data = {"email": email, "password": f"wrong-{round_}", "csrf_token": client.last_csrf}
        response = client.post("/login", data=data)
        assert response.status_code == 401

    return measure


def test_an_account_without_password_answers_as_slowly_as_an_unknown_address(client, app_ctx):
    user = make_user("cas-only@umontpellier.fr")
    user.password_hash = ""  # signs in through the CAS only (the default of such accounts)
    db.session.commit()
    stored = generate_password_hash("secret", method="scrypt")  # as User.set_password stores
    scrypt = _quickest(lambda _: check_password_hash(stored, "guess"))
    unknown = _quickest(_wrong_password(client, "nobody-here@umontpellier.fr"))
    passwordless = _quickest(_wrong_password(client, user.email))
    # Each login that fails must have paid for one scrypt check, as a real account's does
    # (about 0.1 s; a page without it takes a few milliseconds).
    assert unknown > 0.8 * scrypt, (unknown, scrypt)
    assert passwordless > 0.8 * scrypt, (passwordless, scrypt)
