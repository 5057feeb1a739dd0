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
        # gcppos1/gcppos2: see ai_table.KNOWN_LINTERS.


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
