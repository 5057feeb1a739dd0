"""The parsing API the capture endpoint calls: results, issues and their pointers."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.shared_data import shared_data
from trace_api.epcis import (
    EPCISValidationError,
    ObjectEvent,
    TransformationEvent,
    parse_epcis_document,
    parse_epcis_document_proceed,
    parse_epcis_json,
    parse_epcis_query_document,
    parse_event,
)

CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
           {"example": "https://example.org/epcis/"}]


def _event(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "ObjectEvent", "eventTime": "2026-11-26T08:00:00.000+08:00",
        "eventTimeZoneOffset": "+08:00", "action": "OBSERVE", "bizStep": "shipping",
        "epcList": ["https://id.gs1.org/01/09506000134352/21/1"],
        "readPoint": {"id": "urn:epc:id:sgln:9506000.13435.0"},
    }
    event.update(overrides)
    return event


def _document(*events: dict[str, Any]) -> dict[str, Any]:
    return {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2026-11-26T08:00:00Z", "epcisBody": {"eventList": list(events)}}


def _issues(document: Any) -> list[dict[str, object]]:
    with pytest.raises(EPCISValidationError) as caught:
        parse_epcis_document(json.dumps(document).encode())
    return [issue.as_dict() for issue in caught.value.issues]


def test_valid_document_gives_typed_events_and_original_mappings() -> None:
    document = _document(_event(**{"example:lot": "L1"}), _event(action="ADD"))
    parsed = parse_epcis_document(json.dumps(document).encode())
    assert parsed.context == CONTEXT
    assert [type(e.event) for e in parsed.events] == [ObjectEvent, ObjectEvent]
    first = parsed.events[0]
    assert first.index == 0 and first.raw == document["epcisBody"]["eventList"][0]
    assert first.extensions == {"example:lot": "L1"}
    assert isinstance(first.event, ObjectEvent) and first.event.bizStep == "shipping"


def test_issues_name_event_index_and_pointer() -> None:
    document = _document(_event(), _event(action="UPDATE"),
                         _event(epcList=["urn:epc:id:sgtin:1.2.3", "not a uri"]),
                         _event(foo=1))
    del document["epcisBody"]["eventList"][0]["eventTime"]
    assert _issues(document) == [
        {"pointer": "/epcisBody/eventList/0/eventTime", "eventIndex": 0,
         "message": "Object missing required field `eventTime`"},
        {"pointer": "/epcisBody/eventList/1/action", "eventIndex": 1,
         "message": "Invalid enum value 'UPDATE'"},
        {"pointer": "/epcisBody/eventList/2/epcList/1", "eventIndex": 2,
         "message": "'not a uri' is not an absolute URI (RFC 3986)"},
        {"pointer": "/epcisBody/eventList/3/foo", "eventIndex": 3,
         "message": "member 'foo' is neither standard here nor namespaced (prefix:name)"},
    ]


def test_nested_type_error_pointer() -> None:
    event = _event(quantityList=[{"epcClass": "urn:epc:class:lgtin:1.2.3", "quantity": "5"}])
    [issue] = _issues(_document(event))
    assert issue["pointer"] == "/epcisBody/eventList/0/quantityList/0/quantity"


def test_pointer_tokens_are_escaped() -> None:
    [issue] = _issues(_document(_event(**{"a/b~c": 1})))
    assert issue["pointer"] == "/epcisBody/eventList/0/a~1b~0c"


def test_document_level_issues_have_no_event_index() -> None:
    document = _document(_event())
    document["schemaVersion"] = "two"
    document["creationDate"] = "yesterday"
    issues = _issues(document)
    assert {issue["pointer"] for issue in issues} == {"/schemaVersion", "/creationDate"}
    assert all("eventIndex" not in issue for issue in issues)


@pytest.mark.parametrize("body", [b"", b"{", b"[1, 2]", b'"x"', b"\xff"])
def test_malformed_or_non_object_body(body: bytes) -> None:
    with pytest.raises(EPCISValidationError) as caught:
        parse_epcis_document(body)
    assert caught.value.issues[0].pointer == ""


def test_missing_event_list() -> None:
    document = _document()
    del document["epcisBody"]["eventList"]
    assert _issues(document)[0]["pointer"] == "/epcisBody"


def test_proceed_keeps_valid_events_with_their_indexes() -> None:
    document = _document(_event(), _event(action="UPDATE"), _event())
    parsed, refused = parse_epcis_document_proceed(json.dumps(document).encode())
    assert [event.index for event in parsed.events] == [0, 2]
    assert [issue.event_index for issue in refused] == [1]


def test_proceed_still_refuses_a_bad_document() -> None:
    document = _document(_event())
    del document["creationDate"]
    with pytest.raises(EPCISValidationError):
        parse_epcis_document_proceed(json.dumps(document).encode())


def test_ilmd_only_with_add_and_only_namespaced() -> None:
    ilmd = {"example:bestBefore": "2027-01-01"}
    assert parse_epcis_document(json.dumps(_document(_event(action="ADD", ilmd=ilmd))).encode())
    [issue] = _issues(_document(_event(action="OBSERVE", ilmd=ilmd)))
    assert issue["pointer"] == "/epcisBody/eventList/0/ilmd"
    [issue] = _issues(_document(_event(action="ADD", ilmd={"bestBefore": "x"})))
    assert issue["pointer"] == "/epcisBody/eventList/0/ilmd/bestBefore"


def test_cbv_values_bare_word_or_non_gs1_uri() -> None:
    for good in ("shipping", "cbv:BizStep-shipping", "https://example.org/steps/ship"):
        parse_epcis_document(json.dumps(_document(_event(bizStep=good))).encode())
    for bad in ("Shipping", "https://ns.gs1.org/cbv/BizStep-shipping",
                "urn:epcglobal:cbv:bizstep:shipping"):
        [issue] = _issues(_document(_event(bizStep=bad)))
        assert issue["pointer"] == "/epcisBody/eventList/0/bizStep"


def test_standalone_event_needs_context() -> None:
    event = _event()
    with pytest.raises(EPCISValidationError) as caught:
        parse_event(json.dumps(event).encode())
    assert caught.value.issues[0].pointer == "/@context"
    parsed = parse_event(json.dumps({"@context": CONTEXT, **event}).encode())
    assert parsed.index is None and isinstance(parsed.event, ObjectEvent)


def test_extended_event_type_must_be_a_uri() -> None:
    custom = {"@context": CONTEXT, "type": "example:CustomEvent",
              "eventTime": "2026-11-26T08:00:00Z", "eventTimeZoneOffset": "+00:00",
              "example:reading": 3}
    parsed = parse_epcis_json(json.dumps(custom).encode())
    assert parsed.extensions == {"example:reading": 3}  # type: ignore[union-attr]
    with pytest.raises(EPCISValidationError):
        parse_epcis_json(json.dumps({**custom, "type": "CustomEvent"}).encode())


def test_transformation_needs_inputs_and_outputs_or_an_id() -> None:
    base = {"type": "TransformationEvent", "eventTime": "2026-11-26T08:00:00Z",
            "eventTimeZoneOffset": "+00:00", "inputEPCList": ["urn:epc:id:sgtin:1.2.3"]}
    [issue] = _issues(_document(base))
    assert issue["pointer"] == "/epcisBody/eventList/0"
    parsed = parse_epcis_document(json.dumps(
        _document({**base, "transformationID": "urn:epc:id:gdti:0614141.12345.400"})).encode())
    assert isinstance(parsed.events[0].event, TransformationEvent)


def test_query_document() -> None:
    path = shared_data("epcis/JSON/EPCISQueryDocument.jsonld")
    parsed = parse_epcis_query_document(path.read_bytes())
    assert parsed.query.queryName and parsed.events
    broken = json.loads(path.read_bytes())
    broken["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0]["action"] = "X"
    with pytest.raises(EPCISValidationError) as caught:
        parse_epcis_query_document(json.dumps(broken).encode())
    issue = caught.value.issues[0]
    assert issue.event_index == 0
    assert issue.pointer == "/epcisBody/queryResults/resultsBody/eventList/0/action"


def test_raw_event_feeds_the_event_hash() -> None:
    from anchoring.core.event_hash import event_hash_id

    path = shared_data("epcis/JSON/Example_9.6.1-ObjectEvent.jsonld")
    parsed = parse_epcis_document(path.read_bytes())
    original = json.loads(path.read_bytes())["epcisBody"]["eventList"]
    for event, raw in zip(parsed.events, original, strict=True):
        assert event_hash_id(event.raw, context=parsed.context) == event_hash_id(
            copy.deepcopy(raw), context=parsed.context)
