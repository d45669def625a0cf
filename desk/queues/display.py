"""Per-request display helpers for long lists: labels translated once, rows prepared at once.

A 50-row page would otherwise translate the same status label, look up the locale and the
time zone and call a template helper a few hundred times; here the language is read once
and every cell of a row is computed in one Python call, so the template only prints them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import NamedTuple

from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy.engine import Row

from desk.core.i18n import local_name_html, select_timezone, short_datetime
from desk.queues.listing import Option
from desk.sla.state import SLA_LABELS, SlaState, sla_state
from desk.tickets.history import PRIORITY_LABELS
from desk.tickets.subjects import join_marked, split_subject
from desk.tickets.workflow import STATUS_LABELS

# States a row spells out under its due date (on track and "no target" say nothing more).
_SAID = frozenset(SlaState) - {SlaState.NONE, SlaState.ON_TRACK}


def labels() -> dict[str, dict]:
    """Status, priority and SLA labels as plain strings in the current language."""
    return {
        "status_labels": {k: str(v) for k, v in STATUS_LABELS.items()},
        "priority_labels": {k: str(v) for k, v in PRIORITY_LABELS.items()},
        "sla_labels": {k: str(v) for k, v in SLA_LABELS.items()},
    }


def page_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "fr"


def datetime_formatter() -> Callable[[dt.datetime | None], str]:
    """The `localdt` filter ("short" format, display time zone) of the current reader."""
    return short_datetime(str(get_locale()), select_timezone())


class ListRow(NamedTuple):
    """One row of a queue list, every cell ready to print (text is escaped by Jinja; the
    Markup cells were built by escaping)."""

    id: int
    reference: str
    version: int
    href: str
    subject: Markup
    type_title: str
    site: Markup | None
    requester: str
    assignee: str
    status: str
    status_label: str
    priority: int
    priority_label: str
    due: str
    sla: str
    sla_label: str
    created: str


def list_rows(
    tickets: Sequence[Row],
    *,
    now: dt.datetime,
    ticket_href: str,
    labels: dict[str, dict],
    request_types: Sequence[Option],
    sites: Sequence[Option],
) -> list[ListRow]:
    """The cells of a queue list's rows (`desk.queues.listing.ROW_COLUMNS`) for the reader.

    `ticket_href` is a ticket page URL with `REF` where the reference goes; `request_types`
    and `sites` are all of them (the filter lists), by which the rows' ids are named.
    """
    language = page_language()
    english = language == "en"
    fmt = datetime_formatter()
    status_labels, priority_labels = labels["status_labels"], labels["priority_labels"]
    sla_labels = labels["sla_labels"]
    types = {o.id: o for o in request_types}
    site_names = {o.id: local_name_html(o.name_fr, o.name_en, language) for o in sites}
    rows = []
    for t in tickets:
        kind = types.get(t.request_type_id)
        type_fr = kind.name_fr if kind else ""
        type_title = kind.name_en if english and kind and kind.name_en else type_fr
        state = sla_state(t, now)
        rows.append(
            ListRow(
                id=t.id,
                reference=t.reference,
                version=t.version,
                href=ticket_href.replace("REF", t.reference),
                subject=join_marked(
                    split_subject(t.subject or "", type_fr, type_title, t.language, language)
                ),
                type_title=type_title,
                site=site_names.get(t.site_id),
                requester=t.requester_name or "",
                assignee="—" if t.assignee_id is None else (t.assignee_name or ""),
                status=t.status.value,
                status_label=status_labels.get(t.status, ""),
                priority=t.priority,
                priority_label=priority_labels.get(t.priority, ""),
                due=fmt(t.resolution_due_at) if t.resolution_due_at else "—",
                sla=state.value,
                sla_label=sla_labels[state] if state in _SAID else "",
                created=fmt(t.created_at),
            )
        )
    return rows
