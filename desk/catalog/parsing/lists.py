"""Mailing lists: the list name and the recipients textarea."""

from __future__ import annotations

import re

from desk.catalog.parsing.emails import is_valid_email
from desk.catalog.parsing.issues import _LINE_SPLIT_RE, ParseIssue, _cap_issues, _echo
from desk.core.i18n import lazy_gettext as _l
from desk.core.i18n import number

# --------------------------------------------------------------------------------------
# Mailing-list names
# --------------------------------------------------------------------------------------

# A list name becomes the local part of the list address (name@lists...). We keep a
# portable subset of RFC 5321: lower case only (list servers and LDAP compare names
# case-insensitively, so mixed case would just create look-alikes), no leading or
# trailing punctuation and no "..", which mail servers reject in an unquoted local part.
MAILING_LIST_NAME_RE = re.compile(r"(?!.*\.\.)[a-z0-9][a-z0-9._-]{1,62}[a-z0-9]", re.ASCII)
_LIST_NAME_MIN = 3
_LIST_NAME_MAX = 64
_LIST_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


def _show_char(char: str) -> str:
    """A character as it can be shown in a message (invisible ones as U+XXXX)."""
    return char if char.isprintable() and not char.isspace() else f"U+{ord(char):04X}"


def validate_list_name(name: str) -> str:
    """The stripped mailing-list name, or ValueError saying what is wrong with it."""
    name = name.strip()
    if len(name) < _LIST_NAME_MIN:
        raise ValueError(_l("The name must have at least %(min)d characters.", min=_LIST_NAME_MIN))
    if len(name) > _LIST_NAME_MAX:
        raise ValueError(_l("The name must have at most %(max)d characters.", max=_LIST_NAME_MAX))
    for char in name:
        if "A" <= char <= "Z":
            raise ValueError(_l("Only lower-case letters are allowed."))
        if char not in _LIST_NAME_CHARS:
            raise ValueError(
                _l(
                    'The character "%(char)s" is not allowed: use a-z, 0-9, ".", "-" or "_".',
                    char=_show_char(char),
                )
            )
    if name[0] not in _LIST_NAME_CHARS - {".", "-", "_"}:
        raise ValueError(_l("The name must start with a letter or a digit."))
    if name[-1] not in _LIST_NAME_CHARS - {".", "-", "_"}:
        raise ValueError(_l("The name must end with a letter or a digit."))
    if ".." in name:
        raise ValueError(_l('The name must not contain two dots in a row ("..").'))
    # The checks above are the regex spelled out for precise messages; this is the backstop.
    if not MAILING_LIST_NAME_RE.fullmatch(name):
        raise ValueError(_l("This is not a valid list name."))
    return name


# --------------------------------------------------------------------------------------
# Recipients textarea
# --------------------------------------------------------------------------------------

GROUP_NAME_RE = re.compile(r"[a-z0-9._-]{2,64}", re.ASCII)
_GROUP_PREFIXES = ("group:", "groupe:")
_ENTRY_RE = re.compile(r"[^\s,;]+")
MAX_RECIPIENTS = 2000


def parse_recipients(text: str) -> tuple[list[str], list[str], list[ParseIssue]]:
    """Addresses and directory groups (group:NAME) from a recipients textarea, plus issues.

    Entries are separated by new lines, commas, semicolons or spaces. Addresses come back
    lower-cased, groups without their prefix (lower-cased too: directory group names are
    case-insensitive); both de-duplicated in first-seen order.
    """
    addresses: list[str] = []
    groups: list[str] = []
    issues: list[ParseIssue] = []
    seen: set[str] = set()
    entries = 0
    # Split on real line breaks only (not str.splitlines, which also splits on \x0c,
    # \u2028...) so line numbers match what the user sees in the textarea.
    for line_no, line in enumerate(_LINE_SPLIT_RE.split(text), start=1):
        for match in _ENTRY_RE.finditer(line):
            entries += 1
            if entries > MAX_RECIPIENTS:
                issues.append(
                    ParseIssue(
                        line_no,
                        None,
                        _l("Too many recipients (maximum %(max)s).", max=number(MAX_RECIPIENTS)),
                        "",
                    )
                )
                return addresses, groups, _cap_issues(issues)
            entry = match.group()
            lowered = entry.lower()
            # Addresses copied from a web page often carry the link scheme.
            lowered = lowered.removeprefix("mailto:")
            prefix = next((p for p in _GROUP_PREFIXES if lowered.startswith(p)), None)
            if prefix is not None:
                name = lowered[len(prefix) :]
                if not GROUP_NAME_RE.fullmatch(name):
                    issues.append(
                        ParseIssue(
                            line_no,
                            None,
                            _l(
                                "Invalid group name: use 2 to 64 characters among a-z, 0-9, "
                                '".", "-" and "_".'
                            ),
                            _echo(entry),
                        )
                    )
                elif "group:" + name not in seen:
                    seen.add("group:" + name)
                    groups.append(name)
            elif "@" in lowered:
                if not is_valid_email(lowered):
                    issues.append(
                        ParseIssue(line_no, None, _l("Invalid e-mail address."), _echo(entry))
                    )
                elif lowered not in seen:
                    seen.add(lowered)
                    addresses.append(lowered)
            else:
                issues.append(
                    ParseIssue(
                        line_no,
                        None,
                        _l("Not an e-mail address or a group (write group:NAME)."),
                        _echo(entry),
                    )
                )
    if entries == 0:
        issues.append(ParseIssue(0, None, _l("Enter at least one recipient."), ""))
    return addresses, groups, _cap_issues(issues)
