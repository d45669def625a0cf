"""Reading and editing the accessibility statement; the catalogue entry that reports a problem."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from desk.accessibility.models import BILINGUAL, AccessibilityStatement, Conformance
from desk.auth.models import User
from desk.catalog.models import RequestType
from desk.core import refcache
from desk.extensions import db

# The footer of every page shows the status: a per-process copy, dropped when an admin (or the
# reference file) changes the statement, instead of a query on every page.
refcache.watch(AccessibilityStatement)

# The catalogue form through which anyone logged in reports an accessibility problem.
REPORT_FORM_KEY = "accessibility_report"
# Columns an admin edits (everything but the id and the timestamp).
EDITABLE = (
    "status",
    "compliance_rate",
    "audit_date",
    "statement_date",
    "contact_email",
    *(f"{name}_{lang}" for name in BILINGUAL for lang in ("fr", "en")),
)


def get_statement() -> AccessibilityStatement | None:
    """The statement, or None while nobody has written one."""
    return db.session.scalar(select(AccessibilityStatement).order_by(AccessibilityStatement.id))


def conformance() -> Conformance:
    """The declared status; "not compliant" until a statement says otherwise."""
    try:
        return refcache.cached("accessibility.conformance", _load_conformance)
    except SQLAlchemyError:
        # The footer of an error page must not fail when the database is what failed.
        db.session.rollback()
        return Conformance.NONE


def _load_conformance(session) -> Conformance:
    statement = session.scalar(
        select(AccessibilityStatement.status).order_by(AccessibilityStatement.id).limit(1)
    )
    return statement or Conformance.NONE


def report_entry() -> RequestType | None:
    """The active catalogue entry for accessibility problems, if one exists."""
    return db.session.scalar(
        select(RequestType)
        .where(RequestType.form_key == REPORT_FORM_KEY, RequestType.is_active.is_(True))
        .order_by(RequestType.position, RequestType.id)
    )


def update_statement(values: dict[str, Any], *, actor: User | None) -> AccessibilityStatement:
    """Create or change the statement; the caller commits. `actor` None is the reference file."""
    statement = get_statement()
    if statement is None:
        statement = AccessibilityStatement()
        db.session.add(statement)
    for name in EDITABLE:
        if name in values:
            setattr(statement, name, values[name])
    if statement.status is None:
        statement.status = Conformance.NONE
    return statement
