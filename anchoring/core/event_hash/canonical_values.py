"""Canonical forms of single values in the pre-hash string (CBV 2.0 §8.9.2).

Pure functions of one string each, so they are memoised: real event streams
repeat the same locations, business steps and EPC classes over and over.
Changing a rule here changes event hashes; it lives in ``anchoring.core``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Final

from anchoring.core.errors import MalformedEventError
from anchoring.core.event_hash.digital_link import canonical_identifier
from anchoring.core.event_hash.terms import LEGACY_CBV_URN_PREFIXES

# Enough for the distinct values of a large batch; bounded so memory stays flat.
_CACHE_SIZE: Final = 1 << 16

_DIGITS: Final = frozenset("0123456789")
_NUMBER_START: Final = frozenset("0123456789+-.")


@lru_cache(maxsize=_CACHE_SIZE)
def canonical_value(text: str) -> str:
    """Canonical pre-hash form of a (stripped) non-time value, CBV 2.0 §8.9.2.

    In order: CBV 1.x URNs become CBV 2.0 Web URIs; numbers lose leading "+",
    leading and trailing zeros (``"1.0"`` → ``"1"``); GS1 keys as EPC URNs or
    Digital Link URIs become constrained canonical Digital Link URIs.
    """
    if "urn:epcglobal:cbv:" in text:
        for urn_prefix, web_prefix in LEGACY_CBV_URN_PREFIXES:
            text = text.replace(urn_prefix, web_prefix)
    if text and text[0] in _NUMBER_START:
        number = canonical_number(text)
        if number is not None:
            return number
    identifier = canonical_identifier(text)
    return text if identifier is None else identifier


def canonical_number(text: str) -> str | None:
    """Shortest decimal form of a numeric string, or None if ``text`` is not a finite number.

    CBV 2.0 §8.9.2: numbers without trailing zeros, whole numbers without a
    fractional part. The value is read as an IEEE 754 double, as every reference
    implementation does, so the digits are those of the double's shortest repr.
    """
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    if number.is_integer():
        return str(int(number))
    return repr(number)


def format_json_scalar(value: object, field: str) -> str:
    """Text of a JSON scalar as it enters the pre-hash string (before canonicalisation)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise MalformedEventError("number is not finite", field=field)
        return repr(value)
    raise MalformedEventError(
        f"expected a string, number or boolean, got {type(value).__name__}", field=field
    )


@lru_cache(maxsize=_CACHE_SIZE)
def canonical_timestamp(text: str) -> str:
    """``YYYY-MM-DDThh:mm:ss.sssZ`` in UTC for an xsd:dateTimeStamp, CBV 2.0 §8.9.2.

    The offset is applied, the result is written with exactly three fractional
    digits; a fourth digit of 5-9 rounds the third up (carrying into seconds,
    minutes, ... as needed). Raises MalformedEventError for anything that is not
    an ISO 8601 / XML Schema date-time *with* a time zone: a local time has no
    single instant and so no hash.
    """
    instant, fraction = _parse_timestamp(text)
    millis = int(fraction[:3].ljust(3, "0"))
    if len(fraction) > 3 and fraction[3] >= "5":
        millis += 1
    try:
        instant = instant.astimezone(UTC) + timedelta(milliseconds=millis)
    except OverflowError as exc:  # 0001-01-01T00:00:00+00:01, 9999-12-31T23:59:59.9995Z
        raise MalformedEventError(f"{text!r} lies outside the years 0001-9999 in UTC") from exc
    return (
        f"{instant.year:04d}-{instant.month:02d}-{instant.day:02d}T{instant.hour:02d}:"
        f"{instant.minute:02d}:{instant.second:02d}.{instant.microsecond // 1000:03d}Z"
    )


def _parse_timestamp(text: str) -> tuple[datetime, str]:
    """Split ``text`` into the whole-second instant and its fractional digits."""
    # Fixed layout YYYY-MM-DDThh:mm:ss[.f+](Z|±hh:mm); checked by position, no regex.
    if (
        len(text) < 20
        or text[4] != "-" or text[7] != "-" or text[10] != "T"
        or text[13] != ":" or text[16] != ":"
        or not _all_digits(text, (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18))
    ):
        raise _bad_timestamp(text)
    position = 19
    fraction = ""
    if text[position] == ".":
        end = position + 1
        while end < len(text) and text[end] in _DIGITS:
            end += 1
        fraction = text[position + 1:end]
        if not fraction:
            raise _bad_timestamp(text)
        position = end
    zone = text[position:]
    if zone == "Z":
        offset = UTC
    elif (
        len(zone) == 6 and zone[0] in "+-" and zone[3] == ":"
        and _all_digits(zone, (1, 2, 4, 5))
    ):
        minutes = int(zone[1:3]) * 60 + int(zone[4:6])
        if minutes > 14 * 60:  # XML Schema: offsets lie within ±14:00
            raise _bad_timestamp(text)
        offset = timezone(timedelta(minutes=-minutes if zone[0] == "-" else minutes))
    else:
        raise _bad_timestamp(text)
    try:
        instant = datetime(
            int(text[0:4]), int(text[5:7]), int(text[8:10]),
            int(text[11:13]), int(text[14:16]), int(text[17:19]), tzinfo=offset,
        )
    except ValueError as exc:
        raise _bad_timestamp(text) from exc
    return instant, fraction


def _all_digits(text: str, positions: tuple[int, ...]) -> bool:
    return all(text[position] in _DIGITS for position in positions)


def _bad_timestamp(text: str) -> MalformedEventError:
    return MalformedEventError(
        f"{text!r} is not an xsd:dateTimeStamp (YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm))"
    )


def check_time_zone_offset(text: str) -> str:
    """Return ``text`` if it is an EPCIS eventTimeZoneOffset (``±hh:mm``), else raise."""
    if (
        len(text) == 6 and text[0] in "+-" and text[3] == ":"
        and _all_digits(text, (1, 2, 4, 5))
        and int(text[1:3]) * 60 + int(text[4:6]) <= 14 * 60
    ):
        return text
    raise MalformedEventError(f"{text!r} is not a time zone offset ±hh:mm",
                              field="eventTimeZoneOffset")
