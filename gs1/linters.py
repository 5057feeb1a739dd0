"""The GS1 Barcode Syntax Dictionary's linters: content checks of one AI component.

Every linter the dictionary names (GS1 General Specifications §3 and §7, GS1 Barcode
Syntax Tests) is here, keyed by that name; ``ai_table`` refuses a dictionary line naming
any other. Each takes the component's text (already of the right length and character
set) and returns None when it passes, else the reason in plain words. The mod-10 check
digit (``csum``) is ``anchoring.core.check_digit``; ``ai_values`` reports it as a
:class:`CheckDigitError` naming the expected digit.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable

from anchoring.core.check_digit import compute_check_digit
from gs1.charset import CSET_82
from gs1.code_lists import (
    ISO_3166_ALPHA_2,
    ISO_3166_NUMERIC,
    ISO_4217_NUMERIC,
    PACKAGE_TYPE_CODES,
)

Linter = Callable[[str], "str | None"]

MIN_COMPANY_PREFIX_LENGTH = 4  # GS1 Company Prefixes have 4 to 12 digits (GS1 General Specifications)
IMPORTER_INDEX_CHARS = frozenset("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")
IBAN_MIN_LENGTH, IBAN_MAX_LENGTH = 10, 34  # ISO 13616: at most 34; 10 reaches past the check pair
MEDIA_TYPES = frozenset(f"{code:02d}" for code in (*range(1, 11), *range(80, 100)))  # ICCBBA (AI 7241)


# --- dates and times (GS1 General Specifications §7.12) --------------------------------------

def full_year(two_digit_year: int) -> int:
    """Expand YY to a four-digit year by the GS1 sliding window (GS1 GS §7.12):
    at most 49 years back and 50 years ahead of the current year."""
    current = dt.date.today().year
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
    return _date(full_year(int(value[:2])), value[2:4], value[4:6])


def _date(year: int, month_text: str, day_text: str) -> dt.date:
    month, day = int(month_text), int(day_text)
    if not 1 <= month <= 12:
        raise ValueError(f"month {month:02d} out of range")
    last_day = calendar.monthrange(year, month)[1]
    if day > last_day:
        raise ValueError(f"day {day_text} out of range for {year}-{month:02d}")
    return dt.date(year, month, day or last_day)


def _date_reason(year: int, part: str, *, day_zero_allowed: bool) -> str | None:
    if not day_zero_allowed and part[-2:] == "00":
        return "day 00 is not allowed here"
    try:
        _date(year, part[-4:-2], part[-2:])
    except ValueError as exc:
        return f"date {part} is not valid ({exc})"
    return None


def _yymmd0(part: str) -> str | None:
    return _date_reason(full_year(int(part[:2])), part, day_zero_allowed=True)


def _yymmdd(part: str) -> str | None:
    return _date_reason(full_year(int(part[:2])), part, day_zero_allowed=False)


def _yyyymmd0(part: str) -> str | None:
    return _date_reason(int(part[:4]), part, day_zero_allowed=True)


def _yyyymmdd(part: str) -> str | None:
    return _date_reason(int(part[:4]), part, day_zero_allowed=False)


def _at_most(limit: int, what: str) -> Linter:
    return lambda part: None if int(part) <= limit else f"{what} {part} is out of range (max {limit:02d})"


def _hhmi(part: str) -> str | None:
    return _at_most(23, "hour")(part[:2]) or _at_most(59, "minute")(part[2:4])


# --- check characters --------------------------------------------------------------------------

def _csum(part: str) -> str | None:
    expected = compute_check_digit(part[:-1])
    return None if int(part[-1]) == expected else f"check digit should be {expected}"


# GS1 General Specifications §7.9.5: alphanumeric check character pair (AIs 8013, 8014).
# Character values are positions in character set 82 (Figure 7.11-1, which is ASCII order);
# weights are the first primes, 2 on the character nearest the check pair.
_CSET_82_ORDER = "".join(sorted(CSET_82))
_CSET_32 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_PRIMES = tuple(n for n in range(2, 510) if all(n % d for d in range(2, int(n**0.5) + 1)))


def compute_check_pair(payload: str) -> str:
    """The two check characters of a GS1 alphanumeric payload (at most 97 characters)."""
    if len(payload) > len(_PRIMES):
        raise ValueError(f"a check-pair payload has at most {len(_PRIMES)} characters")
    total = sum(_CSET_82_ORDER.index(char) * weight
                for char, weight in zip(reversed(payload), _PRIMES))
    total %= 1021
    return _CSET_32[total >> 5] + _CSET_32[total & 31]


def _csumalpha(part: str) -> str | None:
    if len(part) < 2:
        return "too short for a check character pair"
    if len(part) > len(_PRIMES) + 2:
        return "too long for a check character pair"
    expected = compute_check_pair(part[:-2])
    return None if part[-2:] == expected else f"check character pair should be {expected}"


def _iban(part: str) -> str | None:
    # ISO 13616-1: country code, two check digits, then the account; mod 97 of the
    # rearranged number (letters as 10..35) is 1.
    if len(part) < 4 or part[:2] not in ISO_3166_ALPHA_2:
        return "IBAN does not start with an ISO 3166 country code" if len(part) >= 4 else "IBAN too short"
    if not IBAN_MIN_LENGTH < len(part) <= IBAN_MAX_LENGTH:
        return f"IBAN length {len(part)} outside {IBAN_MIN_LENGTH + 1}..{IBAN_MAX_LENGTH}"
    if re.fullmatch(r"[0-9A-Z]+", part) is None:
        return "IBAN has only digits and capital letters"
    rearranged = part[4:] + part[:4]
    if int("".join(str(int(char, 36)) for char in rearranged)) % 97 != 1:
        return "IBAN check digits are wrong"
    return None


# --- GS1 Company Prefix positions --------------------------------------------------------------

def _gcp_at(start: int) -> Linter:
    # Without GS1's prefix allocation table only the shape can be checked: the value must
    # reach past the shortest GS1 Company Prefix, in digits (the syntax engine's default).
    def check(part: str) -> str | None:
        prefix = part[start : start + MIN_COMPANY_PREFIX_LENGTH]
        if len(prefix) < MIN_COMPANY_PREFIX_LENGTH:
            return "too short to hold a GS1 Company Prefix"
        return None if prefix.isdigit() else "GS1 Company Prefix has digits only"
    return check


# --- small value sets ---------------------------------------------------------------------------

def _one_of(allowed: frozenset[str] | str, what: str) -> Linter:
    return lambda part: None if part in allowed else f"{part!r} is not {what}"


def _pieceoftotal(part: str) -> str | None:
    half = len(part) // 2
    piece, total = int(part[:half]), int(part[half:])
    if piece == 0 or total == 0:
        return "piece number and total must not be 00"
    return f"piece {piece} exceeds the total {total}" if piece > total else None


def _posinseqslash(part: str) -> str | None:
    match = re.fullmatch(r"(\d+)/(\d+)", part)
    if match is None:
        return "position in sequence is not <position>/<end>"
    position, end = match.groups()
    if position[0] == "0" or end[0] == "0":
        return "must not start with 0"
    return f"position {position} exceeds the end {end}" if int(position) > int(end) else None


def _pcenc(part: str) -> str | None:
    return None if re.fullmatch(r"(?:[^%]|%[0-9A-Fa-f]{2})*", part) else "invalid percent-encoding"


def _latitude(part: str) -> str | None:
    return None if int(part) <= 1_800_000_000 else "latitude out of range"


def _longitude(part: str) -> str | None:
    return None if int(part) <= 3_600_000_000 else "longitude out of range"


def _nonzero(part: str) -> str | None:
    return None if part.strip("0") else "must not be zero"


# --- coupons (GS1 US Coupon specification via GS1 GS §3.9.x; AIs 8110, 8112) --------------------

class _Coupon:
    """A cursor over a coupon's digits; each ``take`` names what a shortfall means."""

    def __init__(self, digits: str) -> None:
        self.digits, self.position = digits, 0

    def more(self) -> bool:
        return self.position < len(self.digits)

    def peek(self) -> str:
        return self.digits[self.position]

    def take(self, count: int, what: str) -> str:
        if len(self.digits) - self.position < count:
            raise ValueError(f"coupon: {what} is missing or truncated")
        text = self.digits[self.position : self.position + count]
        self.position += count
        return text

    def length_indicator(self, allowed: str, what: str, extra: int = 0) -> int:
        digit = self.take(1, f"{what} length indicator")
        if digit not in allowed:
            raise ValueError(f"coupon: invalid {what} length indicator {digit}")
        return int(digit) + extra


def _purchase_requirement(coupon: _Coupon, which: str, *, gcp: bool) -> None:
    coupon.take(coupon.length_indicator("12345", f"{which} purchase requirement"),
                f"{which} purchase requirement")
    if coupon.take(1, f"{which} purchase requirement code") not in "012349":
        raise ValueError(f"coupon: invalid {which} purchase requirement code")
    coupon.take(3, f"{which} purchase family code")
    if gcp:
        indicator = coupon.take(1, f"{which} purchase GCP length indicator")
        if indicator not in "01234569":
            raise ValueError(f"coupon: invalid {which} purchase GCP length indicator")
        if indicator != "9":
            coupon.take(int(indicator) + 6, f"{which} purchase GCP")


def _couponcode_steps(coupon: _Coupon) -> None:
    coupon.take(coupon.length_indicator("0123456", "GS1 Company Prefix", 6), "GS1 Company Prefix")
    coupon.take(6, "offer code")
    coupon.take(coupon.length_indicator("12345", "save value"), "save value")
    _purchase_requirement(coupon, "1st", gcp=False)
    if coupon.more() and coupon.peek() == "1":
        coupon.take(1, "")
        if coupon.take(1, "additional purchase rules code") not in "0123":
            raise ValueError("coupon: invalid additional purchase rules code")
        _purchase_requirement(coupon, "2nd", gcp=True)
    if coupon.more() and coupon.peek() == "2":
        coupon.take(1, "")
        _purchase_requirement(coupon, "3rd", gcp=True)
    expiry = None
    if coupon.more() and coupon.peek() == "3":
        coupon.take(1, "")
        expiry = coupon.take(6, "expiration date")
        if _yymmdd(expiry):
            raise ValueError("coupon: invalid expiration date")
    if coupon.more() and coupon.peek() == "4":
        coupon.take(1, "")
        start = coupon.take(6, "start date")
        if _yymmdd(start):
            raise ValueError("coupon: invalid start date")
        if expiry is not None and start > expiry:
            raise ValueError("coupon: expiration before start")
    if coupon.more() and coupon.peek() == "5":
        coupon.take(1, "")
        coupon.take(coupon.length_indicator("0123456789", "serial number", 6), "serial number")
    if coupon.more() and coupon.peek() == "6":
        coupon.take(1, "")
        coupon.take(coupon.length_indicator("1234567", "retailer GCP/GLN", 6), "retailer GCP/GLN")
    if coupon.more() and coupon.peek() == "9":
        coupon.take(1, "")
        if coupon.take(1, "save value code") not in "01256":
            raise ValueError("coupon: invalid save value code")
        if coupon.take(1, "save value applies to item") not in "012":
            raise ValueError("coupon: invalid save value applies to item")
        coupon.take(1, "store coupon flag")
        if coupon.take(1, "don't multiply flag") not in "01":
            raise ValueError("coupon: invalid don't multiply flag")


def _couponposoffer_steps(coupon: _Coupon) -> None:
    if coupon.take(1, "format code") not in "01":
        raise ValueError("coupon: invalid format code")
    coupon.take(coupon.length_indicator("0123456", "funder", 6), "funder")
    coupon.take(6, "offer code")
    coupon.take(coupon.length_indicator("0123456789", "serial number", 6), "serial number")


def _coupon(steps: Callable[[_Coupon], None]) -> Linter:
    def check(part: str) -> str | None:
        if not part.isdigit():
            return "coupon data has digits only"
        coupon = _Coupon(part)
        try:
            steps(coupon)
        except ValueError as exc:
            return str(exc)
        return "coupon: excess data" if coupon.more() else None
    return check


LINTERS: dict[str, Linter] = {
    "csum": _csum,
    "csumalpha": _csumalpha,
    "gcppos1": _gcp_at(0),
    "gcppos2": _gcp_at(1),
    "yymmd0": _yymmd0,
    "yymmdd": _yymmdd,
    "yyyymmd0": _yyyymmd0,
    "yyyymmdd": _yyyymmdd,
    "hhmi": _hhmi,
    "hh": _at_most(23, "hour"),
    "mi": _at_most(59, "minute"),
    "ss": _at_most(59, "second"),
    "zero": lambda part: None if set(part) == {"0"} else "filler digits must be 0",
    "nonzero": _nonzero,
    "nozeroprefix": lambda part: "must not start with 0" if part[:1] == "0" else None,  # "0" too
    "hasnondigit": lambda part: None if not part.isdigit() else "must contain a non-digit",
    "hyphen": lambda part: None if set(part) == {"-"} else "must be hyphens only",
    "yesno": _one_of(frozenset("01"), "0 or 1"),
    "winding": _one_of(frozenset("019"), "a winding direction (0, 1 or 9)"),
    "iso5218": _one_of(frozenset("0129"), "an ISO/IEC 5218 biological sex code"),
    "importeridx": lambda part: None if part in IMPORTER_INDEX_CHARS else (
        f"importer index {part!r} is not one of -, 0-9, A-Z, _, a-z"),
    "pieceoftotal": _pieceoftotal,
    "posinseqslash": _posinseqslash,
    "pcenc": _pcenc,
    "latitude": _latitude,
    "longitude": _longitude,
    "iso3166": _one_of(ISO_3166_NUMERIC, "an ISO 3166 numeric country code"),
    "iso3166999": _one_of(ISO_3166_NUMERIC | {"999"}, "an ISO 3166 numeric country code or 999"),
    "iso3166alpha2": _one_of(ISO_3166_ALPHA_2, "an ISO 3166 alpha-2 country code"),
    "iso4217": _one_of(ISO_4217_NUMERIC, "an ISO 4217 numeric currency code"),
    "mediatype": _one_of(MEDIA_TYPES, "an AIDC media type"),
    "packagetype": _one_of(PACKAGE_TYPE_CODES, "a package type code (UN/ECE Rec. 21)"),
    "iban": _iban,
    "couponcode": _coupon(_couponcode_steps),
    "couponposoffer": _coupon(_couponposoffer_steps),
}
"""Every linter of the syntax dictionary, by the name the dictionary uses."""
