"""Issues found in user input (ParseIssue) and the helpers all the parsers share."""

from __future__ import annotations

import re
from dataclasses import dataclass

from desk.core.i18n import LazyText, lazy_text, number
from desk.core.i18n import lazy_gettext as _l

# A user-facing message: a lazy translation, or a plain str for values we echo back.
Text = str | LazyText

# Longer issue lists are cut to this size (the last entry says how many were left out):
# a page listing thousands of errors helps nobody and costs memory.
MAX_ISSUES = 200
# Echoed values are shortened so that one runaway cell cannot flood the error page.
_MAX_ECHO = 80
# Line ends of user text, shared by the recipients textarea and the guest CSV.
_LINE_SPLIT_RE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class ParseIssue:
    """One problem found in user input; line 0 means the whole input."""

    line: int
    column: Text | None
    reason: Text
    value: str


def format_issue(issue: ParseIssue) -> LazyText:
    """The issue as one translatable sentence, for flash messages and error lists."""
    if issue.line <= 0:
        if issue.value:
            return _l("%(reason)s (%(value)s)", reason=issue.reason, value=issue.value)
        return lazy_text(str, issue.reason)
    if issue.column is not None:
        if issue.value:
            return _l(
                "Line %(line)s, column %(column)s: %(reason)s (%(value)s)",
                line=number(issue.line),
                column=issue.column,
                reason=issue.reason,
                value=issue.value,
            )
        return _l(
            "Line %(line)s, column %(column)s: %(reason)s",
            line=number(issue.line),
            column=issue.column,
            reason=issue.reason,
        )
    if issue.value:
        return _l(
            "Line %(line)s: %(reason)s (%(value)s)",
            line=number(issue.line),
            reason=issue.reason,
            value=issue.value,
        )
    return _l("Line %(line)s: %(reason)s", line=number(issue.line), reason=issue.reason)


def _echo(value: str) -> str:
    """Shorten a value quoted back in a message."""
    return value if len(value) <= _MAX_ECHO else value[: _MAX_ECHO - 1] + "…"


def _cap_issues(issues: list[ParseIssue]) -> list[ParseIssue]:
    """Keep the first issues and replace the rest by one summary entry."""
    if len(issues) <= MAX_ISSUES:
        return issues
    kept = issues[: MAX_ISSUES - 1]
    more = len(issues) - len(kept)
    return [
        *kept,
        ParseIssue(0, None, _l("... and %(count)s more problems.", count=number(more)), ""),
    ]
