"""`check_json_depth` against a naive character-by-character reference (issue 13).

The fast scan uses a regex tokenizer; the reference below walks one character at a time
with an explicit in-string / escaped state, the way a reader would do it by hand. They
must agree on every text, valid JSON or not, and on every encoding `json.loads` accepts.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anchoring.core.errors import CoreError, JsonTooDeepError
from anchoring.core.json_depth import MAX_JSON_DEPTH, check_json_depth, compute_json_depth


def naive_json_depth(text: str) -> int:
    """Deepest count of open `[`/`{` outside strings; closers never go below zero."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(depth - 1, 0)
    return deepest


def value_depth(value: object) -> int:
    """Nesting depth of a parsed JSON value (0 for a scalar)."""
    if isinstance(value, list):
        return 1 + max((value_depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((value_depth(item) for item in value.values()), default=0)
    return 0


# Strings are drawn from the characters that matter to the scanner, plus some that do not.
TRICKY_TEXT = st.text(alphabet='[]{}"\\ax,: \n\u00e9\u2200\u225b\U0001f600', max_size=200)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY_TEXT,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(TRICKY_TEXT, children, max_size=4),
    max_leaves=40,
)


@settings(max_examples=400)
@given(TRICKY_TEXT)
def test_any_text_agrees_with_naive_reference(text: str) -> None:
    assert compute_json_depth(text) == naive_json_depth(text)
    assert compute_json_depth(text.encode("utf-8")) == naive_json_depth(text)


@settings(max_examples=300)
@given(JSON_VALUES)
def test_serialised_json_depth_is_the_value_depth(value: object) -> None:
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False, indent=1)):
        assert compute_json_depth(text) == value_depth(value)
        for encoding in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
            # json.loads accepts all of these (RFC 8259 §8.1 detection), so the check must too.
            encoded = text.encode(encoding)
            assert json.loads(encoded) == value
            assert compute_json_depth(encoded) == value_depth(value), encoding


@settings(max_examples=300)
@given(TRICKY_TEXT, st.integers(min_value=0, max_value=8))
def test_check_raises_exactly_when_deeper_than_limit(text: str, limit: int) -> None:
    depth = naive_json_depth(text)
    if depth <= limit:
        check_json_depth(text, limit)
        return
    with pytest.raises(JsonTooDeepError) as caught:
        check_json_depth(text, limit)
    assert (caught.value.depth, caught.value.limit) == (limit + 1, limit)


def test_limit_is_inclusive() -> None:
    check_json_depth("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    with pytest.raises(JsonTooDeepError) as caught:
        check_json_depth(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1))
    assert isinstance(caught.value, CoreError) and isinstance(caught.value, ValueError)
    assert caught.value.limit == MAX_JSON_DEPTH
    assert str(MAX_JSON_DEPTH) in str(caught.value)


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ('"[[[["', 0),  # brackets inside a string
        ('["\\"[[", 1]', 1),  # an escaped quote does not end the string
        ('["\\\\", [[1]]]', 3),  # an escaped backslash does: the quote after it closes
        ('[{"a": "}"}]', 2),
        ('"unterminated [[[[', 0),  # an open string swallows the rest, as for the parser
        ("]]]][[", 2),  # stray closers cannot hide the openers after them
        ("", 0),
        ("123", 0),
    ],
)
def test_pinned_examples(text: str, depth: int) -> None:
    assert compute_json_depth(text) == depth == naive_json_depth(text)


def test_utf16_bytes_that_look_like_quotes_do_not_hide_brackets() -> None:
    # U+2200 is 00 22 in UTF-16-BE: a byte-level scan would see a quote and think the
    # brackets after it are inside a string. The check must read the text json.loads reads.
    text = '["\u2200"' + "," + "[" * 100 + "]" * 100 + "]"
    body = text.encode("utf-16-be")
    assert json.detect_encoding(body) == "utf-16-be"
    with pytest.raises(JsonTooDeepError):
        check_json_depth(body)


def test_undecodable_bytes_are_left_to_the_parser() -> None:
    body = b"[\xff\xfe" + b"[" * 10
    assert compute_json_depth(body) == naive_json_depth(body.decode("utf-8", "replace"))
    with pytest.raises(ValueError):
        json.loads(body)


def test_hostile_body_from_the_issue_is_refused_early() -> None:
    # ~200 KB nested 100,000 deep: the body that killed the API and the node (issue 13).
    body = b'{"a":' * 40_000 + b"[" * 60_000 + b"1" + b"]" * 60_000 + b"}" * 40_000
    with pytest.raises(JsonTooDeepError) as caught:
        check_json_depth(body)
    # The scan stops at the first level too many instead of walking 200 KB.
    assert caught.value.depth == MAX_JSON_DEPTH + 1


def test_negative_limit_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="limit"):
        check_json_depth("[]", -1)
