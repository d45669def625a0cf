"""Per-request display helpers for long lists: labels translated once, rows prepared at once.

A 50-row page would otherwise translate the same status label, look up the locale and the
time zone and call a template helper a few hundred times; here the language is read once
and every cell of a row is computed in one Python call, so the template only prints them.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence

from flask_babel import force_locale, get_locale, gettext
from markupsafe import Markup, escape
from sqlalchemy.engine import Row

from desk.core.i18n import (
    html_safe,
    local_name_html,
    page_language,
    select_timezone,
    short_datetime,
)
from desk.queues.forms import BULK_ACTIONS
from desk.queues.listing import Option
from desk.sla.state import BADGE_LABELS, SLA_LABELS, SlaState, sla_standing
from desk.tickets.history import PRIORITY_LABELS
from desk.tickets.subjects import join_marked, split_subject, titled
from desk.tickets.workflow import STATUS_LABELS, Actor, targets_of

# States a row spells out under its due date (on track and "no target" say nothing more).
_SAID = frozenset(SlaState) - {SlaState.NONE, SlaState.ON_TRACK}


def labels() -> dict[str, dict]:
    """Status, priority and SLA labels and the bulk actions, as plain strings in the current
    language (the same for every page in that language: translated once per process)."""
    return _labels(str(get_locale()))


@functools.cache
def _labels(locale: str) -> dict[str, dict]:
    with force_locale(locale):
        return {
            "status_labels": {k: str(v) for k, v in STATUS_LABELS.items()},
            "priority_labels": {k: str(v) for k, v in PRIORITY_LABELS.items()},
            "sla_labels": {k: str(v) for k, v in SLA_LABELS.items()},
            # A row's badge: the state and the deadline behind it (first answer, resolution).
            "sla_badges": {k: str(v) for k, v in BADGE_LABELS.items()},
            "bulk_actions": {k: str(v) for k, v in BULK_ACTIONS.items()},
            # What the bulk bar offers: never « Nouveau », which only desk sets.
            "bulk_statuses": {k: str(STATUS_LABELS[k]) for k in targets_of(Actor.STAFF)},
        }


def datetime_formatter() -> Callable[[dt.datetime | None], str]:
    """The `localdt` filter ("short" format, display time zone) of the current reader."""
    return short_datetime(str(get_locale()), select_timezone())


# A queue list's row. Written here rather than in the template: Jinja escapes each of a row's
# ~20 values (a thousand calls for 50 rows), when only the reference, the two names and the
# dates come from the rows; the rest are numbers, enum values, or markup and labels escaped
# once per page. Keep it in step with the table's header in templates/queues/list.html.
_ROW = """\
      <tr data-ref="{ref}">
        <td><input type="checkbox" name="ticket" value="{id}:{version}" id="sel-{id}"
                   aria-label="{select} {ref}"></td>
        <td><a href="{href}">{ref}</a></td>
        <td>{subject}{details}</td>
        <td>{requester}</td>
        <td>{assignee}</td>
        <td><span class="badge status-{status}">{status_label}</span></td>
        <td class="prio-{priority}">{priority_label}</td>
        <td class="sla-{sla}">{due}
          {sla_label}</td>
        <td>{created}</td>
      </tr>
"""


_DETAILS = Markup('<br><small class="muted">%s</small>')


def rows_html(
    tickets: Sequence[Row],
    *,
    now: dt.datetime,
    ticket_href: str,
    labels: dict[str, dict],
    request_types: Sequence[Option],
    sites: Sequence[Option],
    members: Sequence[Option] = (),
) -> Markup:
    """The `<tr>` of a queue list's rows (`desk.queues.query.TICKET_COLUMNS`), for the reader.

    `ticket_href` is a ticket page URL with `REF` where the reference goes; `request_types`
    and `sites` are all of them (the filter lists), by which the rows' ids are named;
    `members` (the queue's, from the same lists) say whose tickets are held by someone away.
    """
    language = page_language()
    english = language == "en"
    fmt = datetime_formatter()
    date = str if html_safe(fmt) else escape
    status_labels = {k: escape(v) for k, v in labels["status_labels"].items()}
    priority_labels = {k: escape(v) for k, v in labels["priority_labels"].items()}
    sla_labels = {
        k: Markup("<br><small>%s</small>") % v
        for k, v in labels["sla_labels"].items()
        if k in _SAID
    }
    sla_badges = {k: Markup("<br><small>%s</small>") % v for k, v in labels["sla_badges"].items()}
    # (French title, title for the reader, the latter escaped) by request type id
    kinds = {}
    for o in request_types:
        title = o.name_en if english and o.name_en else o.name_fr
        kinds[o.id] = (o.name_fr, title, escape(title))
    site_names = {o.id: local_name_html(o.name_fr, o.name_en, language) for o in sites}
    select = escape(gettext("Select"))
    # The URL with the escaped reference in it: escaping one whole is escaping its parts.
    href = str(escape(ticket_href))
    status_values = {k: escape(k.value) for k in labels["status_labels"]}
    away = Markup(' <span class="badge">%s</span>') % gettext("away")
    away_ids = {m.id for m in members if m.away}
    out = []
    for t in tickets:
        # Unpacked by position (attribute access on a Row costs more than the rest of the
        # row): the order of query.TICKET_COLUMNS, then the two names.
        (
            ticket_id,
            reference,
            subject,
            ticket_language,
            status,
            priority,
            version,
            _requester_id,
            assignee_id,
            type_id,
            site_id,
            created_at,
            due_at,
            _warn_at,
            _paused_since,
            _first_due_at,
            _first_warn_at,
            _first_responded_at,
            requester_name,
            assignee_name,
        ) = t
        type_fr, title, kind = kinds.get(type_id, ("", "", ""))
        parts = split_subject(subject or "", type_fr, title, ticket_language, language)
        # Under the subject: the request type unless the subject begins with its title, and
        # the site.
        details = [d for d in (kind if not titled(parts) else "", site_names.get(site_id)) if d]
        state, deadline = sla_standing(t, now)
        ref = escape(reference)
        out.append(
            _ROW.format(
                ref=ref,
                id=int(ticket_id),
                version=int(version),
                select=select,
                href=href.replace("REF", ref),
                subject=join_marked(parts),
                details=_DETAILS % Markup(" · ").join(details) if details else "",
                requester=escape(requester_name or ""),
                assignee="—"
                if assignee_id is None
                else escape(assignee_name or "") + (away if assignee_id in away_ids else ""),
                status=status_values.get(status, ""),
                status_label=status_labels.get(status, ""),
                priority=int(priority),
                priority_label=priority_labels.get(priority, ""),
                sla=state.value,
                due=date(fmt(due_at)) if due_at else "—",
                sla_label=sla_badges.get((state, deadline)) or sla_labels.get(state, ""),
                created=date(fmt(created_at)),
            )
        )
    return Markup("".join(out))  # noqa: S704 - every value above was escaped, or is a number
