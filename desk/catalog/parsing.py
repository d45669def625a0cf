"""Pure parsing and validation helpers for the service-catalogue forms.

Nothing here needs a Flask app: messages are `lazy_gettext` strings, rendered in the
user's language only when they are turned into `str` (in a template or a flash).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import phonenumbers
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

__all__ = [
    "EMAIL_RE",
    "GROUP_NAME_RE",
    "MAILING_LIST_NAME_RE",
    "MAX_ISSUES",
    "MAX_RECIPIENTS",
    "DomainNotAllowedError",
    "Guest",
    "GuestCsvResult",
    "ParseIssue",
    "check_institutional_email",
    "format_issue",
    "format_phone_display",
    "guest_csv_template",
    "is_valid_email",
    "normalize_phone_fr",
    "parse_guest_csv",
    "parse_recipients",
    "suggest_domain",
    "validate_list_name",
]

# A user-facing message: a lazy translation, or a plain str for values we echo back.
Text = str | LazyString

# Longer issue lists are cut to this size (the last entry says how many were left out):
# a page listing thousands of errors helps nobody and costs memory.
MAX_ISSUES = 200
MAX_RECIPIENTS = 2000
# Echoed values are shortened so that one runaway cell cannot flood the error page.
_MAX_ECHO = 80


@dataclass(frozen=True)
class ParseIssue:
    """One problem found in user input; line 0 means the whole input."""

    line: int
    column: Text | None
    reason: Text
    value: str


def format_issue(issue: ParseIssue) -> LazyString:
    """The issue as one translatable sentence, for flash messages and error lists."""
    if issue.line <= 0:
        if issue.value:
            return _l("%(reason)s (%(value)s)", reason=issue.reason, value=issue.value)
        return LazyString(str, issue.reason)
    if issue.column is not None:
        if issue.value:
            return _l(
                "Line %(line)d, column %(column)s: %(reason)s (%(value)s)",
                line=issue.line,
                column=issue.column,
                reason=issue.reason,
                value=issue.value,
            )
        return _l(
            "Line %(line)d, column %(column)s: %(reason)s",
            line=issue.line,
            column=issue.column,
            reason=issue.reason,
        )
    if issue.value:
        return _l(
            "Line %(line)d: %(reason)s (%(value)s)",
            line=issue.line,
            reason=issue.reason,
            value=issue.value,
        )
    return _l("Line %(line)d: %(reason)s", line=issue.line, reason=issue.reason)


def _echo(value: str) -> str:
    """Shorten a value quoted back in a message."""
    return value if len(value) <= _MAX_ECHO else value[: _MAX_ECHO - 1] + "…"


def _cap_issues(issues: list[ParseIssue]) -> list[ParseIssue]:
    """Keep the first issues and replace the rest by one summary entry."""
    if len(issues) <= MAX_ISSUES:
        return issues
    kept = issues[: MAX_ISSUES - 1]
    more = len(issues) - len(kept)
    return [*kept, ParseIssue(0, None, _l("... and %(count)d more problems.", count=more), "")]


# --------------------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------------------

# Written forms accepted around the digits. Letters are refused up front because
# phonenumbers would otherwise read "vanity" numbers (1-800-FLOWERS) or extensions.
_PHONE_CHARS_RE = re.compile(r"\+?[0-9().\-/]*", re.ASCII)
_MAX_PHONE_CHARS = 32
# Overseas departments use the same 10-digit national plan as mainland France
# (0590…, 0262…, 0694…) but have their own country codes in E.164.
_FR_OVERSEAS_REGIONS = ("GP", "MQ", "GF", "RE")

_PHONE_EMPTY = _l("Enter a phone number.")
_PHONE_CHARS = _l("Use only digits, spaces, dots, dashes, parentheses and a leading +.")
_PHONE_PLUS = _l("The + sign is only allowed at the start of the number.")
_PHONE_SHORT = _l("This phone number is too short.")
_PHONE_LONG = _l("This phone number is too long.")
_PHONE_TRUNK = _l(
    "Start with 0 for a French number (04 67 14 12 34) or with + and the country code."
)
_PHONE_COUNTRY = _l("Unknown country code.")
_PHONE_INVALID = _l("This is not a valid phone number.")


def normalize_phone_fr(raw: str) -> str:
    """A French (or explicit +CC international) phone number in E.164 form, e.g. +33467141234."""
    # All whitespace goes, including the narrow no-break space of French typography.
    compact = "".join(raw.split())
    if not compact:
        raise ValueError(_PHONE_EMPTY)
    if len(compact) > _MAX_PHONE_CHARS:
        raise ValueError(_PHONE_LONG)
    if "+" in compact[1:]:
        raise ValueError(_PHONE_PLUS)
    if not _PHONE_CHARS_RE.fullmatch(compact):
        raise ValueError(_PHONE_CHARS)
    digits = re.sub(r"[^0-9]", "", compact)
    if not digits:
        raise ValueError(_PHONE_INVALID)

    international = compact.startswith("+") or digits.startswith("00")
    if not international:
        # Without a country code we only take the French national form: 10 digits with
        # the leading 0. "4 67 14 12 34" is more likely a typo than a deliberate form.
        if not digits.startswith("0"):
            raise ValueError(_PHONE_TRUNK)
        if len(digits) < 10:
            raise ValueError(_PHONE_SHORT)
        if len(digits) > 10:
            raise ValueError(_PHONE_LONG)
        for region in ("FR", *_FR_OVERSEAS_REGIONS):
            try:
                number = phonenumbers.parse(digits, region)
            except NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                return phonenumbers.format_number(number, PhoneNumberFormat.E164)
        raise ValueError(_PHONE_INVALID)

    # "+CC…" or "00CC…": the region only tells phonenumbers that 00 is France's
    # international prefix; any country is then accepted if the number is valid there.
    try:
        number = phonenumbers.parse(compact, "FR")
    except NumberParseException as exc:
        raise ValueError(_phone_parse_error(exc)) from None
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible == ValidationResult.TOO_SHORT:
        raise ValueError(_PHONE_SHORT)
    if possible == ValidationResult.TOO_LONG:
        raise ValueError(_PHONE_LONG)
    if possible == ValidationResult.INVALID_COUNTRY_CODE:
        raise ValueError(_PHONE_COUNTRY)
    if not phonenumbers.is_valid_number(number):
        raise ValueError(_PHONE_INVALID)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _phone_parse_error(exc: NumberParseException) -> LazyString:
    """Map a phonenumbers parse failure to a message."""
    if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE:
        return _PHONE_COUNTRY
    if exc.error_type in (
        NumberParseException.TOO_SHORT_AFTER_IDD,
        NumberParseException.TOO_SHORT_NSN,
    ):
        return _PHONE_SHORT
    if exc.error_type == NumberParseException.TOO_LONG:
        return _PHONE_LONG
    return _PHONE_INVALID


def format_phone_display(e164: str) -> str:
    """+33 numbers in French national form (04 67 14 12 34), others in international form."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        # A display helper must never break a page: show odd legacy values as stored.
        return e164
    if number.country_code == 33:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


# --------------------------------------------------------------------------------------
# E-mail addresses
# --------------------------------------------------------------------------------------

# Deliberately stricter than RFC 5322: the local part allows letters, digits and
# . _ % + - ' (no leading, trailing or doubled dot); the domain needs at least two labels
# of letters, digits and inner hyphens and a letter TLD (or an xn-- IDN TLD). Characters
# such as | { } ` are legal but only ever show up in attacks or mistakes.
EMAIL_RE = re.compile(
    r"""
    [a-z0-9_%+'-]+ (?:\.[a-z0-9_%+'-]+)*
    @
    (?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+
    (?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})
    """,
    re.ASCII | re.IGNORECASE | re.VERBOSE,
)
_MAX_LOCAL = 64
_MAX_EMAIL = 254
_SUGGEST_MAX_DISTANCE = 2


def is_valid_email(address: str) -> bool:
    """True when the address matches EMAIL_RE and the RFC 5321 length limits."""
    if len(address) > _MAX_EMAIL or not EMAIL_RE.fullmatch(address):
        return False
    return len(address.rpartition("@")[0]) <= _MAX_LOCAL


class DomainNotAllowedError(ValueError):
    """The address is well formed but its domain is not one of the accepted ones."""

    def __init__(self, message: Text, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.suggestion = suggestion


def _osa_distance(a: str, b: str) -> int:
    """Optimal-string-alignment (restricted Damerau-Levenshtein) edit distance."""
    # Transpositions count as one edit: "umotnpellier" is one typo, not two.
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


def _normalise_domains(allowed: Sequence[str]) -> list[str]:
    """Allowed domains lower-cased and stripped, order kept (it breaks ties)."""
    return [d.strip().lower() for d in allowed if d.strip()]


def _closest_domain(domain: str, allowed: list[str]) -> str | None:
    """The allowed domain within 2 edits of `domain`, the closest (then first) one."""
    best: tuple[int, str] | None = None
    for candidate in allowed:
        # The length gap is a lower bound of the distance: skip the quadratic work.
        if abs(len(candidate) - len(domain)) > _SUGGEST_MAX_DISTANCE:
            continue
        distance = _osa_distance(domain, candidate)
        if distance <= _SUGGEST_MAX_DISTANCE and (best is None or distance < best[0]):
            best = (distance, candidate)
    return best[1] if best else None


def suggest_domain(email: str, allowed: Sequence[str]) -> str | None:
    """The address with its domain corrected to a close allowed one, or None."""
    local, at, domain = email.strip().partition("@")
    if not at or not local or "@" in domain:
        return None
    domain = domain.lower()
    domains = _normalise_domains(allowed)
    if domain in domains:
        return None
    closest = _closest_domain(domain, domains)
    return f"{local}@{closest}" if closest else None


def check_institutional_email(email: str, allowed: Sequence[str]) -> str:
    """The address with a lower-cased domain, if well formed and in an allowed domain."""
    address = email.strip()
    if not address:
        raise ValueError(_l("Enter an e-mail address."))
    local, at, domain = address.partition("@")
    domain = domain.lower()
    normalised = f"{local}{at}{domain}"
    if not is_valid_email(normalised):
        # A typo can also break the syntax (umontpellier,fr): still offer the fix.
        suggestion = suggest_domain(address, allowed) if at else None
        if suggestion and is_valid_email(suggestion):
            raise DomainNotAllowedError(
                _l("Did you mean %(suggestion)s?", suggestion=suggestion), suggestion
            )
        raise ValueError(_l("This is not a valid e-mail address."))
    domains = _normalise_domains(allowed)
    if domain in domains:
        return normalised
    closest = _closest_domain(domain, domains)
    if closest:
        suggestion = f"{local}@{closest}"
        raise DomainNotAllowedError(
            _l(
                "Addresses in %(domain)s are not accepted. Did you mean %(suggestion)s?",
                domain=domain,
                suggestion=suggestion,
            ),
            suggestion,
        )
    raise DomainNotAllowedError(
        _l(
            "Addresses in %(domain)s are not accepted; use an address in %(allowed)s.",
            domain=domain,
            allowed=", ".join(domains),
        )
    )


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
_LINE_SPLIT_RE = re.compile(r"\r\n|\r|\n")
_ENTRY_RE = re.compile(r"[^\s,;]+")


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
                        _l("Too many recipients (maximum %(max)d).", max=MAX_RECIPIENTS),
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


# --------------------------------------------------------------------------------------
# Guest CSV
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Guest:
    """One Wi-Fi guest read from the CSV file."""

    last_name: str
    first_name: str
    email: str | None = None
    organisation: str | None = None


@dataclass
class GuestCsvResult:
    """Guests read from the file and the problems found; any issue means save nothing."""

    guests: list[Guest] = field(default_factory=list)
    issues: list[ParseIssue] = field(default_factory=list)


_FIELDS = ("last_name", "first_name", "email", "organisation")
_REQUIRED = ("last_name", "first_name")
_LABELS: dict[str, LazyString] = {
    "last_name": _l("last name"),
    "first_name": _l("first name"),
    "email": _l("e-mail"),
    "organisation": _l("organisation"),
}
_MAX_LENGTH = {"last_name": 100, "first_name": 100, "organisation": 200}
# Headings after _heading_key(): lower case, accents dropped, "-", "_", "." as spaces.
_HEADINGS = {
    "last_name": {"nom", "nom de famille", "last name", "lastname", "surname", "family name"},
    "first_name": {"prenom", "first name", "firstname", "given name"},
    "email": {
        "e mail",
        "email",
        "courriel",
        "mail",
        "adresse mail",
        "adresse e mail",
        "adresse email",
        "adresse electronique",
        "email address",
        "e mail address",
    },
    "organisation": {
        "organisation",
        "organization",
        "organisme",
        "etablissement",
        "societe",
        "company",
        "entreprise",
    },
}
_HEADING_TO_FIELD = {h: f for f, headings in _HEADINGS.items() for h in headings}
# File signatures of the spreadsheets people upload instead of a CSV export.
_SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_DELIMITERS = (";", ",", "\t")
# Marks a column under an unknown or duplicate heading: its values are skipped, since the
# heading issue already blocks the import and one issue per row would only add noise.
_IGNORED = ""


def guest_csv_template() -> str:
    """A sample guest file (header and two rows, ";"-separated) offered for download.

    Serve it encoded as "utf-8-sig": the BOM is what makes Excel read it as UTF-8.
    """
    rows = [
        ("nom", "prénom", "e-mail", "organisation"),
        ("Dupont", "Marie", "marie.dupont@example.org", "Université de Lyon"),
        ("Martin", "Jean-Luc", "", "CNRS"),
    ]
    return "".join(";".join(row) + "\r\n" for row in rows)


def _heading_key(cell: str) -> str:
    """A header cell reduced for comparison: case, accents and punctuation ignored."""
    decomposed = unicodedata.normalize("NFKD", cell)
    text = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    text = re.sub(r"[-_.]", " ", text).strip(" *:")
    return " ".join(text.split())


def _decode(data: bytes) -> str | ParseIssue:
    """The file's text (UTF-8, UTF-8 with BOM, UTF-16 with BOM or Windows-1252) or an issue."""
    if data.startswith(_UTF16_BOMS):
        # Excel's "Unicode text" export: UTF-16 with a BOM (its NUL bytes are not binary).
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif data.startswith(_SPREADSHEET_MAGIC):
        return ParseIssue(
            0,
            None,
            _l("This is a spreadsheet file, not a CSV file: save it as CSV and try again."),
            "",
        )
    elif b"\x00" not in data:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        try:
            # Not UTF-8: assume a French Excel export. cp1252 leaves 5 bytes undefined,
            # so a strict decode still catches files in other encodings.
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return ParseIssue(
                0,
                None,
                _l("Unreadable text encoding: save the file as CSV UTF-8 and try again."),
                "",
            )
    return ParseIssue(0, None, _l("This is not a CSV or text file."), "")


def _count_outside_quotes(line: str, char: str) -> int:
    """How many times char occurs in line outside double-quoted fields."""
    count = 0
    quoted = False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == char and not quoted:
            count += 1
    return count


def _sniff_delimiter(text: str) -> str:
    """The separator most used on the first non-blank line; ";" wins ties (French Excel)."""
    first = next((ln for ln in _LINE_SPLIT_RE.split(text) if ln.strip()), "")
    counts = {d: _count_outside_quotes(first, d) for d in _DELIMITERS}
    # max() keeps the first of equal counts, hence the order of _DELIMITERS.
    return max(_DELIMITERS, key=lambda d: counts[d])


def _clean_cell(value: str) -> str:
    """A cell stripped, NFC-normalised, with inner runs of spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def _numbered_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """CSV rows with the physical line number on which each row starts."""
    # newline="" keeps \r, \n and \r\n as line ends, so reader.line_num counts the
    # physical lines of the file, quoted multi-line fields included.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous = 0
    for row in reader:
        yield previous + 1, row
        previous = reader.line_num


def parse_guest_csv(
    data: bytes, *, max_bytes: int = 512_000, max_rows: int = 2000
) -> GuestCsvResult:
    """Guests from an uploaded CSV file and every problem found in it.

    All or nothing: when `issues` is not empty the caller must save none of the guests and
    show all issues, so the user fixes the whole file in one go. Columns are last name,
    first name, e-mail, organisation, in that order unless the first row is a header (it
    is when any of its cells is a known heading, in French or English). E-mail addresses
    come back lower-cased; names and organisations with spaces collapsed, NFC-normalised.
    """
    if len(data) > max_bytes:
        return GuestCsvResult(
            issues=[
                ParseIssue(
                    0,
                    None,
                    _l(
                        "The file is too large (maximum %(max)d KB).",
                        max=max(1, max_bytes // 1024),
                    ),
                    "",
                )
            ]
        )
    text = _decode(data)
    if isinstance(text, ParseIssue):
        return GuestCsvResult(issues=[text])
    if not text.strip():
        return GuestCsvResult(issues=[ParseIssue(0, None, _l("The file is empty."), "")])

    delimiter = _sniff_delimiter(text)
    issues: list[ParseIssue] = []
    guests: list[Guest] = []
    first_seen: dict[tuple[str, str, str], int] = {}
    # Column index -> field name, _IGNORED or None (see _read_row); no header: fixed order.
    columns: list[str | None] = list(_FIELDS)
    header_checked = False
    row_count = 0
    try:
        for line_no, row in _numbered_rows(text, delimiter):
            if not any(cell.strip() for cell in row):
                continue  # blank lines, and the ";;;" rows Excel writes for them
            if not header_checked:
                header_checked = True
                if any(_heading_key(cell) in _HEADING_TO_FIELD for cell in row):
                    columns, header_issues = _read_header(line_no, row)
                    issues.extend(header_issues)
                    if any(f not in columns for f in _REQUIRED):
                        return GuestCsvResult(issues=_cap_issues(issues))
                    continue
            row_count += 1
            guest, row_issues = _read_row(line_no, row, columns)
            issues.extend(row_issues)
            if guest is None:
                continue
            key = (
                guest.last_name.casefold(),
                guest.first_name.casefold(),
                (guest.email or "").casefold(),
            )
            if key in first_seen:
                issues.append(
                    ParseIssue(
                        line_no,
                        None,
                        _l("Duplicate of line %(line)d.", line=first_seen[key]),
                        _echo(f"{guest.last_name} {guest.first_name}"),
                    )
                )
                continue
            first_seen[key] = line_no
            guests.append(guest)
    except csv.Error:
        # The lenient reader only fails on a field over csv's 128 KB limit: in practice an
        # unclosed quote that swallowed the rest of the file.
        issues.append(
            ParseIssue(0, None, _l("The file cannot be read as CSV; check the quotes."), "")
        )

    if row_count > max_rows:
        issues.insert(
            0,
            ParseIssue(
                0,
                None,
                _l(
                    "Too many guests: %(count)d (maximum %(max)d per file).",
                    count=row_count,
                    max=max_rows,
                ),
                "",
            ),
        )
    if row_count == 0 and not issues:
        issues.append(ParseIssue(0, None, _l("The file contains no guests."), ""))
    return GuestCsvResult(guests=guests, issues=_cap_issues(issues))


def _read_header(line_no: int, row: list[str]) -> tuple[list[str | None], list[ParseIssue]]:
    """Column fields from a header row, and issues about unknown or missing headings."""
    columns: list[str | None] = []
    issues: list[ParseIssue] = []
    for cell in row:
        name = _clean_cell(cell)
        field_name = _HEADING_TO_FIELD.get(_heading_key(name))
        if not name:
            columns.append(None)
        elif field_name is None:
            issues.append(
                ParseIssue(
                    line_no,
                    None,
                    _l(
                        "Unknown column heading; expected %(expected)s.",
                        expected=LazyString(_expected_headings),
                    ),
                    _echo(name),
                )
            )
            columns.append(_IGNORED)
        elif field_name in columns:
            issues.append(
                ParseIssue(
                    line_no, _LABELS[field_name], _l("Duplicate column heading."), _echo(name)
                )
            )
            columns.append(_IGNORED)
        else:
            columns.append(field_name)
    for field_name in _REQUIRED:
        if field_name not in columns:
            issues.append(
                ParseIssue(line_no, _LABELS[field_name], _l("Missing column heading."), "")
            )
    return columns, issues


def _expected_headings() -> str:
    """The four column labels in the current language, for the unknown-heading message."""
    return ", ".join(str(_LABELS[f]) for f in _FIELDS)


def _read_row(
    line_no: int, row: list[str], columns: list[str | None]
) -> tuple[Guest | None, list[ParseIssue]]:
    """A guest from one data row, or None and the row's issues."""
    values: dict[str, str] = {}
    issues: list[ParseIssue] = []
    extra: list[str] = []
    for index, raw in enumerate(row):
        column = columns[index] if index < len(columns) else None
        if column == _IGNORED:
            continue
        if column is None:  # no heading, or beyond the last column: values are refused
            if raw.strip():
                extra.append(raw.strip())
            continue
        if "\n" in raw or "\r" in raw:
            # Legal CSV, but never wanted here; usually an unclosed quote swallowing lines.
            issues.append(
                ParseIssue(
                    line_no,
                    _LABELS[column],
                    _l("The value spans several lines; check the quotes."),
                    _echo(" ".join(raw.split())),
                )
            )
            continue
        value = _clean_cell(raw)
        if any(unicodedata.category(c) == "Cc" for c in value):
            issues.append(
                ParseIssue(
                    line_no,
                    _LABELS[column],
                    _l("The value contains control characters."),
                    _echo(value.encode("unicode_escape").decode("ascii")),
                )
            )
            continue
        values[column] = value
    if extra:
        if len(columns) == len(_FIELDS) and all(columns):
            reason = _l("Too many columns (at most %(max)d).", max=len(_FIELDS))
        else:
            reason = _l("Value in a column without a heading.")
        issues.append(ParseIssue(line_no, None, reason, _echo(" | ".join(extra))))

    for name in _REQUIRED:
        if not values.get(name) and not any(i.column is _LABELS[name] for i in issues):
            issues.append(ParseIssue(line_no, _LABELS[name], _l("This value is required."), ""))
    for name, limit in _MAX_LENGTH.items():
        if len(values.get(name, "")) > limit:
            issues.append(
                ParseIssue(
                    line_no,
                    _LABELS[name],
                    _l("Too long (at most %(max)d characters).", max=limit),
                    _echo(values[name]),
                )
            )
    email = values.get("email", "").lower()
    if email and not is_valid_email(email):
        issues.append(
            ParseIssue(line_no, _LABELS["email"], _l("Invalid e-mail address."), _echo(email))
        )
    if issues:
        return None, issues
    return (
        Guest(
            last_name=values["last_name"],
            first_name=values["first_name"],
            email=email or None,
            organisation=values.get("organisation") or None,
        ),
        [],
    )
