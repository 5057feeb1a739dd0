"""Parsing EPCIS 2.0 JSON / JSON-LD bytes into validated typed models.

Three steps per object: decode the bytes once (msgspec, into plain dicts/lists, kept as the
event's original mapping for the CBV 2.0 Event Hash ID); convert each object into its typed
model (msgspec: JSON types, required members, closed objects, ``action`` values); then apply
the rules of ``rules.py``. A result is returned only when every step passed; otherwise
``EPCISValidationError`` lists every problem found, each with a JSON pointer and event index.
The accepted language is that of the official EPCIS 2.0 JSON Schema (the tests hold it there).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

from trace_api.epcis import models as m
from trace_api.epcis import rules
from trace_api.epcis.errors import EPCISValidationError, ValidationIssue, escape_pointer_token

_DOCUMENT_EVENTS = "/epcisBody/eventList"
_QUERY_EVENTS = "/epcisBody/queryResults/resultsBody/eventList"
_COMMON_MEMBERS = frozenset(m.EPCISEvent.__struct_encode_fields__)
_DECODER = msgspec.json.Decoder()
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class ParsedEvent:
    """A validated event: its typed model, the original JSON mapping, and where it was.

    ``raw`` is the event exactly as decoded (hash it with ``anchoring.core.event_hash_id``,
    passing the document's ``@context``); ``index`` is its position in the event list, ``None``
    for a standalone event.
    """

    event: m.AnyEvent
    raw: Mapping[str, Any]
    index: int | None = None

    @property
    def extensions(self) -> dict[str, Any]:
        """User extension members (``prefix:name``) of the event, in document order."""
        standard = rules.EVENT_MEMBERS.get(type(self.event), _COMMON_MEMBERS)
        return {name: value for name, value in self.raw.items() if name not in standard}


@dataclass(frozen=True, slots=True)
class EPCISDocument:
    """A validated ``EPCISDocument``: header members, events in order, and the original JSON."""

    header: m.DocumentHeader
    events: tuple[ParsedEvent, ...]
    raw: Mapping[str, Any]

    @property
    def context(self) -> m.JSONLDContext:
        """The document's JSON-LD ``@context`` (events are hashed in its scope)."""
        return self.header.context


@dataclass(frozen=True, slots=True)
class EPCISQueryDocument:
    """A validated ``EPCISQueryDocument`` (a query's results)."""

    header: m.QueryDocumentHeader
    query: m.QueryResultsHeader
    events: tuple[ParsedEvent, ...]
    vocabularies: tuple[m.Vocabulary, ...]
    raw: Mapping[str, Any]


def decode_json(body: bytes | str) -> Any:
    """The JSON value in ``body``; raises ``EPCISValidationError`` (pointer "") if malformed."""
    try:
        return _DECODER.decode(body)
    except msgspec.DecodeError as exc:
        raise EPCISValidationError([ValidationIssue("", f"malformed JSON: {exc}")]) from exc


def parse_epcis_document(body: bytes | str) -> EPCISDocument:
    """Parse and validate an ``EPCISDocument``; every event must be valid (capture "rollback").

    Raises ``EPCISValidationError`` listing every issue found in the document and its events.
    """
    document, issues = _parse_document(decode_json(body))
    if issues or document is None:
        raise EPCISValidationError(issues)
    return document


def parse_epcis_document_proceed(
    body: bytes | str,
) -> tuple[EPCISDocument, tuple[ValidationIssue, ...]]:
    """Parse an ``EPCISDocument`` keeping its valid events (capture "proceed").

    Returns the document holding only the valid events (each keeps its original ``index``) and
    the issues of the refused ones. Raises ``EPCISValidationError`` if the document itself (not
    just some events) is invalid.
    """
    document, issues = _parse_document(decode_json(body))
    if document is None or any(issue.event_index is None for issue in issues):
        raise EPCISValidationError(issues)
    return document, tuple(issues)


def parse_epcis_query_document(body: bytes | str) -> EPCISQueryDocument:
    """Parse and validate an ``EPCISQueryDocument``; raises ``EPCISValidationError``."""
    document, issues = _parse_query_document(decode_json(body))
    if issues or document is None:
        raise EPCISValidationError(issues)
    return document


def parse_event(body: bytes | str) -> ParsedEvent:
    """Parse and validate one standalone event (it must carry its own ``@context``)."""
    return validate_event(decode_json(body), standalone=True)


def parse_epcis_json(body: bytes | str) -> EPCISDocument | EPCISQueryDocument | ParsedEvent:
    """Parse any EPCIS 2.0 JSON the official schema's root accepts: a document, a query
    document or a standalone event, chosen by its ``type``. Raises ``EPCISValidationError``."""
    value = decode_json(body)
    kind = value.get("type") if isinstance(value, dict) else None
    if kind == "EPCISDocument":
        document, issues = _parse_document(value)
    elif kind == "EPCISQueryDocument":
        document, issues = _parse_query_document(value)  # type: ignore[assignment]
    else:
        return validate_event(value, standalone=True)
    if issues or document is None:
        raise EPCISValidationError(issues)
    return document


def validate_event(raw: Any, *, index: int | None = None, base: str = "",
                   standalone: bool = False) -> ParsedEvent:
    """Validate one already-decoded event mapping; raises ``EPCISValidationError``.

    ``base`` is the JSON pointer of the event in its document (prefixed to every issue);
    ``standalone`` events must carry ``@context`` (in a document, the document's applies).
    """
    result = _parse_event(raw, index, base, standalone)
    if isinstance(result, ParsedEvent):
        return result
    raise EPCISValidationError(result)


def _parse_event(raw: Any, index: int | None, base: str,
                 standalone: bool) -> ParsedEvent | list[ValidationIssue]:
    if not isinstance(raw, dict):
        return [ValidationIssue(base, "an event must be a JSON object", index)]
    kind = raw.get("type")
    if kind is None:
        return [ValidationIssue(base + "/type", "missing required member 'type'", index)]
    if not isinstance(kind, str):
        return [ValidationIssue(base + "/type", "'type' must be a string", index)]
    model = m.EVENT_TYPES.get(kind, m.ExtendedEvent)
    try:
        event = msgspec.convert(raw, model)
    except msgspec.ValidationError as exc:
        return [_issue_from_msgspec(exc, base, index)]
    found: rules.Found = []
    if standalone and "@context" not in raw:
        found.append(("/@context", "a standalone event needs its own @context"))
    rules.check_event(event, raw, found)
    if found:
        return [ValidationIssue(base + pointer, message, index) for pointer, message in found]
    return ParsedEvent(event, raw, index)  # type: ignore[arg-type]


def _parse_document(raw: Any) -> tuple[EPCISDocument | None, list[ValidationIssue]]:
    issues: list[ValidationIssue] = []
    if not isinstance(raw, dict):
        return None, [ValidationIssue("", "an EPCIS document must be a JSON object")]
    header = _convert_header(raw, m.DocumentHeader, issues)
    body = _member(raw, "epcisBody", "", dict, issues)
    event_list = _member(body, "eventList", "/epcisBody", list, issues)
    events = _parse_events(event_list, _DOCUMENT_EVENTS, issues)
    if header is None or event_list is None:
        return None, issues
    return EPCISDocument(header, events, raw), issues


def _parse_query_document(raw: Any) -> tuple[EPCISQueryDocument | None, list[ValidationIssue]]:
    issues: list[ValidationIssue] = []
    if not isinstance(raw, dict):
        return None, [ValidationIssue("", "an EPCIS query document must be a JSON object")]
    header = _convert_header(raw, m.QueryDocumentHeader, issues)
    found: rules.Found = []
    body = _member(raw, "epcisBody", "", dict, issues)
    results = _member(body, "queryResults", "/epcisBody", dict, issues)
    query = None
    if body is not None:
        rules.check_member_names(body, frozenset(("queryResults",)), "/epcisBody", found)
    if results is not None:
        query = _convert(results, m.QueryResultsHeader, "/epcisBody/queryResults", issues)
        rules.check_member_names(results, frozenset(("queryName", "subscriptionID",
                                                     "resultsBody")),
                                 "/epcisBody/queryResults", found)
    results_at = "/epcisBody/queryResults/resultsBody"
    results_body = _member(results, "resultsBody", "/epcisBody/queryResults", dict, issues)
    vocabularies: list[m.Vocabulary] = []
    if results_body is not None:
        rules.check_member_names(results_body, frozenset(("eventList", "vocabularyList")),
                                 results_at, found)
        if "vocabularyList" in results_body:
            converted = _convert(results_body["vocabularyList"], list[m.Vocabulary],
                                 results_at + "/vocabularyList", issues)
            if converted is not None:
                vocabularies = converted
                rules.check_vocabularies(converted, results_at + "/vocabularyList", found)
    issues.extend(ValidationIssue(pointer, message) for pointer, message in found)
    event_list = _member(results_body, "eventList", results_at, list, issues)
    events = _parse_events(event_list, _QUERY_EVENTS, issues)
    if header is None or query is None or event_list is None:
        return None, issues
    document = EPCISQueryDocument(header, query, events, tuple(vocabularies), raw)
    return document, issues


def _convert_header(raw: dict[str, Any], model: type[m.DocumentHeader | m.QueryDocumentHeader],
                    issues: list[ValidationIssue]) -> Any:
    header = _convert(raw, model, "", issues)
    if header is not None:
        found: rules.Found = []
        rules.check_document_header(header, raw, found)
        issues.extend(ValidationIssue(pointer, message) for pointer, message in found)
    return header


def _parse_events(event_list: list[Any] | None, base: str,
                  issues: list[ValidationIssue]) -> tuple[ParsedEvent, ...]:
    if event_list is None:
        return ()
    events: list[ParsedEvent] = []
    for index, raw_event in enumerate(event_list):
        result = _parse_event(raw_event, index, f"{base}/{index}", standalone=False)
        if isinstance(result, ParsedEvent):
            events.append(result)
        else:
            issues.extend(result)
    return tuple(events)


_JSON_TYPE_NAMES: dict[type, str] = {dict: "a JSON object", list: "a JSON array"}


def _member(parent: dict[str, Any] | None, name: str, at: str, json_type: type[_T],
            issues: list[ValidationIssue]) -> _T | None:
    """``parent[name]`` if present and of ``json_type`` (dict or list); else None, with an
    issue at ``at`` (missing) or at the member (wrong type). None in, None out, silently."""
    if parent is None:
        return None
    if name not in parent:
        issues.append(ValidationIssue(at, f"missing required member {name!r}"))
        return None
    value = parent[name]
    if not isinstance(value, json_type):
        issues.append(ValidationIssue(f"{at}/{name}",
                                      f"{name!r} must be {_JSON_TYPE_NAMES[json_type]}"))
        return None
    return value


def _convert(raw: Any, model: Any, at: str, issues: list[ValidationIssue]) -> Any:
    try:
        return msgspec.convert(raw, model)
    except msgspec.ValidationError as exc:
        issues.append(_issue_from_msgspec(exc, at, None))
        return None


_PATH_TOKEN = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_FIELD_MESSAGE = re.compile(r"Object (?:missing required|contains unknown) field `(.*)`")


def _issue_from_msgspec(error: msgspec.ValidationError, base: str,
                        index: int | None) -> ValidationIssue:
    """Turn msgspec's ``"<message> - at `$.a[0].b`"`` into a JSON pointer under ``base``."""
    text = str(error)
    message, separator, path = text.rpartition(" - at `")
    if not separator:
        message, path = text, "$`"
    pointer = base + "".join(
        "/" + escape_pointer_token(name if name else number)
        for name, number in _PATH_TOKEN.findall(path[1:-1])
    )
    field_match = _FIELD_MESSAGE.fullmatch(message)
    if field_match:
        pointer += "/" + escape_pointer_token(field_match[1])
    return ValidationIssue(pointer, message, index)
