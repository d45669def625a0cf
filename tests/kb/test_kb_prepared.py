"""The help search only reads: its requests end with COMMIT, and on PostgreSQL its statement
(a WITH ... SELECT) stays prepared from one suggestion to the next (desk.core.readonly)."""

from __future__ import annotations

import pytest

from desk.extensions import db
from tests.conftest import _database_url
from tests.core.test_readonly import transaction_ends
from tests.support.sql import prepared_statements

SEARCH = "/aide/suggestions?q=mot+de+passe"


def test_suggestions_as_one_types_end_with_a_commit(app, demo_kb, client):
    """What the search box asks at every key: no write, so no ROLLBACK (on SQLite too)."""
    with transaction_ends(app) as ends:
        for _ in range(3):
            response = client.get(SEARCH)
            assert response.status_code == 200
            assert response.json["articles"]
    assert ends["rollback"] == 0 and ends["commit"] >= 3


@pytest.mark.skipif(
    not _database_url().startswith("postgresql"), reason="prepared statements are PostgreSQL's"
)
def test_the_search_statement_stays_prepared(app, demo_kb, client):
    """psycopg prepares a statement at its fifth run and forgets it at a ROLLBACK: the search's
    statement, taken for a write (it starts with WITH), was never kept."""

    def search(times: int = 8) -> None:
        for _ in range(times):
            assert client.get(SEARCH).status_code == 200

    prepared = prepared_statements(db.engine, search)
    assert any("to_tsquery('french_unaccent'" in statement for statement, _ in prepared), [
        statement[:80] for statement, _ in prepared
    ]
