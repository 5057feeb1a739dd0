"""Hypothesis mutations of the official examples: the schema and our validator agree.

Each case takes a valid GS1 example document, changes one thing (drops a member, retypes a
value, breaks a timestamp, an action, a CBV value, adds a member, at any depth of one event or
at document level) and checks that the official schema (the oracle) and ``parse_epcis_json``
give the same verdict. When we refuse a mutated event, every issue must name that event's
index and lie under its pointer. Strings stay ASCII without newlines: outside that, Python's
``re`` in the oracle differs from the standard (see test_formats).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from tests.trace_api.epcis.oracle import MUST_PASS, example_files, oracle_accepts
from trace_api.epcis import EPCISValidationError, parse_epcis_json
from trace_api.epcis.errors import escape_pointer_token

_DOCUMENTS = [
    json.loads(path.read_bytes())
    for path in example_files(*MUST_PASS)
    if path.suffix == ".jsonld" and "EPCISQueryDocument" not in path.name
]

INTERESTING_STRINGS = [
    # URIs, compact IRIs and things that are not URIs
    "urn:epc:id:sgtin:0614141.107346.2018", "https://id.gs1.org/01/09506000134352/21/1",
    "example:thing", "ext1:float", "http://[::1]/x", "http://u@h:8/p?q#f", "a:", "urn:x:%41",
    "_:b0", "no scheme", "http://a b", "1abc:def", "%zz:x", "http://x/%2", "",
    # CBV values in every accepted and refused spelling
    "shipping", "receiving", "in_transit", "po", "owning_party", "Temperature", "x",
    "did_not_occur", "ALARM_CONDITION", "Shipping", "cbv:BizStep-shipping",
    "https://ns.gs1.org/cbv/BizStep-shipping", "urn:epcglobal:cbv:bizstep:shipping",
    "https://gs1.org/voc/Temperature", "gs1:Temperature",
    # actions
    "ADD", "OBSERVE", "DELETE", "add", "UPDATE",
    # timestamps and offsets
    "2005-04-03T20:33:31.116-06:00", "2005-04-03t20:33:31z", "2005-04-03T20:33:31",
    "2005-02-29T20:33:31Z", "2004-02-29T20:33:31Z", "2005-04-03 20:33:31Z",
    "2005-04-03T24:00:00Z", "2005-04-03T23:59:60Z", "0000-01-01T00:00:00Z",
    "+01:00", "-14:00", "+14:01", "+1:00", "Z",
    # units, hex, versions
    "KGM", "CEL", "kg", "A", "ABCD", "0aF", "0xFF", "2.0", "2", "2.0.1", "v2",
]
_SCALARS = [None, True, False, 0, -3, 1.5, 10**20]

json_values = st.recursive(
    st.one_of(st.sampled_from(INTERESTING_STRINGS), st.sampled_from(_SCALARS),
              st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["id", "type", "x", "ex:y", "value", "epcClass"]),
                        inner, max_size=3),
    ),
    max_leaves=4,
)
member_names = st.one_of(
    st.sampled_from(["foo", "ext:foo", "example:bar", "_:x", "a b:c", "http://x.org/y",
                     "ilmd", "persistentDisposition", "action", "parentID", "epcList",
                     "quantityList", "childEPCs", "transformationID", "sensorMetadata",
                     "uom", "time", "bizTransaction", "set", "reason", "eventList"]),
    st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=8),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a member or item inside ``value`` (not ``value`` itself)."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, child in items:
        found.append(prefix + (key,))
        found.extend(_paths(child, prefix + (key,)))
    return found


def _container(root: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        root = root[key]
    return root


@st.composite
def mutated_events(draw: st.DrawFn) -> tuple[dict[str, Any], int | None, str]:
    """(document, index of the mutated event or None for a document-level change, kind)."""
    document = copy.deepcopy(draw(st.sampled_from(_DOCUMENTS)))
    events = document["epcisBody"]["eventList"]
    at_document = draw(st.booleans()) if draw(st.integers(0, 4)) == 0 else False
    if at_document or not events:
        target, index = document, None
    else:
        index = draw(st.integers(0, len(events) - 1))
        target = events[index]
    kind = draw(st.sampled_from(["drop", "replace", "replace", "add"]))
    paths = _paths(target)
    if kind == "add" or not paths:
        containers = [()] + [p for p in paths if isinstance(_container(target, p + (0,)), dict)]
        path = draw(st.sampled_from(containers))
        _container(target, path + (0,))[draw(member_names)] = draw(json_values)
        return document, index, "add"
    path = draw(st.sampled_from(paths))
    parent = _container(target, path)
    if kind == "drop":
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(json_values)
    return document, index, kind


def _our_issues(document: dict[str, Any]) -> list[Any] | None:
    try:
        parse_epcis_json(json.dumps(document).encode())
    except EPCISValidationError as exc:
        return list(exc.issues)
    return None


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_events())
def test_mutation_verdicts_agree_with_the_schema(case: tuple[dict[str, Any], int | None, str]
                                                 ) -> None:
    document, index, kind = case
    assume(isinstance(document.get("type"), str))
    expected = oracle_accepts(document)
    event(f"{kind} at {'document' if index is None else 'event'}: schema "
          f"{'accepts' if expected else 'refuses'}")
    issues = _our_issues(document)
    assert (issues is None) == expected, issues
    if issues is not None and index is not None:
        event_pointer = f"/epcisBody/eventList/{index}"
        for issue in issues:
            assert issue.event_index == index
            assert issue.pointer == event_pointer or issue.pointer.startswith(event_pointer + "/")


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_DOCUMENTS), st.data())
def test_dropping_a_required_member_names_it(document: dict[str, Any], data: st.DataObject
                                             ) -> None:
    document = copy.deepcopy(document)
    events = document["epcisBody"]["eventList"]
    index = data.draw(st.integers(0, len(events) - 1))
    event = events[index]
    required = ["eventTime", "eventTimeZoneOffset"]
    if event["type"] in ("ObjectEvent", "AggregationEvent", "TransactionEvent",
                         "AssociationEvent"):
        required.append("action")
    if event["type"] == "AssociationEvent":
        required.append("parentID")
    name = data.draw(st.sampled_from(required))
    del event[name]
    assert not oracle_accepts(document)
    issues = _our_issues(document)
    assert issues is not None
    pointer = f"/epcisBody/eventList/{index}/{escape_pointer_token(name)}"
    assert any(issue.pointer == pointer and issue.event_index == index for issue in issues)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_DOCUMENTS), st.data(),
       st.sampled_from(["eventTime", "eventTimeZoneOffset", "bizStep", "disposition",
                        "action", "eventID"]),
       st.sampled_from(["2005-04-03T20:33:31", "+15:00", "Shipping", "not a uri", "UPDATE",
                        "urn:epcglobal:cbv:disp:active", 7, None]))
def test_a_bad_value_is_reported_at_its_member(document: dict[str, Any], data: st.DataObject,
                                                name: str, bad: Any) -> None:
    document = copy.deepcopy(document)
    events = document["epcisBody"]["eventList"]
    index = data.draw(st.integers(0, len(events) - 1))
    if name == "action" and events[index]["type"] == "TransformationEvent":
        name = "eventTime"
    events[index][name] = bad
    assume(not oracle_accepts(document))
    issues = _our_issues(document)
    assert issues is not None
    pointer = f"/epcisBody/eventList/{index}/{name}"
    assert any(issue.pointer == pointer and issue.event_index == index for issue in issues)
