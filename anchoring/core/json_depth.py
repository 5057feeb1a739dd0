"""How deeply a JSON text nests, found without parsing it (issue 13, deliverable 1).

CPython's `json` parser recurses once per `[` or `{`. Under the default recursion limit a
deep text is a `RecursionError`; under the 100,000 that `eth` and `py_ecc` set at import
it overflows the C stack and kills the process. Every JSON entry point therefore calls
`check_json_depth` on the raw body *before* `json.loads`.

The scan is linear and iterative (no recursion, no parse tree): it counts `[` and `{`
outside strings, honouring backslash escapes, and stops as soon as the limit is passed,
so a hostile 100,000-deep body costs the same as a 65-deep one. It does not validate the
text: whatever it accepts, the parser still judges.
"""

from __future__ import annotations

import json
import re
from typing import Final

from anchoring.core.errors import JsonTooDeepError

MAX_JSON_DEPTH: Final = 64
"""Deepest nesting any entry point accepts. The deepest legitimate documents are EPCIS 2.0
events (event → sensorElementList → sensorReport, plus user extensions, which the event
hash already caps at 16 levels) and JSON-RPC batches (batch → call → params → transaction →
accessList → entry → storageKeys, 7 levels): 64 leaves them ample room while staying far
below Python's default recursion limit (1000) that the parser must not reach."""

# A JSON string (unrolled-loop form, linear, no backtracking blow-up; the closing quote is
# optional so an unterminated string swallows the rest of the text, as it would for the
# parser), then everything that is not a bracket: both removed by the regex engine, so the
# Python loop sees only the brackets themselves (~10x faster on large flat documents).
_STRING_TEXT: Final = r'"[^"\\]*(?:\\.[^"\\]*)*"?'
_NON_BRACKET_TEXT: Final = r"[^\[\]{}]+"
_STRINGS_STR: Final = re.compile(_STRING_TEXT, re.DOTALL)
_STRINGS_BYTES: Final = re.compile(_STRING_TEXT.encode("ascii"), re.DOTALL)
_NON_BRACKETS_STR: Final = re.compile(_NON_BRACKET_TEXT)
_NON_BRACKETS_BYTES: Final = re.compile(_NON_BRACKET_TEXT.encode("ascii"))
_OPENERS: Final = frozenset("[{")
_UTF8_ENCODINGS: Final = frozenset({"utf-8", "utf-8-sig"})


def compute_json_depth(data: bytes | str, *, stop_above: int | None = None) -> int:
    """Return the deepest nesting of arrays and objects in `data` (0 for a scalar).

    Strings are skipped, so brackets inside them do not count. A closer with no opener
    does not make the depth negative (the text is invalid anyway; clamping keeps a run of
    `]` from hiding the `[` after it). With `stop_above`, the scan returns as soon as the
    depth exceeds it, returning that depth (`stop_above + 1`). Bytes are read the way
    `json.loads` reads them: UTF-8 directly, UTF-16/32 (RFC 8259 §8.1 detection) after
    decoding; bytes that do not decode give 0, since the parser will refuse them unparsed.
    """
    text: bytes | str = data
    if isinstance(data, bytes):
        encoding = json.detect_encoding(data)
        if encoding in _UTF8_ENCODINGS:
            return _scan_bytes(data, stop_above)
        try:
            text = data.decode(encoding, "surrogatepass")
        except UnicodeDecodeError:
            return 0
    assert isinstance(text, str)
    return _scan_str(text, stop_above)


def check_json_depth(data: bytes | str, limit: int = MAX_JSON_DEPTH) -> None:
    """Return None if `data` nests at most `limit` levels deep; raise otherwise.

    Raises `JsonTooDeepError(depth, limit)`, where `depth` is where the scan stopped
    (`limit + 1`: it does not read past the first level too many). Cost is linear in the
    length of `data` and never recursive. Requires `limit >= 0`.
    """
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    depth = compute_json_depth(data, stop_above=limit)
    if depth > limit:
        raise JsonTooDeepError(depth, limit)


def _scan_str(text: str, stop_above: int | None) -> int:
    brackets = _NON_BRACKETS_STR.sub("", _STRINGS_STR.sub("", text))
    return _deepest(brackets, stop_above)


def _scan_bytes(data: bytes, stop_above: int | None) -> int:
    brackets = _NON_BRACKETS_BYTES.sub(b"", _STRINGS_BYTES.sub(b"", data))
    return _deepest(brackets.decode("ascii"), stop_above)


def _deepest(brackets: str, stop_above: int | None) -> int:
    """The deepest nesting of a run of `[]{}` characters (closers never go below 0)."""
    depth = deepest = 0
    for bracket in brackets:
        if bracket in _OPENERS:
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_above is not None and deepest > stop_above:
                    return deepest
        elif depth:
            depth -= 1
    return deepest
