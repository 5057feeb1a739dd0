"""GS1 character sets and the GS1 mod-10 check digit.

Changing anything here changes which printed codes are valid: treat it as
frozen and check it against the standard, not against today's callers.
"""

from __future__ import annotations

import string

# GS1 AI encodable character set 82 (GS1 General Specifications §7.11, Figure 7.11-1):
# the 82 ASCII graphics allowed in alphanumeric AI values (no space, no '#', '$', '@',
# '[', '\\', ']', '^', '`', '{', '|', '}', '~').
CSET_82 = frozenset(string.ascii_letters + string.digits + "!\"%&'()*+,-./:;<=>?_")
# GS1 AI encodable character set 39 (GS1 General Specifications Figure 7.11-2).
CSET_39 = frozenset(string.ascii_uppercase + string.digits + "#-/")
# base64url alphabet used by CSET 64 AIs (not needed by the AIs we support, kept for completeness).
CSET_64 = frozenset(string.ascii_letters + string.digits + "-_=")
DIGITS = frozenset(string.digits)


def first_char_outside(value: str, allowed: frozenset[str]) -> str | None:
    """Return the first character of ``value`` not in ``allowed``, or None if all are allowed."""
    for char in value:
        if char not in allowed:
            return char
    return None


def compute_check_digit(payload: str) -> int:
    """Return the GS1 mod-10 check digit for the digit string ``payload`` (without its check digit).

    Weights 3,1,3,1,... from the rightmost payload digit (GS1 General Specifications
    §7.9.1). Works for GTIN-8/12/13/14, GLN, SSCC, GSRN, GDTI bases. Requires digits only.
    """
    if not payload or not payload.isascii() or not payload.isdigit():
        raise ValueError("check digit payload must be a non-empty digit string")
    total = 0
    for offset, char in enumerate(reversed(payload)):
        total += int(char) * (3 if offset % 2 == 0 else 1)
    return (10 - total % 10) % 10


def has_valid_check_digit(digits: str) -> bool:
    """True when the last digit of ``digits`` is the GS1 check digit of the digits before it."""
    if len(digits) < 2 or not digits.isascii() or not digits.isdigit():
        return False
    return compute_check_digit(digits[:-1]) == int(digits[-1])
