"""E-mail addresses: syntax, institutional domains and the did-you-mean suggestion."""

from __future__ import annotations

import re
from collections.abc import Sequence

from desk.catalog.parsing.issues import Text
from desk.core.i18n import alternatives
from desk.core.i18n import lazy_gettext as _l

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
            allowed=alternatives(domains),
        )
    )
