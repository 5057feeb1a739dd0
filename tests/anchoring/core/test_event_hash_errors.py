"""Malformed events get named EventError subclasses, never a stray KeyError/TypeError."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from anchoring.core.errors import EventError, MalformedEventError, TooManyUserExtensionsError
from anchoring.core.event_hash import event_hash_id, event_prehash

GOOD: dict[str, Any] = {
    "type": "ObjectEvent",
    "eventTime": "2020-03-04T11:00:30.000+01:00",
    "eventTimeZoneOffset": "+01:00",
    "epcList": ["urn:epc:id:sgtin:4012345.011111.9876"],
    "action": "OBSERVE",
    "bizStep": "shipping",
    "readPoint": {"id": "urn:epc:id:sgln:4012345.00011.987"},
    "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:1"}],
    "sensorElementList": [
        {"sensorMetadata": {"time": "2020-03-04T11:00:00Z"},
         "sensorReport": [{"type": "Temperature", "value": 4.5, "uom": "CEL"}]}
    ],
}


def _with(**changes: Any) -> dict[str, Any]:
    event = copy.deepcopy(GOOD)
    for key, value in changes.items():
        if value is _DROP:
            del event[key]
        else:
            event[key] = value
    return event


_DROP = object()


def test_good_event_hashes() -> None:
    assert event_hash_id(GOOD).startswith("ni:///sha-256;")


@pytest.mark.parametrize("not_an_event", [None, "ObjectEvent", 42, ["type"], b"{}"])
def test_not_a_mapping(not_an_event: Any) -> None:
    with pytest.raises(MalformedEventError, match="JSON object"):
        event_hash_id(not_an_event)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"type": _DROP}, "type"),
        ({"type": "FooEvent"}, "type"),
        ({"type": 7}, "type"),
        ({"eventTime": _DROP}, "eventTime"),
        ({"eventTime": 1583316030}, "eventTime"),
        ({"eventTime": "yesterday"}, "eventTime"),
        ({"eventTime": "2020-03-04T11:00:30"}, "eventTime"),  # no time zone: no single instant
        ({"eventTime": "2020-02-30T11:00:30Z"}, "eventTime"),
        ({"eventTime": "2020-03-04T25:00:30Z"}, "eventTime"),
        ({"eventTime": "2020-03-04T11:00:30.Z"}, "eventTime"),
        ({"eventTime": "2020-03-04T11:00:30+15:00"}, "eventTime"),
        ({"eventTimeZoneOffset": "CET"}, "eventTimeZoneOffset"),
        ({"eventTimeZoneOffset": 1}, "eventTimeZoneOffset"),
        ({"epcList": "urn:epc:id:sgtin:4012345.011111.9876"}, "epcList"),
        ({"epcList": [{"epc": "x"}]}, "epcList[0]"),
        ({"epcList": [None]}, "epcList[0]"),
        ({"action": "observe"}, "action"),
        ({"bizStep": ["shipping"]}, "bizStep"),
        ({"bizStep": None}, "bizStep"),
        ({"readPoint": "urn:epc:id:sgln:4012345.00011.987"}, "readPoint"),
        ({"bizTransactionList": {"type": "po"}}, "bizTransactionList"),
        ({"bizTransactionList": ["po"]}, "bizTransactionList[0]"),
        ({"bizTransactionList": [{"type": "po"}]}, "bizTransactionList[0]"),
        ({"sensorElementList": [{"sensorMetadata": {"time": "noon"}}]},
         "sensorElementList[0].sensorMetadata.time"),
        ({"sensorElementList": [{"sensorReport": [{"value": float("nan")}]}]},
         "sensorElementList[0].sensorReport[0].value"),
        ({"quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877",
                            "quantity": {"value": 1}}]}, "quantityList[0].quantity"),
        ({"example:ext": None}, "example:ext"),
    ],
)
def test_malformed_field_is_named(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(MalformedEventError) as caught:
        event_prehash(_with(**changes))
    assert caught.value.field == field
    assert isinstance(caught.value, EventError) and isinstance(caught.value, ValueError)
    assert str(caught.value).startswith(field)


def test_deeply_nested_user_extension_is_refused() -> None:
    nested: Any = "leaf"
    for _ in range(40):
        nested = {"example:level": nested}
    with pytest.raises(TooManyUserExtensionsError, match="deeper"):
        event_hash_id(_with(**{"example:root": nested}))


def test_huge_user_extension_is_refused() -> None:
    wide = {f"example:f{index}": str(index) for index in range(20_000)}
    with pytest.raises(TooManyUserExtensionsError, match="more than"):
        event_hash_id(_with(**{"example:root": wide}))


def test_bad_context_is_named() -> None:
    with pytest.raises(MalformedEventError) as caught:
        event_hash_id(GOOD, context=[42])
    assert caught.value.field == "@context"


def test_input_is_not_mutated() -> None:
    event = copy.deepcopy(GOOD)
    event_hash_id(event, context={"example": "https://ns.example.com/"})
    assert event == GOOD


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        # UTC falls outside the years 0001-9999 (datetime would overflow).
        ({"eventTime": "9999-12-31T23:59:59.9995Z"}, "eventTime"),
        ({"eventTime": "0001-01-01T00:00:00+00:01"}, "eventTime"),
        # An object or array is not an action (and is not hashable: no TypeError either).
        ({"action": {}}, "action"),
        ({"action": []}, "action"),
        # Arabic-Indic digits match \d but have no GS1 check digit.
        ({"epcList": ["urn:epc:id:sscc:061414\u0661.1234567890"]}, None),
    ],
)
def test_inputs_that_once_escaped_as_other_exceptions_are_event_errors(changes: dict[str, Any],
                                                                       field: str | None) -> None:
    with pytest.raises(MalformedEventError) as raised:
        event_hash_id(_with(**changes))
    if field is not None:
        assert raised.value.field == field
