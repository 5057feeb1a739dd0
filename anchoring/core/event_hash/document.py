"""The events of an EPCIS 2.0 document, each with what its hash depends on beyond itself.

An event's hash ID can depend on its document: the document's `@context` declares the
prefixes of user extensions, and an `ignoreFields` list (EPCIS 2.0 JSON binding, on the
document, its body or its query results) names members to leave out (CBV 2.0 §8.9.2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from anchoring.core.errors import MalformedEventError
from anchoring.core.event_hash import event_hash_id, event_prehash

_DOCUMENT_TYPES = frozenset({"EPCISDocument", "EPCISQueryDocument"})


@dataclass(frozen=True)
class DocumentEvent:
    """One event of a document, with the document's context and ignored field names."""

    event: Mapping[str, Any]
    context: object
    ignore_fields: tuple[str, ...]

    def hash_id(self) -> str:
        """The CBV 2.0 Event Hash ID of this event as it stands in its document."""
        return event_hash_id(self.event, context=self.context, ignore_fields=self.ignore_fields)

    def prehash(self) -> str:
        """The pre-hash string of this event as it stands in its document."""
        return event_prehash(self.event, context=self.context, ignore_fields=self.ignore_fields)


def document_events(document: Mapping[str, Any]) -> list[DocumentEvent]:
    """Return the events of an EPCISDocument or EPCISQueryDocument in document order.

    A bare event (a mapping whose `type` is not a document type) is returned as the only
    event of an implicit document. Raises `MalformedEventError` when the document has no
    event list where the EPCIS 2.0 JSON binding puts one.
    """
    if not isinstance(document, Mapping):
        raise MalformedEventError("an EPCIS document must be a JSON object")
    if document.get("type") not in _DOCUMENT_TYPES and "epcisBody" not in document:
        return [DocumentEvent(document, None, ())]
    body = document.get("epcisBody")
    if not isinstance(body, Mapping):
        raise MalformedEventError("missing or not an object", field="epcisBody")
    events = _event_list(body)
    context = document.get("@context")
    ignore_fields = tuple(_ignore_fields(document, body))
    return [DocumentEvent(event, context, ignore_fields) for event in events]


def _event_list(body: Mapping[str, Any]) -> Sequence[Any]:
    if "event" in body:
        return [body["event"]]
    if "eventList" in body:
        events = body["eventList"]
        field = "epcisBody.eventList"
    else:
        results = body.get("queryResults")
        results_body = results.get("resultsBody") if isinstance(results, Mapping) else None
        events = results_body.get("eventList") if isinstance(results_body, Mapping) else None
        field = "epcisBody.queryResults.resultsBody.eventList"
    if not isinstance(events, list):
        raise MalformedEventError("missing or not an array", field=field)
    return events


def _ignore_fields(document: Mapping[str, Any], body: Mapping[str, Any]) -> list[str]:
    results = body.get("queryResults")
    holders = [document, body] + ([results] if isinstance(results, Mapping) else [])
    names: list[str] = []
    for holder in holders:
        for key, value in holder.items():
            if key.rpartition(":")[2] != "ignoreFields":
                continue
            if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
                raise MalformedEventError("must be an array of strings", field=key)
            names.extend(value)
    return names
