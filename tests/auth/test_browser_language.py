"""The language a signed-in person's browser asks for is remembered, for the e-mails (which have
no browser to ask): at sign-in, and on a later request only when it changed, one small write
then and none on the other requests."""

from __future__ import annotations

import contextlib
import re

from sqlalchemy import event

from desk.auth.models import User
from desk.extensions import db
from tests.support.factories import make_user

_USER_UPDATE = re.compile(r'^\s*UPDATE\s+"?user"?\s', re.IGNORECASE)


def _remembered(user: User) -> str | None:
    db.session.expire_all()
    return db.session.get(User, user.id).browser_locale


@contextlib.contextmanager
def _user_updates():
    """The UPDATE statements on the user table run while the block runs."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if _USER_UPDATE.match(statement):
            seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_signing_in_remembers_the_browser_s_language(client, app_ctx):
    user = make_user("alice@umontpellier.fr")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9,fr;q=0.8"
    assert client.login(user.email).status_code == 302
    assert _remembered(user) == "en"


def test_a_later_request_notes_a_change_and_writes_nothing_otherwise(client, app_ctx):
    user = make_user("alice@umontpellier.fr")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr-FR,fr;q=0.9"
    assert client.login(user.email).status_code == 302
    assert _remembered(user) == "fr"

    with _user_updates() as updates:
        assert client.get("/home").status_code == 200
        assert client.get("/home", headers={"Accept-Language": "de"}).status_code == 200
        assert client.get("/home", headers={"Accept-Language": ""}).status_code == 200
    assert updates == []  # the same language, or none of desk's: nothing written
    assert _remembered(user) == "fr"

    with _user_updates() as updates:
        page = client.get("/home", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert page.status_code == 200 and 'lang="en"' in page.text
    assert len(updates) == 1
    assert _remembered(user) == "en"


def test_a_chosen_language_does_not_stop_the_browser_s_being_noted(client, app_ctx):
    user = make_user("alice@umontpellier.fr", locale="fr")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert client.login(user.email).status_code == 302
    assert 'lang="fr"' in client.get("/home").text  # the page follows the choice
    assert _remembered(user) == "en"  # for the day the choice goes back to "the browser's"


def test_a_refused_login_notes_nothing(client, app_ctx):
    user = make_user("alice@umontpellier.fr")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert client.login(user.email, "wrong").status_code == 401
    assert _remembered(user) is None


def test_the_welcome_is_in_the_language_the_person_chose(client, app_ctx):
    """The sign-in request starts anonymous, in the browser's language; the welcome said
    after it is in the person's own choice (their pages are), not in the login page's."""
    user = make_user("alice@umontpellier.fr", name="Alice Martin")
    user.locale = "en"
    db.session.commit()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr-FR,fr;q=0.9"
    assert client.login(user.email).status_code == 302
    page = client.get("/home").get_data(as_text=True)
    assert "Welcome, Alice Martin." in page and "Bienvenue" not in page
