"""Validating one AI value against its rule: lengths, character sets and linters.

``verify_ai_value`` raises or returns None; it never rewrites the value (a
13-digit GTIN is not padded here; identifiers.py does that on request).
"""

from __future__ import annotations

import calendar
import datetime as dt

from trace_api.gs1.ai_table import Component, lookup_ai
from trace_api.gs1.charset import (
    CSET_39,
    CSET_64,
    CSET_82,
    DIGITS,
    compute_check_digit,
    first_char_outside,
)
from trace_api.gs1.errors import CheckDigitError, InvalidAIValueError

_CHARSETS = {"N": DIGITS, "X": CSET_82, "Y": CSET_39, "Z": CSET_64}
_CHARSET_NAMES = {
    "N": "digits only",
    "X": "GS1 character set 82",
    "Y": "GS1 character set 39",
    "Z": "base64url",
}


def verify_ai_value(ai: str, value: str) -> None:
    """Check ``value`` for AI ``ai``; raise a :class:`GS1Error` subclass naming the reason.

    Raises :class:`UnknownAIError` for AIs outside the table, :class:`CheckDigitError`
    for a wrong mod-10 check digit and :class:`InvalidAIValueError` for everything else.
    """
    rule = lookup_ai(ai)
    if not value:
        raise InvalidAIValueError(ai, value, "value must not be empty")
    position = 0
    for component in rule.components:
        remaining = len(value) - position
        if remaining == 0 and component.optional:
            break
        if remaining < component.min_length:
            raise InvalidAIValueError(ai, value, _length_reason(rule.components, len(value)))
        take = min(remaining, component.max_length)
        part = value[position : position + take]
        _verify_component(ai, value, component, part)
        position += take
    if position != len(value):
        raise InvalidAIValueError(ai, value, _length_reason(rule.components, len(value)))


def _length_reason(components: tuple[Component, ...], actual: int) -> str:
    low = sum(c.min_length for c in components if not c.optional)
    high = sum(c.max_length for c in components)
    wanted = f"exactly {low}" if low == high else f"{low} to {high}"
    return f"length {actual}, expected {wanted} characters"


def _verify_component(ai: str, value: str, component: Component, part: str) -> None:
    bad = first_char_outside(part, _CHARSETS[component.kind])
    if bad is not None:
        raise InvalidAIValueError(
            ai, value, f"character {bad!r} not allowed ({_CHARSET_NAMES[component.kind]})"
        )
    for linter in component.linters:
        if linter == "csum":
            expected = compute_check_digit(part[:-1])
            if int(part[-1]) != expected:
                raise CheckDigitError(ai, value, expected)
        elif linter == "yymmd0":
            _verify_date(ai, value, part, day_zero_allowed=True)
        elif linter == "yymmdd":
            _verify_date(ai, value, part, day_zero_allowed=False)
        elif linter == "hhmi":
            if not (int(part[:2]) <= 23 and int(part[2:]) <= 59):
                raise InvalidAIValueError(ai, value, f"time {part} is not HHMM")
        elif linter == "zero" and part != "0":
            raise InvalidAIValueError(ai, value, "filler digit must be 0")
        elif linter == "csumalpha":
            _verify_check_pair(ai, value, part)
        elif linter == "importeridx" and part not in IMPORTER_INDEX_CHARS:
            raise InvalidAIValueError(ai, value, f"importer index {part!r} is not one of -, 0-9, A-Z, _, a-z")
        elif linter == "pieceoftotal":
            piece, total = int(part[:2]), int(part[2:])
            if piece == 0 or total == 0:
                raise InvalidAIValueError(ai, value, "piece number and total must not be 00")
            if piece > total:
                raise InvalidAIValueError(ai, value, f"piece {piece} exceeds the total {total}")
        elif linter == "nozeroprefix" and len(part) > 1 and part[0] == "0":
            raise InvalidAIValueError(ai, value, "must not start with 0")
        elif linter in ("gcppos1", "gcppos2"):
            # Without GS1's prefix allocation table only the length can be checked: the value
            # must reach past the shortest GS1 Company Prefix (the syntax engine does the same).
            start = 0 if linter == "gcppos1" else 1
            if len(part) < start + MIN_COMPANY_PREFIX_LENGTH:
                raise InvalidAIValueError(ai, value, "too short to hold a GS1 Company Prefix")
    if component.kind == "Z":
        _verify_base64_padding(ai, value, part)


# GS1 General Specifications §7.9.5: alphanumeric check character pair (AI 8013, 8014).
# Character values are positions in character set 82 (Figure 7.11-1, which is ASCII order);
# weights are the first primes, 2 on the character nearest the check pair.
_CSET_82_ORDER = "".join(sorted(CSET_82))
_CSET_32 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89)
MIN_COMPANY_PREFIX_LENGTH = 4  # GS1 Company Prefixes have 4 to 12 digits (GS1 General Specifications)
IMPORTER_INDEX_CHARS = frozenset("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")


def compute_check_pair(payload: str) -> str:
    """The two check characters of a GS1 alphanumeric payload (1 to 24 characters)."""
    if not payload or len(payload) > len(_PRIMES):
        raise ValueError(f"a check-pair payload has 1 to {len(_PRIMES)} characters")
    total = sum(_CSET_82_ORDER.index(char) * weight
                for char, weight in zip(reversed(payload), _PRIMES))
    total %= 1021
    return _CSET_32[total >> 5] + _CSET_32[total & 31]


def _verify_check_pair(ai: str, value: str, part: str) -> None:
    if len(part) < 3:
        raise InvalidAIValueError(ai, value, "too short for a check character pair")
    expected = compute_check_pair(part[:-2])
    if part[-2:] != expected:
        raise InvalidAIValueError(ai, value, f"check character pair should be {expected}")


def _verify_base64_padding(ai: str, value: str, part: str) -> None:
    """RFC 4648 §3.5 canonical base64url: at most two '=' at the very end, a padded value
    is a whole number of 4-character groups, and the bits the padding leaves over are 0."""
    data = part.rstrip("=")
    padding = len(part) - len(data)
    if "=" in data or padding > 2 or (padding and len(part) % 4):
        raise InvalidAIValueError(ai, value, "base64url padding is malformed")
    if padding:
        unused_bits = 4 if padding == 2 else 2
        last = _BASE64URL.index(data[-1])
        if last & ((1 << unused_bits) - 1):
            raise InvalidAIValueError(ai, value, "base64url padding leaves non-zero bits")


_BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def full_year(two_digit_year: int, today: dt.date | None = None) -> int:
    """Expand YY to a four-digit year by the GS1 sliding window (GS1 GS §7.12):
    at most 49 years back and 50 years ahead of the current year."""
    current = (today or dt.date.today()).year
    difference = two_digit_year - current % 100
    if difference >= 51:
        return current - current % 100 - 100 + two_digit_year
    if difference <= -50:
        return current - current % 100 + 100 + two_digit_year
    return current - current % 100 + two_digit_year


def parse_gs1_date(value: str) -> dt.date:
    """Return the date a YYMMDD value means; DD = 00 means the last day of the month.

    Raises ValueError for an impossible date. Requires six digits.
    """
    year = full_year(int(value[:2]))
    month, day = int(value[2:4]), int(value[4:6])
    if not 1 <= month <= 12:
        raise ValueError(f"month {month:02d} out of range")
    last_day = calendar.monthrange(year, month)[1]
    if day == 0:
        day = last_day
    if day > last_day:
        raise ValueError(f"day {value[4:6]} out of range for {year}-{month:02d}")
    return dt.date(year, month, day)


def _verify_date(ai: str, value: str, part: str, *, day_zero_allowed: bool) -> None:
    if not day_zero_allowed and part[4:6] == "00":
        raise InvalidAIValueError(ai, value, "day 00 is not allowed here")
    try:
        parse_gs1_date(part)
    except ValueError as exc:
        raise InvalidAIValueError(ai, value, f"date {part} is not a valid YYMMDD ({exc})") from exc
