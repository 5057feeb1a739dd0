"""GS1 element strings: the data inside GS1-128, GS1 DataMatrix and GS1 QR codes.

Two text forms are handled:

* the barcode form: AIs and values run together, with an FNC1 separator (sent
  by scanners as ASCII GS, 0x1D) after every value whose AI is not of
  predefined length; an optional leading FNC1 or GS1 symbology identifier
  (``]C1``, ``]d2``, ``]Q3``, ``]e0``, ``]J1``) is accepted on input;
* the human-readable bracketed form ``(01)09506000134352(10)ABC``, where a
  literal ``(`` inside a value is written ``\\(``.

Both are split by GS1's syntax dictionary (``ai_table``), as GS1's Barcode Syntax
Engine does: an AI of predefined length takes exactly its length, any other value
runs to the next FNC1; every value is then checked against its AI's rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from gs1.ai_table import ai_rules, lookup_ai
from gs1.ai_values import verify_ai_value
from gs1.associations import verify_associations
from gs1.errors import InvalidElementStringError, UnknownAIError

GS = "\x1d"  # how scanners transmit FNC1 as a separator
_SYMBOLOGY_IDENTIFIERS = ("]C1", "]e0", "]d2", "]Q3", "]J1")

Pair = tuple[str, str]


def verify_pairs(pairs: Sequence[Pair], *, check_associations: bool = True) -> None:
    """Check every AI value and (unless disabled) the AI associations (repeats, req, ex);
    raise a GS1Error subclass if any check fails."""
    if not pairs:
        raise InvalidElementStringError("no AI data")
    for ai, value in pairs:
        verify_ai_value(ai, value)
    if check_associations:
        verify_associations(pairs)


def format_element_string(pairs: Sequence[Pair]) -> str:
    """Return the barcode form of ``pairs`` in the given order, GS after each variable-length
    value that is not last, without the leading FNC1 (the symbology adds it)."""
    parts: list[str] = []
    for index, (ai, value) in enumerate(pairs):
        parts.append(ai + value)
        if index < len(pairs) - 1 and not lookup_ai(ai).predefined_length:
            parts.append(GS)
    return "".join(parts)


def parse_element_string(data: str, *, check_associations: bool = True) -> list[Pair]:
    """Split barcode-form AI data into validated ``(ai, value)`` pairs, keeping their order.

    Accepts a leading GS1 symbology identifier or FNC1/GS and a trailing GS.
    Raises :class:`InvalidElementStringError`, :class:`UnknownAIError` or another
    GS1Error naming the AI and reason.
    """
    for identifier in _SYMBOLOGY_IDENTIFIERS:
        if data.startswith(identifier):
            data = data[len(identifier) :]
            break
    data = data.removeprefix(GS)
    if not data:
        raise InvalidElementStringError("no AI data")
    pairs = _split(data)
    verify_pairs(pairs, check_associations=check_associations)
    return pairs


def _split(data: str) -> list[Pair]:
    """Split FNC1/GS-separated AI data into pairs (values not yet checked)."""
    pairs: list[Pair] = []
    index = 0
    while index < len(data):
        ai = _ai_at(data, index)
        index += len(ai)
        rule = lookup_ai(ai)
        if rule.predefined_length:
            end = index + rule.max_length
            if end > len(data) or GS in data[index:end]:
                raise InvalidElementStringError(f"AI ({ai}) value is shorter than its fixed length")
        else:
            end = data.find(GS, index)
            end = len(data) if end < 0 else end
        pairs.append((ai, data[index:end]))
        index = end
        if index < len(data) and data[index] == GS:
            index += 1
            if index == len(data):
                break  # a trailing FNC1 is tolerated
    return pairs


def _ai_at(data: str, index: int) -> str:
    """The AI that starts at ``index``; raises UnknownAIError naming the AI GS1 does not define.

    AIs are prefix-free and all AIs sharing their first two digits have one length
    (GS1 General Specifications §3.1), which names an unknown AI precisely.
    """
    for length in (2, 3, 4):
        candidate = data[index : index + length]
        if candidate in ai_rules():
            return candidate
    head = data[index : index + 2]
    if not (len(head) == 2 and head.isascii() and head.isdigit()):
        raise InvalidElementStringError(f"expected an AI at position {index}")
    raise UnknownAIError(data[index : index + _AI_LENGTH_BY_FIRST_TWO_DIGITS.get(head, 2)])


_AI_LENGTH_BY_FIRST_TWO_DIGITS = {ai[:2]: len(ai) for ai in ai_rules()}


def format_bracketed(pairs: Sequence[Pair]) -> str:
    """Return the human-readable form ``(ai)value...``; ``(`` in a value becomes ``\\(``."""
    return "".join(f"({ai}){value.replace('(', chr(92) + '(')}" for ai, value in pairs)


def parse_bracketed(text: str, *, check_associations: bool = True) -> list[Pair]:
    """Parse ``(01)...(10)...`` text into validated pairs, in order.

    An AI is 2 to 4 digits in brackets; ``\\(`` is a literal bracket in a value.
    Raises :class:`InvalidElementStringError` for syntax, or a GS1Error subclass
    naming the AI for values and combinations.
    """
    if not text.startswith("("):
        raise InvalidElementStringError("bracketed AI data must start with '(AI)'")
    pairs: list[Pair] = []
    index = 0
    while index < len(text):
        close = text.find(")", index)
        if close < 0:
            raise InvalidElementStringError("unterminated AI bracket")
        ai = text[index + 1 : close]
        if not (2 <= len(ai) <= 4 and ai.isascii() and ai.isdigit()):
            raise InvalidElementStringError(f"bad AI {ai!r}: an AI is 2 to 4 digits")
        value_chars: list[str] = []
        index = close + 1
        while index < len(text) and text[index] != "(":
            if text[index] == "\\" and text[index + 1 : index + 2] == "(":
                value_chars.append("(")
                index += 2
                continue
            value_chars.append(text[index])
            index += 1
        pairs.append((ai, "".join(value_chars)))
    for ai, _ in pairs:
        lookup_ai(ai)
    verify_pairs(pairs, check_associations=check_associations)
    return pairs
