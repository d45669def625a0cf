"""Reference-file section `accessibility_statement`: a list holding the one statement.

accessibility_statement:
  - {status: partial, compliance_rate: 84, audit_date: 2026-11-30, contact_email: ...,
     service_name_fr: ..., service_name_en: ..., non_compliant_fr: |- one line per item ...}
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from desk.accessibility.models import Conformance
from desk.accessibility.services import EDITABLE, get_statement, update_statement
from desk.reference.loader import LoadError, LoadReport, section


def _date(value: Any, where: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise LoadError(f"{where}: expected a date YYYY-MM-DD, got '{value}'") from None


@section("accessibility_statement", order=90)
def load_statement(items: list[dict], report: LoadReport) -> None:
    """Upsert the statement from the first (only) item."""
    if not items:
        return
    if len(items) > 1:
        raise LoadError("accessibility_statement: there is one statement, give one item")
    item, where = items[0], "accessibility_statement[0]"
    if not isinstance(item, dict):
        raise LoadError(f"{where}: expected a mapping")
    unknown = sorted(set(item) - set(EDITABLE))
    if unknown:
        raise LoadError(f"{where}: unknown key(s): {', '.join(unknown)}")
    values = {k: ("" if v is None else v) for k, v in item.items()}
    try:
        values["status"] = Conformance(item.get("status", "none"))
    except ValueError:
        known = ", ".join(c.value for c in Conformance)
        raise LoadError(f"{where}: status must be one of {known}") from None
    rate = item.get("compliance_rate")
    if rate is not None and (not isinstance(rate, int) or not 0 <= rate <= 100):
        raise LoadError(f"{where}: compliance_rate must be a whole number from 0 to 100")
    values["compliance_rate"] = rate
    values["audit_date"] = _date(item.get("audit_date"), where)
    values["statement_date"] = _date(item.get("statement_date"), where)
    created = get_statement() is None
    update_statement(values, actor=None)
    report.add("accessibility_statement", created)
