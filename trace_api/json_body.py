"""Screening a JSON request body before any parser of the app sees it (issue 13).

`verify_json_body(body)` refuses, in this order, what would crash or mislead a parser:

1. nesting deeper than `MAX_JSON_DEPTH` (`anchoring.core.json_depth`): found by a linear,
   non-recursive scan, so a 100,000-deep body never reaches the recursive `json` parser;
2. bytes that are not UTF-8 (RFC 8259 §8.1: JSON exchanged between systems is UTF-8);
3. an object naming the same member twice (RFC 8259 §4 leaves the meaning open; an event
   hashed under one reading and stored under another is the ambiguity a ledger must not
   have, RFC 7493 §2.3);
4. a `\\uD800`-style escape that is not half of a surrogate pair (RFC 7493 §2.1): such a
   string cannot be written back as UTF-8, so it would fail later, deep in the app;
5. a string holding U+0000 (`\\u0000`): PostgreSQL text cannot store it, so it would fail
   late and differently on the two databases, and no GS1 or EPCIS value contains it.

Anything else, syntax errors included, is left to the route: each route answers bad
syntax in its own protocol (a 400 problem, an EPCIS problem with pointers, a JSON-RPC
`-32700`). The screen returns nothing; the body the app receives is the same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final

from anchoring.core.errors import JsonTooDeepError
from anchoring.core.json_depth import MAX_JSON_DEPTH, check_json_depth

__all__ = [
    "MAX_JSON_DEPTH", "DuplicateMemberError", "JsonBodyError", "JsonTooDeepError",
    "LoneSurrogateError", "NotUtf8Error", "NulCharacterError", "verify_json_body",
]

# A body without any escape of a surrogate code unit cannot hold a lone one: only those
# bodies (rare in practice) pay for the second, value-keeping parse.
_SURROGATE_ESCAPE: Final = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
# Only bodies holding the text `\u0000` can hold U+0000 (raw control bytes are a syntax
# error); the parsed value confirms it (`\\u0000` is a backslash, then the text "u0000").
_NUL_ESCAPE: Final = b"\\u0000"


class JsonBodyError(ValueError):
    """A JSON body the app must not parse; `reason` is safe to show the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotUtf8Error(JsonBodyError):
    """The body is not UTF-8; `offset` is the first byte that does not decode."""

    def __init__(self, offset: int) -> None:
        super().__init__(f"the body is not UTF-8 (byte {offset} does not decode)")
        self.offset = offset


class DuplicateMemberError(JsonBodyError):
    """An object names `member` more than once."""

    def __init__(self, member: str) -> None:
        super().__init__(f"an object names the member {member!r} more than once")
        self.member = member


class LoneSurrogateError(JsonBodyError):
    """A string holds a surrogate code unit that is not part of a pair."""

    def __init__(self) -> None:
        super().__init__("a string holds an unpaired surrogate escape (\\uD800-\\uDFFF)")


class NulCharacterError(JsonBodyError):
    """A string holds U+0000."""

    def __init__(self) -> None:
        super().__init__("a string holds the character U+0000 (\\u0000)")


def verify_json_body(body: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Return None if `body` may be handed to a JSON parser; raise otherwise.

    Raises `JsonTooDeepError(depth, limit)`, `NotUtf8Error`, `DuplicateMemberError`,
    `LoneSurrogateError` or `NulCharacterError` (module docstring). Syntax errors are not raised: the route that
    parses the body answers them. Cost: one linear scan and one parse that keeps no
    objects; never recursive beyond `max_depth` levels.
    """
    check_json_depth(body, max_depth)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotUtf8Error(exc.start) from None
    try:
        # Objects are checked and dropped as they are built: memory stays near the body's.
        json.loads(text, object_pairs_hook=_refuse_duplicates)
    except DuplicateMemberError:
        raise
    except (ValueError, RecursionError):
        return  # bad syntax: the route answers it in its own protocol
    if _SURROGATE_ESCAPE.search(body) and _any_string(json.loads(text), _is_lone_surrogate):
        raise LoneSurrogateError()
    if _NUL_ESCAPE in body and _any_string(json.loads(text), _holds_nul):
        raise NulCharacterError()


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> None:
    seen: set[str] = set()
    for name, _value in pairs:
        if name in seen:
            raise DuplicateMemberError(name)
        seen.add(name)


def _is_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _holds_nul(text: str) -> bool:
    return "\x00" in text


def _any_string(value: Any, test: Callable[[str], bool]) -> bool:
    """True if `test` holds for any string (member names included) in `value`."""
    # Iterative: the depth is already bounded, but a walk needs no recursion at all.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if test(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
