"""RFC 8785 JSON Canonicalization Scheme (JCS): one byte string per JSON value.

Changing the output of anything here changes every hash and signature computed
over canonical JSON, so the rules below are fixed:

- Input values are the Python image of I-JSON (RFC 7493): `dict` with `str`
  keys, `list`/`tuple`, `str`, `int`, `float`, `bool`, `None`. Anything else is a
  `CanonicalJSONError`.
- Numbers are IEEE-754 doubles (RFC 8785 §3.2.2.3, I-JSON §2.2). A Python
  `int` within ±2**53 is exactly a double and prints in full. Beyond that, the
  ES form no longer reads back as the same integer (2**53 + 1 rounds to 2**53;
  even 2**60, an exact double, prints as 1152921504606847000), so such an `int`
  is rejected with `UnsafeIntegerError` rather than silently changed: the caller
  holds an exact value the canonical form would lose. JSON *text* is different:
  `parse_json_strict` reads every number as a double, exactly as ECMAScript's
  `JSON.parse` (and so every other JCS implementation) does, so
  `canonicalize_json_text` agrees with them on text like `9007199254740993`.
- NaN and ±Infinity are `NonFiniteNumberError`; strings or names holding a
  surrogate code point are `LoneSurrogateError` (a Python `str` holds code
  points, so any surrogate in it is unpaired: `json.loads` already joins
  escaped pairs into one code point); duplicate member names in text are
  `DuplicateKeyError`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from json.encoder import encode_basestring
from typing import Any, Final

from anchoring.core.errors import (
    CanonicalJSONError,
    DuplicateKeyError,
    LoneSurrogateError,
    NonFiniteNumberError,
    UnsafeIntegerError,
)

__all__ = [
    "MAX_NESTING_DEPTH",
    "canonical_json",
    "canonicalize_json_text",
    "format_json_number",
    "parse_json_strict",
]

_MAX_EXACT_INTEGER: Final = 2**53
"""Every integer of magnitude up to 2**53 is a double and ES prints it in full."""

MAX_NESTING_DEPTH: Final = 512
"""Deepest array/object nesting read or written. Trace documents nest about ten deep; the
limit keeps hostile input from exhausting the stack (the stdlib's C parser recurses, and
overflows the C stack rather than raising if the recursion limit has been raised)."""

_STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")

_ESCAPE_STRING: Callable[[str], str] = encode_basestring
"""The stdlib string writer: escapes `"`, `\\`, and U+0000..U+001F using the short
forms \\b \\t \\n \\f \\r and lowercase \\u00xx otherwise, leaves every other
character as is. That is exactly RFC 8785 §3.2.2.2, so it is reused, not copied."""


def canonical_json(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 serialization of a JSON value.

    Raises `NonFiniteNumberError`, `LoneSurrogateError`, `UnsafeIntegerError`,
    or `CanonicalJSONError` for any other value that has no I-JSON form
    (non-`str` member names, unsupported types, nesting beyond `MAX_NESTING_DEPTH`).
    """
    parts: list[str] = []
    _write(value, parts, 0)
    # Every string was checked to be surrogate-free, so this cannot fail (§3.2.3: UTF-8).
    return "".join(parts).encode("utf-8")


def parse_json_strict(text: str | bytes) -> Any:
    """Parse I-JSON text, rejecting what RFC 8785 §3.1 / RFC 7493 forbid.

    Bytes must be UTF-8 without a byte-order mark (RFC 7493 §2.1). Duplicate member
    names raise `DuplicateKeyError`; `NaN`, `Infinity`, `-Infinity` and number
    literals that overflow a double raise `NonFiniteNumberError`; surrogate escapes
    that do not form a pair raise `LoneSurrogateError`. Integers beyond ±2**53
    become the nearest double (`float`), as `JSON.parse` does. Other syntax errors,
    and nesting beyond `MAX_NESTING_DEPTH`, raise `CanonicalJSONError`.
    """
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CanonicalJSONError("JSON text is not valid UTF-8") from exc
    if not isinstance(text, str):
        raise CanonicalJSONError(f"JSON text must be str or bytes, not {type(text).__name__}")
    _check_depth(text)
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object_without_duplicates,
            parse_constant=_reject_constant,
            parse_float=_parse_double,
            parse_int=_parse_integer,
        )
    except CanonicalJSONError:
        raise
    except ValueError as exc:  # JSONDecodeError, or an integer literal over 4300 digits
        raise CanonicalJSONError(f"invalid JSON text: {exc}") from exc
    _check_strings(value)
    return value


def canonicalize_json_text(text: str | bytes) -> bytes:
    """Return `canonical_json(parse_json_strict(text))`: the JCS form of JSON text."""
    return canonical_json(parse_json_strict(text))


def format_json_number(value: float) -> str:
    """Write a number as ECMAScript `Number.prototype.toString` would, RFC 8785 §3.2.2.3.

    Raises `NonFiniteNumberError` for NaN/±Infinity and `UnsafeIntegerError` for an
    `int` outside ±2**53.
    """
    if isinstance(value, bool):
        raise CanonicalJSONError("a bool is not a JSON number")
    if isinstance(value, int):
        if not -_MAX_EXACT_INTEGER <= value <= _MAX_EXACT_INTEGER:
            raise UnsafeIntegerError(value)
        return int.__repr__(value)  # exact; ES prints integers below 1e21 in full
    if isinstance(value, float):
        return _format_double(value)
    raise CanonicalJSONError(f"not a JSON number: {type(value).__name__}")


# --- writing -----------------------------------------------------------------


def _write(value: Any, parts: list[str], depth: int) -> None:
    # Order matters: bool is a subclass of int.
    if value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, str):
        parts.append(_format_string(value))
    elif isinstance(value, int | float):
        parts.append(format_json_number(value))
    elif isinstance(value, dict):
        _write_object(value, parts, _deeper(depth))
    elif isinstance(value, list | tuple):
        depth = _deeper(depth)
        parts.append("[")
        for position, item in enumerate(value):
            if position:
                parts.append(",")
            _write(item, parts, depth)
        parts.append("]")
    else:
        raise CanonicalJSONError(f"no JSON form for a value of type {type(value).__name__}")


def _deeper(depth: int) -> int:
    if depth >= MAX_NESTING_DEPTH:
        raise CanonicalJSONError(f"JSON value nests deeper than {MAX_NESTING_DEPTH}")
    return depth + 1


def _write_object(members: dict[Any, Any], parts: list[str], depth: int) -> None:
    for name in members:
        if not isinstance(name, str):
            raise CanonicalJSONError(
                f"object member names must be str, not {type(name).__name__}: {name!r}"
            )
    # §3.2.3: sort by the UTF-16 code units of the raw (unescaped) names. Big-endian
    # UTF-16 bytes compare exactly as their code-unit sequences do.
    ordered = sorted(members, key=_utf16_sort_key)
    parts.append("{")
    for position, name in enumerate(ordered):
        if position:
            parts.append(",")
        parts.append(_format_string(name))
        parts.append(":")
        _write(members[name], parts, depth)
    parts.append("}")


def _utf16_sort_key(name: str) -> bytes:
    try:
        return name.encode("utf-16-be")
    except UnicodeEncodeError as exc:
        raise LoneSurrogateError(f"object member name holds a lone surrogate: {name!r}") from exc


def _format_string(text: str) -> str:
    """§3.2.2.2: JSON string with the minimal escapes; rejects surrogate code points."""
    _check_no_surrogate(text)
    return _ESCAPE_STRING(text)


def _check_no_surrogate(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise LoneSurrogateError(f"string holds a lone surrogate: {text!r}") from exc


def _format_double(value: float) -> str:
    """ECMA-262 Number::toString(x) for a finite double (ES2015 §7.1.12.1)."""
    if not math.isfinite(value):
        raise NonFiniteNumberError(f"{value!r} has no JSON form (RFC 8785 §3.2.2.3)")
    if value == 0:
        return "0"  # step 2: +0 and -0 both print "0"
    # Python's repr yields the shortest digit string that reads back as `value`,
    # choosing the closest such string, which is the `s` of ES step 5. Only the
    # layout differs, so take the digits and the decimal-point position from it.
    text = float.__repr__(value)
    sign = ""
    if text[0] == "-":
        sign, text = "-", text[1:]  # step 3
    mantissa, _, exponent_text = text.partition("e")
    integral, _, fraction = mantissa.partition(".")
    digits = integral + fraction
    point = len(integral) + (int(exponent_text) if exponent_text else 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    return sign + _layout(digits, point)


def _layout(digits: str, point: int) -> str:
    """ES steps 6-10: place the `k` digits `s` so the value is 0.s × 10**point (`n`)."""
    count = len(digits)
    if count <= point <= 21:  # step 6: integer, padded with zeros
        return digits + "0" * (point - count)
    if 0 < point <= 21:  # step 7: point inside the digits
        return digits[:point] + "." + digits[point:]
    if -6 < point <= 0:  # step 8: 0.000ddd
        return "0." + "0" * -point + digits
    exponent = point - 1  # steps 9-10: exponential form with an explicit sign
    exponent_text = ("+" if exponent >= 0 else "-") + str(abs(exponent))
    if count == 1:
        return digits + "e" + exponent_text
    return digits[0] + "." + digits[1:] + "e" + exponent_text


# --- strict parsing hooks ----------------------------------------------------


def _check_depth(text: str) -> None:
    """Refuse text nesting deeper than MAX_NESTING_DEPTH before the recursive parser runs."""
    if text.count("[") + text.count("{") <= MAX_NESTING_DEPTH:
        return
    depth = 0
    # Brackets inside string literals do not nest; blank the literals out first.
    for bracket in _BRACKET.finditer(_STRING_LITERAL.sub('""', text)):
        if bracket.group() in "[{":
            depth += 1
            if depth > MAX_NESTING_DEPTH:
                raise CanonicalJSONError(f"JSON text nests deeper than {MAX_NESTING_DEPTH}")
        else:
            depth -= 1


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for name, member in pairs:
        if name in members:
            raise DuplicateKeyError(name)
        members[name] = member
    return members


def _reject_constant(literal: str) -> float:
    raise NonFiniteNumberError(f"{literal} is not a JSON number (RFC 8785 §3.2.2.3)")


def _parse_double(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise NonFiniteNumberError(f"{literal} overflows an IEEE-754 double")
    return value


def _parse_integer(literal: str) -> int | float:
    value = int(literal)
    if -_MAX_EXACT_INTEGER <= value <= _MAX_EXACT_INTEGER:
        return value
    try:
        return float(value)  # correctly rounded, as JSON.parse does
    except OverflowError as exc:
        raise NonFiniteNumberError(f"{literal} overflows an IEEE-754 double") from exc


def _check_strings(value: Any) -> None:
    """Reject surrogates that `json.loads` left unpaired, so parsing fails where it should."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            _check_no_surrogate(item)
        elif isinstance(item, dict):
            for name, member in item.items():
                _utf16_sort_key(name)
                stack.append(member)
        elif isinstance(item, list):
            stack.extend(item)
