"""The GS1 mod-10 check digit: the one implementation in the repository.

GTIN, GLN, SSCC, GRAI, GDTI, GSRN, GSIN and GCN all end in it. The event hash (CBV 2.0
§8.9.2 turns EPC URIs into Digital Links, which needs it) and every GS1 parser in
``gs1`` call this function. Changing it changes event hashes and which
printed codes are valid: hold it to the standard, never to today's callers.
"""

from __future__ import annotations


def compute_check_digit(payload: str) -> int:
    """Return the GS1 mod-10 check digit of the digit string ``payload`` (without its check digit).

    GS1 General Specifications §7.9.1: weights 3, 1, 3, 1, ... from the rightmost payload
    digit; the check digit brings the weighted sum up to a multiple of 10. Requires a
    non-empty string of ASCII digits (raises ValueError otherwise).
    """
    if not payload or not payload.isascii() or not payload.isdigit():
        raise ValueError("check digit payload must be a non-empty digit string")
    # Slices instead of a per-digit loop: this runs for every SSCC and SGTIN at ingest.
    total = 3 * sum(map(int, payload[-1::-2])) + sum(map(int, payload[-2::-2]))
    return -total % 10


def has_valid_check_digit(digits: str) -> bool:
    """True when the last digit of ``digits`` is the GS1 check digit of the digits before it."""
    if len(digits) < 2 or not digits.isascii() or not digits.isdigit():
        return False
    return compute_check_digit(digits[:-1]) == int(digits[-1])
