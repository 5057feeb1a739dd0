"""RFC 8785 (JCS) canonical JSON: upstream vectors, ES6 number formatting, errors, properties."""

from __future__ import annotations

import json
import math
import struct
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anchoring.core.errors import (
    CanonicalJSONError,
    DuplicateKeyError,
    LoneSurrogateError,
    NonFiniteNumberError,
    UnsafeIntegerError,
)
from anchoring.core.jcs import (
    MAX_NESTING_DEPTH,
    canonical_json,
    canonicalize_json_text,
    format_json_number,
    parse_json_strict,
)
from tests.shared_data import shared_data

VECTOR_NAMES = ["arrays", "french", "structures", "unicode", "values", "weird"]


# --- upstream vectors (cyberphone/json-canonicalization) -------------------------


@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_testdata_input_canonicalizes_to_output_bytes(name: str) -> None:
    testdata = shared_data("jcs-rfc8785/testdata")
    expected = (testdata / "output" / f"{name}.json").read_bytes()
    expected_hex = (testdata / "outhex" / f"{name}.txt").read_text(encoding="ascii").split()
    canonical = canonicalize_json_text((testdata / "input" / f"{name}.json").read_bytes())
    assert canonical == expected
    assert canonical == bytes(int(byte, 16) for byte in expected_hex)


def test_testdata_covers_every_input_file() -> None:
    inputs = shared_data("jcs-rfc8785/testdata/input")
    assert sorted(path.stem for path in inputs.glob("*.json")) == VECTOR_NAMES


def _double_from_hex(bits: str) -> float:
    return float(struct.unpack(">d", int(bits, 16).to_bytes(8, "big"))[0])


def _es6_lines() -> list[tuple[str, str]]:
    path: Path = shared_data("jcs-rfc8785/es6numbers/es6testfile10k.txt")
    return [tuple(line.split(",")) for line in path.read_text(encoding="ascii").splitlines()]  # type: ignore[misc]


def test_es6_number_file_formats_exactly() -> None:
    lines = _es6_lines()
    assert len(lines) == 10_000
    mismatches = [
        (bits, expected, format_json_number(_double_from_hex(bits)))
        for bits, expected in lines
        if format_json_number(_double_from_hex(bits)) != expected
    ]
    assert mismatches == []


def test_es6_number_file_through_canonical_json() -> None:
    # The same numbers inside a document: canonical_json must use the same formatter.
    lines = _es6_lines()[:2_000]
    document = [_double_from_hex(bits) for bits, _ in lines]
    assert canonical_json(document) == ("[" + ",".join(e for _, e in lines) + "]").encode()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (-1.5, "-1.5"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (123456789012345680000.0, "123456789012345680000"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (9007199254740992.0, "9007199254740992"),
        (0.1, "0.1"),
        (333333333.33333329, "333333333.3333333"),
        (0, "0"),
        (-7, "-7"),
        (2**53, "9007199254740992"),
        (-(2**53), "-9007199254740992"),
        (float(2**60), "1152921504606847000"),
        (float(2**70), "1.1805916207174113e+21"),
    ],
)
def test_number_formatting_examples(value: float, expected: str) -> None:
    assert format_json_number(value) == expected
    assert canonical_json(value) == expected.encode()


# --- errors -----------------------------------------------------------------------


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_rejected(value: float) -> None:
    with pytest.raises(NonFiniteNumberError):
        canonical_json(value)
    with pytest.raises(NonFiniteNumberError):
        canonical_json({"a": [1, value]})


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}', "1e400", "-1e400"])
def test_non_finite_literals_rejected_when_parsing(text: str) -> None:
    with pytest.raises(NonFiniteNumberError):
        parse_json_strict(text)


@pytest.mark.parametrize("value", [2**53 + 1, -(2**53) - 1, 2**60, 2**64 + 1, 10**400])
def test_integers_beyond_2_53_are_rejected(value: int) -> None:
    # 2**60 is an exact double, but ES prints it as 1152921504606847000: not the same int.
    with pytest.raises(UnsafeIntegerError) as raised:
        canonical_json({"n": value})
    assert raised.value.value == value


def test_integer_text_beyond_2_53_is_read_as_a_double_like_json_parse() -> None:
    # ES JSON.parse("9007199254740993") === 9007199254740992; JCS implementations agree.
    assert canonicalize_json_text("9007199254740993") == b"9007199254740992"
    assert canonicalize_json_text("[12345678901234567890123]") == b"[1.2345678901234568e+22]"
    with pytest.raises(NonFiniteNumberError):
        parse_json_strict("1" + "0" * 400)


@pytest.mark.parametrize("value", ["\ud800", "a\udfffb", "\ud83d\ude00"])
def test_lone_surrogates_in_strings_rejected(value: str) -> None:
    # "\ud83d\ude00" as two Python code points is not the scalar U+1F600: rejected too.
    with pytest.raises(LoneSurrogateError):
        canonical_json(value)
    with pytest.raises(LoneSurrogateError):
        canonical_json({"ok": [value]})


def test_lone_surrogate_in_key_rejected() -> None:
    with pytest.raises(LoneSurrogateError):
        canonical_json({"\udc00": 1})
    with pytest.raises(LoneSurrogateError):
        canonical_json({"\udc00": 1, "a": 2})


@pytest.mark.parametrize(
    "text", ['"\\ud800"', '{"\\udc00": 1}', '["x\\ude00y"]', '"\\ude00\\ud83d"']
)
def test_lone_surrogate_escapes_rejected_when_parsing(text: str) -> None:
    with pytest.raises(LoneSurrogateError):
        parse_json_strict(text)


def test_escaped_surrogate_pair_is_one_character() -> None:
    assert canonicalize_json_text('"\\ud83d\\ude02"') == '"\U0001f602"'.encode()


@pytest.mark.parametrize(
    "text", ['{"a": 1, "a": 2}', '{"a": 1, "b": {"c": 1, "c": 1}}', '[{"x": 0, "y": 1, "x": 0}]']
)
def test_duplicate_keys_rejected(text: str) -> None:
    with pytest.raises(DuplicateKeyError):
        canonicalize_json_text(text)


def test_duplicate_key_error_names_the_key() -> None:
    with pytest.raises(DuplicateKeyError) as raised:
        parse_json_strict('{"k\\u00e9": 1, "ké": 2}')
    assert raised.value.key == "ké"


@pytest.mark.parametrize("value", [{1: "a"}, {None: 1}, {("a",): 1}, {b"k": 1}])
def test_non_string_keys_rejected(value: dict[Any, Any]) -> None:
    with pytest.raises(CanonicalJSONError):
        canonical_json(value)


@pytest.mark.parametrize(
    "value", [b"bytes", {1, 2}, Decimal("1.5"), object(), 1j, {"a": bytearray()}]
)
def test_unsupported_types_rejected(value: Any) -> None:
    with pytest.raises(CanonicalJSONError):
        canonical_json(value)


@pytest.mark.parametrize(
    "text",
    [b"\xff\xfe{}", b'"\xc3"', "\ufeff{}".encode(), "{", "[1,]", "{'a': 1}", "01", "", "1 2"],
)
def test_malformed_text_rejected(text: bytes | str) -> None:
    with pytest.raises(CanonicalJSONError):
        parse_json_strict(text)


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value] if len(value) % 2 else {"k": value}
    return value


def test_nesting_up_to_the_limit_is_accepted() -> None:
    value = _nested(MAX_NESTING_DEPTH)
    text = canonical_json(value)
    assert canonicalize_json_text(text) == text
    assert canonicalize_json_text('["[[[[", ' + "[" * 500 + "]" * 500 + "]") is not None


@pytest.mark.parametrize("depth", [MAX_NESTING_DEPTH + 1, 100_000])
def test_deeper_nesting_is_a_named_error_not_a_crash(depth: int) -> None:
    with pytest.raises(CanonicalJSONError, match="nests deeper"):
        canonical_json(_nested(depth))
    with pytest.raises(CanonicalJSONError, match="nests deeper"):
        parse_json_strict("[" * depth + "]" * depth)
    with pytest.raises(CanonicalJSONError, match="nests deeper"):
        parse_json_strict('{"a":' * depth + "1" + "}" * depth)


# --- serialization rules ----------------------------------------------------------------


def test_string_escapes_rfc8785_section_3_2_2_2() -> None:
    value = '\u0000\u0008\u0009\u000a\u000b\u000c\u000d\u001f"\\/\u007f\u2028é😀'
    expected = '"\\u0000\\b\\t\\n\\u000b\\f\\r\\u001f\\"\\\\/\u007f\u2028é😀"'
    assert canonical_json(value) == expected.encode("utf-8")


def test_literals_and_containers() -> None:
    value = {"b": [True, False, None, (1, 2)], "a": {}, "c": []}
    assert canonical_json(value) == b'{"a":{},"b":[true,false,null,[1,2]],"c":[]}'


def test_keys_sort_by_utf16_code_units_not_code_points() -> None:
    # U+1F600 is D83D DE00 in UTF-16, so it sorts before U+E000 and U+FFFF, though its
    # code point is larger; by code point the order would be the reverse.
    value = {"\uffff": 1, "\U0001f600": 2, "\ue000": 3, "z": 4, "\U00010000": 5}
    assert (
        canonical_json(value)
        == '{"z":4,"\U00010000":5,"\U0001f600":2,"\ue000":3,"\uffff":1}'.encode()
    )


def test_int_and_float_subclasses_use_their_numeric_value() -> None:
    import enum

    class Level(enum.IntEnum):
        HIGH = 3

    assert canonical_json([Level.HIGH, True]) == b"[3,true]"


# --- a deliberately naive reference for ES6 Number::toString ----------------------------


def naive_es6_number(value: float) -> str:
    """ECMA-262 Number::toString straight from the spec text, using exact decimals."""
    if value == 0:
        return "0"
    if value < 0:
        return "-" + naive_es6_number(-value)
    exact = Decimal(value)
    for digit_count in range(1, 18):
        quantum = Decimal(1).scaleb(exact.adjusted() - digit_count + 1)
        candidates = {
            exact.quantize(quantum, rounding=mode) for mode in (ROUND_FLOOR, ROUND_CEILING)
        }
        valid = [c for c in candidates if float(c) == value]
        if valid:
            best = min(valid, key=lambda c: (abs(c - exact), c.as_tuple().digits[-1] % 2))
            break
    else:  # pragma: no cover - 17 digits always round-trip
        raise AssertionError(value)
    _sign, digit_tuple, exponent = best.normalize().as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple))
    k, n = len(digits), len(digits) + exponent
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"


@settings(max_examples=2_000)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_number_formatting_matches_naive_reference(value: float) -> None:
    formatted = format_json_number(value)
    assert formatted == naive_es6_number(value)
    assert float(formatted) == value or value == 0


@given(st.integers(min_value=-(2**53), max_value=2**53))
def test_safe_integers_print_in_full(value: int) -> None:
    assert format_json_number(value) == str(value)
    assert format_json_number(value) == format_json_number(float(value))


# --- properties -------------------------------------------------------------------------

_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT
)
JSON_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(_TEXT, children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=500)
@given(JSON_VALUES)
def test_canonical_output_reparses_to_an_equal_value(value: Any) -> None:
    canonical = canonical_json(value)
    # Numbers are doubles (I-JSON): a plain reader must take integer literals as floats too,
    # since ES prints doubles of 1e16 and above as integer literals.
    assert json.loads(canonical, parse_int=float) == value
    assert parse_json_strict(canonical) == value


@settings(max_examples=500)
@given(JSON_VALUES)
def test_canonicalizing_twice_is_idempotent(value: Any) -> None:
    canonical = canonical_json(value)
    assert canonicalize_json_text(canonical) == canonical
    assert canonical_json(parse_json_strict(canonical)) == canonical


@settings(max_examples=300)
@given(JSON_VALUES)
def test_whitespace_and_member_order_do_not_matter(value: Any) -> None:
    pretty = json.dumps(value, indent=3, ensure_ascii=True, sort_keys=True)
    assert canonicalize_json_text(pretty) == canonical_json(value)


@settings(max_examples=300)
@given(st.dictionaries(_TEXT, st.integers(0, 9), max_size=8))
def test_member_order_is_utf16_order(value: dict[str, int]) -> None:
    parsed = json.loads(canonical_json(value))
    assert list(parsed) == sorted(value, key=lambda name: name.encode("utf-16-be"))
