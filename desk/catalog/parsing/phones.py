"""Phone numbers: French (or explicit +CC international) numbers to E.164, and back for display."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

from desk.core.i18n import LazyText
from desk.core.i18n import lazy_gettext as _l

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


def _phone_parse_error(exc: NumberParseException) -> LazyText:
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
