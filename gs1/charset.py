"""GS1 character sets (the mod-10 check digit is ``anchoring.core.check_digit``).

Changing anything here changes which printed codes are valid: treat it as
frozen and check it against the standard, not against today's callers.
"""

from __future__ import annotations

import string

__all__ = ["CSET_39", "CSET_64", "CSET_82", "DIGITS", "first_char_outside"]

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
