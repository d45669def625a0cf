"""With the SQL parameters hidden (production), what people typed stays out of SQL errors.

hide_parameters only dropped SQLAlchemy's "[parameters: …]" line: PostgreSQL's own message
still said "DETAIL:  Key (email)=(…) already exists" or "Failing row contains (…)", and desk
logged that text (the conflict warning, an error's trace). Found by h6's outside check of
issue 10: two admins creating the same account at once wrote its address in the log.
"""

from __future__ import annotations

import traceback

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from desk.core.errors import lost_to_a_concurrent_change

TYPED = "Mme Dupont <dupont@univ.fr>"


def _refusals(url: str, *, hide: bool) -> list[IntegrityError]:
    engine = create_engine(url, hide_parameters=hide)
    refused = []
    try:
        with engine.connect() as connection:
            connection.execute(text("DROP TABLE IF EXISTS h6_typed"))
            connection.execute(
                text("CREATE TABLE h6_typed (v VARCHAR(80) UNIQUE, n INTEGER NOT NULL)")
            )
            connection.execute(text("INSERT INTO h6_typed VALUES (:v, 1)"), {"v": TYPED})
            connection.commit()
            for statement in (
                "INSERT INTO h6_typed VALUES (:v, 2)",
                "INSERT INTO h6_typed VALUES (:v || '!', NULL)",
            ):
                with pytest.raises(IntegrityError) as failed:
                    connection.execute(text(statement), {"v": TYPED})
                connection.rollback()
                refused.append(failed.value)
            connection.execute(text("DROP TABLE h6_typed"))
            connection.commit()
    finally:
        engine.dispose()
    return refused


def _logged(error: BaseException) -> str:
    return "".join(traceback.format_exception(error))


def test_hidden_parameters_keep_typed_values_out_of_the_error_and_its_trace(test_env):
    url = test_env["DESK_TEST_DATABASE_URL"]
    duplicate, missing = _refusals(url, hide=True)
    for error in (duplicate, missing):
        assert "Dupont" not in str(error)
        assert "Dupont" not in _logged(error)
    # What the code and an operator need is still there: the kind of refusal, the
    # constraint, the SQLSTATE that tells a concurrent change from a bug.
    assert "UNIQUE" in str(duplicate).upper()
    assert lost_to_a_concurrent_change(duplicate)
    assert not lost_to_a_concurrent_change(missing)


def test_shown_parameters_still_show_them(test_env):
    """DESK_LOG_SQL_PARAMETERS on (development, tests, an operator debugging): unchanged."""
    url = test_env["DESK_TEST_DATABASE_URL"]
    duplicate, _missing = _refusals(url, hide=False)
    assert "Dupont" in _logged(duplicate)
