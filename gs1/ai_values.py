"""Validating one AI value against its rule: lengths, character sets and linters.

``verify_ai_value`` raises or returns None; it never rewrites the value (a
13-digit GTIN is not padded here; ``keys.normalise_gtin`` does that on request).
"""

from __future__ import annotations

from anchoring.core.check_digit import compute_check_digit
from gs1.ai_table import Component, lookup_ai
from gs1.charset import CSET_39, CSET_64, CSET_82, DIGITS, first_char_outside
from gs1.errors import CheckDigitError, InvalidAIValueError
from gs1.linters import LINTERS

_CHARSETS = {"N": DIGITS, "X": CSET_82, "Y": CSET_39, "Z": CSET_64}
_CHARSET_NAMES = {
    "N": "digits only",
    "X": "GS1 character set 82",
    "Y": "GS1 character set 39",
    "Z": "base64url",
}


def verify_ai_value(ai: str, value: str) -> None:
    """Check ``value`` for AI ``ai``; raise a :class:`GS1Error` subclass naming the reason.

    Raises :class:`UnknownAIError` for AIs outside GS1's syntax dictionary,
    :class:`CheckDigitError` for a wrong mod-10 check digit and
    :class:`InvalidAIValueError` for everything else.
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
    if component.kind == "Z":
        _verify_base64_padding(ai, value, part)
    for linter in component.linters:
        reason = LINTERS[linter](part)
        if reason is None:
            continue
        if linter == "csum":
            raise CheckDigitError(ai, value, compute_check_digit(part[:-1]))
        raise InvalidAIValueError(ai, value, reason)


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
