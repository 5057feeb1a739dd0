"""China's Unified Social Credit Code (统一社会信用代码), GB 32100-2015.

Layout of the 18 characters (§4): 1 registration-authority code, 2 organisation-category code,
3-8 administrative-division code (GB/T 2260, digits), 9-17 organisation code (GB 11714 body and
check), 18 check character (§5). The character set is the 31 characters ``0-9`` and ``A-Z``
without ``I O Z S V`` (so they cannot be misread as 1, 0, 2, 5, U).
"""

from __future__ import annotations

import unicodedata

from trace_api.identity.errors import InvalidUSCCError

USCC_LENGTH = 18
# GB 32100-2015 Table A: the 31 code characters in value order 0..30.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {character: value for value, character in enumerate(ALPHABET)}
_MODULUS = 31
# W_i = 3^(i-1) mod 31 for positions i = 1..17 (GB 32100-2015 §5).
WEIGHTS = tuple(pow(3, position, _MODULUS) for position in range(USCC_LENGTH - 1))
# Position 1, registration-management authority: 1 establishment-control offices, 5 civil
# affairs, 9 industry and commerce, Y others (GB 32100-2015 Table 1), plus the authorities the
# code's maintenance list added since: 2 foreign affairs, 3 justice, 4 culture, 6 tourism,
# 7 religious affairs, 8 trade unions, A CMC establishment office, N agriculture.
REGISTRATION_AUTHORITIES = frozenset("123456789ANY")


def uscc_check_character(first17: str) -> str:
    """The check character (position 18) for the first 17 characters of a code.

    C18 = 31 - (sum of C_i * W_i mod 31), written as ``0`` when that is 31 (GB 32100-2015 §5).
    Requires 17 characters from ``ALPHABET``; raises ``InvalidUSCCError`` otherwise.
    """
    if len(first17) != USCC_LENGTH - 1:
        raise InvalidUSCCError(first17, "length",
                               f"need {USCC_LENGTH - 1} characters, got {len(first17)}")
    total = 0
    for position, (character, weight) in enumerate(zip(first17, WEIGHTS, strict=True), 1):
        value = _VALUE.get(character)
        if value is None:
            raise InvalidUSCCError(first17, "character",
                                   f"{character!r} at position {position} is not a code character",
                                   position=position)
        total += value * weight
    return ALPHABET[(_MODULUS - total % _MODULUS) % _MODULUS]


def normalize_uscc(code: str) -> str:
    """``code`` with full-width forms folded (NFKC), surrounding space removed, upper-cased."""
    return unicodedata.normalize("NFKC", code).strip().upper()


def validate_uscc(code: str) -> str:
    """Return the normalised code if it is a valid Unified Social Credit Code.

    Checks, in order: length 18; every character from the 31-character set (``I O Z S V``
    excluded); a known registration-authority code at position 1; digits at positions 3-8;
    the check character at position 18. Raises ``InvalidUSCCError`` naming the first failure.
    The organisation-category code (position 2) is checked only against the character set: its
    list depends on the authority and keeps growing.
    """
    normalized = normalize_uscc(code)
    if len(normalized) != USCC_LENGTH:
        raise InvalidUSCCError(code, "length",
                               f"need {USCC_LENGTH} characters, got {len(normalized)}")
    for position, character in enumerate(normalized, 1):
        if character not in _VALUE:
            raise InvalidUSCCError(code, "character",
                                   f"{character!r} at position {position} is not a code "
                                   f"character (I, O, Z, S, V are never used)",
                                   position=position)
    if normalized[0] not in REGISTRATION_AUTHORITIES:
        raise InvalidUSCCError(code, "registration_authority",
                               f"{normalized[0]!r} is not a registration-authority code",
                               position=1)
    for position in range(3, 9):
        if not normalized[position - 1].isdigit():
            raise InvalidUSCCError(code, "division",
                                   f"position {position} of the administrative-division code "
                                   "must be a digit", position=position)
    expected = uscc_check_character(normalized[:-1])
    if normalized[-1] != expected:
        raise InvalidUSCCError(code, "check_character",
                               f"check character is {normalized[-1]!r}, expected {expected!r}",
                               position=USCC_LENGTH, expected=expected)
    return normalized
