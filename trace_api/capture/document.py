"""Reading a capture request body into what capture needs, without decoding events twice.

The body is decoded once into an envelope whose events stay raw JSON bytes (they are
validated and hashed in the worker processes); the document minus its events is
validated here with the project's EPCIS models. Anything structurally wrong falls back
to the full parser, whose issues carry the exact JSON pointers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from anchoring.core.event_hash.document import document_events
from trace_api.epcis import EPCISValidationError, ValidationIssue, parse_epcis_document
from trace_api.epcis.errors import escape_pointer_token
from trace_api.errors import InvalidInput, TooLarge

SIGNATURES_MEMBER = "tl:signatures"
"""Document-level extension carrying self-custody signatures (trace_api/README.md)."""

_SIGNATURE_HEX_LENGTH = 2 + 65 * 2
_decoder = msgspec.json.Decoder()


class _Body(msgspec.Struct):
    eventList: list[msgspec.Raw]


@dataclass(frozen=True)
class CaptureDocument:
    """A capture body whose document level is valid; events still raw (index, JSON bytes)."""

    context: Any
    ignore_fields: tuple[str, ...]
    signatures: dict[str, str]
    events: list[tuple[int, bytes]]


def read_document(body: bytes, *, capture_limit: int) -> CaptureDocument:
    """Split `body` into its document level (validated) and its raw events.

    Raises EPCISValidationError (InvalidInput, every issue with its JSON pointer) for a
    document-level error, TooLarge for more than `capture_limit`
    events. Events themselves are not validated here.
    """
    try:
        # Top-level members stay raw: only the small ones are decoded here; the events
        # are decoded once, in the workers.
        members = msgspec.json.decode(body, type=dict[str, msgspec.Raw])
        raw_events = msgspec.json.decode(members["epcisBody"], type=_Body).eventList
        document = {name: _decoder.decode(raw) for name, raw in members.items()
                    if name != "epcisBody"}
        body_members = msgspec.json.decode(members["epcisBody"], type=dict[str, msgspec.Raw])
    except (msgspec.DecodeError, msgspec.ValidationError, KeyError):
        _raise_full_parse_error(body)
        raise  # unreachable: the full parser refuses what the envelope refused
    document["epcisBody"] = {name: _decoder.decode(raw) for name, raw in body_members.items()
                             if name != "eventList"}
    if len(raw_events) > capture_limit:
        raise TooLarge(
            "capture-limit", "Too many events",
            f"the document has {len(raw_events)} events; the capture limit is {capture_limit}",
            extensions={"eventCount": len(raw_events), "captureLimit": capture_limit},
        )
    header = {**document, "epcisBody": {**document["epcisBody"], "eventList": []}}
    parse_epcis_document(msgspec.json.encode(header))
    # The document's @context and ignoreFields, as the CBV 2.0 hash sees them.
    probe = {**header, "epcisBody": {**header["epcisBody"], "eventList": [{}]}}
    scope = document_events(probe)[0]
    return CaptureDocument(
        context=scope.context,
        ignore_fields=scope.ignore_fields,
        signatures=_signatures(document.get(SIGNATURES_MEMBER)),
        events=[(index, bytes(raw)) for index, raw in enumerate(raw_events)],
    )


def _raise_full_parse_error(body: bytes) -> None:
    parse_epcis_document(body)
    raise InvalidInput("invalid-epcis", "Invalid EPCIS document",
                       "the body is not an EPCISDocument with an epcisBody.eventList")


def _signatures(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    pointer = "/" + escape_pointer_token(SIGNATURES_MEMBER)
    if not isinstance(value, dict):
        raise EPCISValidationError([ValidationIssue(
            pointer, "must be an object mapping Event Hash IDs to 0x-hex signatures")])
    issues = [
        ValidationIssue(f"{pointer}/{escape_pointer_token(key)}",
                        "a signature is 0x followed by 130 hex digits (r || s || v)")
        for key, signature in value.items()
        if not isinstance(signature, str) or len(signature) != _SIGNATURE_HEX_LENGTH
        or not signature.startswith("0x")
    ]
    if issues:
        raise EPCISValidationError(issues)
    return value
