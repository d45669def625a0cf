"""A queue's list as a CSV file for a spreadsheet: the rows the list shows with the same
filters and sort, every page of them, in the reader's language.

A cell a spreadsheet would read as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
carriage return) is written with an apostrophe before it: a requester could otherwise type a
subject such as `=HYPERLINK("http://…")` that runs in the technician's spreadsheet (CSV
injection). French files use `;` between cells, as a French spreadsheet expects; English ones
`,`. Both start with a byte-order mark, without which Excel reads UTF-8 as Windows-1252.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from collections.abc import Iterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from desk.core.i18n import page_language, select_timezone
from desk.queues.cursor import decode_cursor
from desk.queues.display import datetime_formatter
from desk.queues.listing import Listed, QueueFilters
from desk.queues.query import fetch_page
from desk.reference.models import Queue
from desk.sla.state import sla_standing
from desk.tickets.models import OPEN_STATUSES, localized_subject

MAX_ROWS = 10_000  # a year of a busy queue; more is a job for the reports, not a download
BATCH = 500  # rows per SELECT (one keyset page each)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def file_name(queue: Queue, now: dt.datetime) -> str:
    """`<queue code>-<day in the display zone>.csv`: the code is an admin's choice, so only
    its plain characters go into the header."""
    code = re.sub(r"[^A-Za-z0-9_-]", "", queue.code) or "queue"
    day = now.astimezone(ZoneInfo(select_timezone())).date().isoformat()
    return f"{code}-{day}.csv"


def cell(value: object) -> str:
    """`value` as text a spreadsheet shows as it is, never runs."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _rows(listed: Listed, filters: QueueFilters, now: dt.datetime) -> Iterator[Sequence]:
    """The list's rows from its first page on, MAX_ROWS at most, one keyset page after
    another."""
    f = dataclasses.replace(filters, size=min(BATCH, MAX_ROWS), cursor=None, errors=[])
    count = 0
    while True:
        page = fetch_page(listed.queue, f, now)
        yield from page.tickets[: MAX_ROWS - count]
        count += len(page.tickets)
        if page.next_cursor is None or count >= MAX_ROWS:
            return
        f = dataclasses.replace(f, cursor=decode_cursor(page.next_cursor, f.sort))


def _sla_text(labels: dict[str, dict], row: Any, now: dt.datetime) -> str:
    """The row's SLA badge: the state, with the deadline behind it when due soon or late.
    None for a finished ticket, as on the list and the ticket page: "No target" beside the
    due date it had read as if it never had one (whether it was met is on its page)."""
    if row.status not in OPEN_STATUSES:
        return ""
    state, deadline = sla_standing(row, now)
    return labels["sla_badges"].get((state, deadline)) or labels["sla_labels"].get(state, "")


def export_csv(
    listed: Listed, filters: QueueFilters, now: dt.datetime, labels: dict[str, dict]
) -> str:
    """The CSV text of the list (its first MAX_ROWS rows)."""
    english = page_language() == "en"
    fmt = datetime_formatter()
    # The filter lists name each type and site in the reader's language (`Option.title`).
    kinds = {o.id: o.title for o in listed.request_types}
    kinds_fr = {o.id: o.name_fr for o in listed.request_types}
    sites = {o.id: o.title for o in listed.sites}
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter="," if english else ";", lineterminator="\r\n")
    writer.writerow(
        [
            _("Reference"),
            _("Subject"),
            _("Request type"),
            _("Site"),
            _("Requester"),
            _("Assignee"),
            _("Status"),
            _("Priority"),
            _("Resolution due"),
            _("SLA"),
            _("Created"),
        ]
    )
    for t in _rows(listed, filters, now):
        title = kinds.get(t.request_type_id, "")
        subject = localized_subject(t.subject or "", kinds_fr.get(t.request_type_id, ""), title)
        writer.writerow(
            [
                cell(value)
                for value in (
                    t.reference,
                    subject,
                    title,
                    sites.get(t.site_id, ""),
                    t.requester_name,
                    t.assignee_name if t.assignee_id is not None else "",
                    labels["status_labels"].get(t.status, ""),
                    labels["priority_labels"].get(t.priority, ""),
                    fmt(t.resolution_due_at) if t.resolution_due_at else "",
                    _sla_text(labels, t, now),
                    fmt(t.created_at),
                )
            ]
        )
    return out.getvalue()
