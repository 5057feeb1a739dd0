"""`/v1/events` end to end: exact result sets per EPCIS query parameter, pagination,
visibility by role, and bad input.

A module-scoped custodial enterprise captures five events naming identifiers under a
company prefix no other test uses; enterprise queries only ever see its own records and
staff queries are narrowed by that prefix, so every expected set is exact.
"""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from testing.system import LiveSystem, RegisteredEnterprise
from tests.trace_api.capture.documents import CONTEXT
from tests.trace_api.capture.kit import hash_ids

CP = "0" + "".join(secrets.choice("123456789") for _ in range(6))
A1, A2 = f"urn:epc:id:sgtin:{CP}.107346.1", f"urn:epc:id:sgtin:{CP}.107346.2"
B1 = f"urn:epc:id:sgtin:{CP}.200000.1"
PALLET = f"urn:epc:id:sscc:{CP}.0000000001"
LOT = f"urn:epc:class:lgtin:{CP}.200000.LOT7"
L1, L2, L3 = (f"urn:epc:id:sgln:{CP}.00000.{n}" for n in (1, 2, 3))
R1 = f"urn:epc:id:sgln:{CP}.00000.91"


def _time(hour: int) -> str:
    return f"2026-11-20T{hour:02d}:00:00.000Z"


EVENTS: list[dict[str, Any]] = [
    {"type": "ObjectEvent", "eventTime": _time(8), "eventTimeZoneOffset": "+00:00",
     "epcList": [A1, A2], "action": "ADD", "bizStep": "commissioning", "disposition": "active",
     "readPoint": {"id": R1}, "bizLocation": {"id": L1}},
    {"type": "ObjectEvent", "eventTime": _time(9), "eventTimeZoneOffset": "+00:00",
     "epcList": [A1], "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
     "bizLocation": {"id": L1}},
    {"type": "AggregationEvent", "eventTime": _time(10), "eventTimeZoneOffset": "+00:00",
     "parentID": PALLET, "childEPCs": [A1, A2], "action": "ADD", "bizStep": "packing",
     "bizLocation": {"id": L2}},
    {"type": "TransformationEvent", "eventTime": _time(11), "eventTimeZoneOffset": "+00:00",
     "inputEPCList": [A2], "outputEPCList": [B1], "bizStep": "creating_class_instance",
     "bizLocation": {"id": L2}},
    {"type": "ObjectEvent", "eventTime": _time(12), "eventTimeZoneOffset": "+00:00",
     "epcList": [B1], "quantityList": [{"epcClass": LOT, "quantity": 10, "uom": "KGM"}],
     "action": "OBSERVE", "bizStep": "cbv:BizStep-receiving", "bizLocation": {"id": L3}},
]


class Dataset:
    """The captured events' IDs (e0..e4) and the second capture's receive time."""

    def __init__(self, ids: list[str], second_received_at: str) -> None:
        self.ids = ids
        self.second_received_at = second_received_at

    def __call__(self, *indexes: int) -> list[str]:
        return [self.ids[index] for index in indexes]


def _document(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": _time(13), "epcisBody": {"eventList": events}}


@pytest.fixture(scope="module")
def owner(live_system: LiveSystem) -> RegisteredEnterprise:
    # Holds CP: capture admits events only where the enterprise speaks for them (issue 13).
    return live_system.enterprise(name="Query Owner", custody="custodial", prefixes=[CP])


@pytest.fixture(scope="module")
def stranger(live_system: LiveSystem) -> RegisteredEnterprise:
    return live_system.enterprise(name="Query Stranger", custody="custodial")


@pytest.fixture(scope="module")
def dataset(live_system: LiveSystem, owner: RegisteredEnterprise) -> Dataset:
    url, headers = f"{live_system.api_url}/v1/capture", live_system.auth(owner.api_key)
    first = httpx.post(url, json=_document(EVENTS[:3]), headers=headers, timeout=60)
    assert first.status_code == 202, first.text
    time.sleep(0.01)  # distinct receive times for the recordTime filters
    second = httpx.post(url, json=_document(EVENTS[3:]), headers=headers, timeout=60)
    assert second.status_code == 202, second.text
    ids = hash_ids(_document(EVENTS))
    assert [e["eventHashId"] for e in first.json()["events"] + second.json()["events"]] == ids
    return Dataset(ids, second.json()["createdAt"])


def _query(live: LiveSystem, key: str, **params: str) -> httpx.Response:
    return httpx.get(f"{live.api_url}/v1/events", params=params, headers=live.auth(key),
                     timeout=30)


def _ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [record["eventHashId"] for record in response.json()["events"]]


CASES: list[tuple[dict[str, str], tuple[int, ...]]] = [
    ({}, (0, 1, 2, 3, 4)),
    ({"eventType": "ObjectEvent"}, (0, 1, 4)),
    ({"eventType": "AggregationEvent|TransformationEvent"}, (2, 3)),
    ({"GE_eventTime": _time(9), "LT_eventTime": _time(12)}, (1, 2, 3)),
    ({"GE_eventTime": "2026-11-20T10:00:00+01:00"}, (1, 2, 3, 4)),
    ({"EQ_bizStep": "shipping"}, (1,)),
    ({"EQ_bizStep": "receiving|packing"}, (2, 4)),
    ({"EQ_bizStep": "https://ref.gs1.org/cbv/BizStep-commissioning"}, (0,)),
    ({"EQ_disposition": "in_transit|active"}, (0, 1)),
    ({"EQ_action": "ADD"}, (0, 2)),
    ({"EQ_bizLocation": L1}, (0, 1)),
    ({"EQ_bizLocation": f"{L2}|{L3}"}, (2, 3, 4)),
    ({"EQ_readPoint": R1}, (0,)),
    ({"MATCH_epc": A1}, (0, 1, 2)),
    ({"MATCH_epc": A2}, (0, 2)),
    ({"MATCH_anyEPC": A2}, (0, 2, 3)),
    ({"MATCH_anyEPC": PALLET}, (2,)),
    ({"MATCH_anyEPC": B1}, (3, 4)),
    ({"MATCH_parentID": PALLET}, (2,)),
    ({"MATCH_inputEPC": A2}, (3,)),
    ({"MATCH_outputEPC": B1}, (3,)),
    ({"MATCH_epc": f"urn:epc:idpat:sgtin:{CP}.107346.*"}, (0, 1, 2)),
    ({"MATCH_anyEPC": f"urn:epc:idpat:sgtin:{CP}.*.*"}, (0, 1, 2, 3, 4)),
    ({"MATCH_anyEPC": f"urn:epc:id:sgtin:{CP}.2*"}, (3, 4)),
    ({"MATCH_epcClass": LOT}, (4,)),
    ({"MATCH_anyEPCClass": f"urn:epc:class:lgtin:{CP}.*"}, (4,)),
    ({"MATCH_epc": A1, "EQ_bizStep": "shipping|packing", "eventType": "ObjectEvent"}, (1,)),
    ({"MATCH_epc": "urn:epc:id:sgtin:0000000.000000.0"}, ()),
]


@pytest.mark.parametrize(("params", "expected"), CASES, ids=[str(case[0]) for case in CASES])
def test_each_filter_gives_exactly_the_matching_records(
    live_system: LiveSystem, owner: RegisteredEnterprise, dataset: Dataset,
    params: dict[str, str], expected: tuple[int, ...],
) -> None:
    assert _ids(_query(live_system, owner.api_key, **params)) == dataset(*expected)


def test_record_time_filters(
    live_system: LiveSystem, owner: RegisteredEnterprise, dataset: Dataset
) -> None:
    second = dataset.second_received_at
    assert _ids(_query(live_system, owner.api_key, GE_recordTime=second)) == dataset(3, 4)
    assert _ids(_query(live_system, owner.api_key, LT_recordTime=second)) == dataset(0, 1, 2)


def test_pages_follow_each_other_without_gaps(
    live_system: LiveSystem, owner: RegisteredEnterprise, dataset: Dataset
) -> None:
    pages: list[list[str]] = []
    params = {"perPage": "2", "MATCH_anyEPC": f"urn:epc:idpat:sgtin:{CP}.*.*"}
    while True:
        response = _query(live_system, owner.api_key, **params)
        pages.append(_ids(response))
        token = response.json()["nextPageToken"]
        if token is None:
            assert "link" not in response.headers
            break
        assert response.headers["link"].endswith('>; rel="next"')
        assert f"nextPageToken={token}" in response.headers["link"]
        params["nextPageToken"] = token
    assert pages == [dataset(0, 1), dataset(2, 3), dataset(4)]


def test_page_tokens_are_bound_to_their_query_and_tamper_evident(
    live_system: LiveSystem, owner: RegisteredEnterprise, dataset: Dataset
) -> None:
    token = _query(live_system, owner.api_key, perPage="1").json()["nextPageToken"]
    assert token is not None
    other_filter = _query(live_system, owner.api_key, perPage="1", EQ_action="ADD",
                          nextPageToken=token)
    assert other_filter.status_code == 400
    assert other_filter.json()["parameter"] == "nextPageToken"
    tampered = _query(live_system, owner.api_key, perPage="1",
                      nextPageToken=token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    assert tampered.status_code == 400
    assert tampered.json()["parameter"] == "nextPageToken"


def test_enterprises_see_only_their_own_records_and_staff_see_all(
    live_system: LiveSystem, owner: RegisteredEnterprise, stranger: RegisteredEnterprise,
    dataset: Dataset,
) -> None:
    everything = {"MATCH_anyEPC": f"urn:epc:idpat:sgtin:{CP}.*.*"}
    assert _ids(_query(live_system, stranger.api_key, **everything)) == []
    assert _ids(_query(live_system, live_system.regulator_token(), **everything)) == dataset(
        0, 1, 2, 3, 4)
    assert _ids(_query(live_system, live_system.admin_key, **everything)) == dataset(
        0, 1, 2, 3, 4)
    one = f"{live_system.api_url}/v1/events/{quote(dataset.ids[2], safe='')}"
    assert httpx.get(one, headers=live_system.auth(stranger.api_key)).status_code == 404
    assert httpx.get(one, headers=live_system.auth(live_system.regulator_token())).json()[
        "enterpriseId"] == owner.id
    assert httpx.get(one).status_code == 401
    assert httpx.get(f"{live_system.api_url}/v1/events").status_code == 401


def test_one_record_by_its_event_hash_id(
    live_system: LiveSystem, owner: RegisteredEnterprise, dataset: Dataset
) -> None:
    hash_id = dataset.ids[3]
    headers = live_system.auth(owner.api_key)
    record = httpx.get(f"{live_system.api_url}/v1/events/{quote(hash_id, safe='')}",
                       headers=headers).json()
    assert set(record) == {"eventHashId", "eventType", "enterpriseId", "submitter", "signature",
                           "receivedAt", "captureId", "leafIndex", "status", "anchor", "event"}
    assert (record["eventHashId"], record["eventType"], record["enterpriseId"],
            record["submitter"]) == (hash_id, "TransformationEvent", owner.id,
                                     owner.signing_address)
    assert record["receivedAt"] == dataset.second_received_at
    assert record["event"] == {"@context": CONTEXT, **EVENTS[3]}
    assert record["status"] in ("pending", "anchored")
    assert (record["anchor"] is None) == (record["status"] == "pending")
    # The raw spelling: `?ver=CBV2.0` arrives as a query string.
    raw = httpx.get(f"{live_system.api_url}/v1/events/{hash_id}", headers=headers)
    assert raw.status_code == 200 and raw.json()["leafIndex"] == record["leafIndex"]
    bare_hex = hash_id.split(";")[1][:64]
    assert httpx.get(f"{live_system.api_url}/v1/events/{bare_hex}",
                     headers=headers).json()["leafIndex"] == record["leafIndex"]
    unknown = httpx.get(f"{live_system.api_url}/v1/events/{'0' * 64}", headers=headers)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"


def test_records_become_anchored_with_their_anchor(
    live_system: LiveSystem, owner: RegisteredEnterprise, dataset: Dataset
) -> None:
    url = f"{live_system.api_url}/v1/events/{quote(dataset.ids[0], safe='')}"
    deadline = time.monotonic() + 90
    record = httpx.get(url, headers=live_system.auth(owner.api_key)).json()
    while record["status"] == "pending" and time.monotonic() < deadline:
        time.sleep(1)
        record = httpx.get(url, headers=live_system.auth(owner.api_key)).json()
    assert record["status"] == "anchored", "not anchored within 90 s"
    anchor = record["anchor"]
    assert anchor["treeSize"] > record["leafIndex"]
    assert anchor["chainId"] == live_system.chain_id
    assert anchor["contract"] == live_system.contract_address("TraceAnchor")
    assert anchor["transactionHash"].startswith("0x") and len(anchor["transactionHash"]) == 66


@pytest.mark.parametrize(("params", "parameter"), [
    ({"GE_eventTime": "yesterday"}, "GE_eventTime"),
    ({"perPage": "0"}, "perPage"),
    ({"EQ_action": "SHOUT"}, "EQ_action"),
    ({"MATCH_epc": "urn:*:x"}, "MATCH_epc"),
    ({"orderBy": "eventTime"}, "orderBy"),
    ({"nextPageToken": "not-a-token"}, "nextPageToken"),
])
def test_bad_parameters_are_400_naming_them(
    live_system: LiveSystem, owner: RegisteredEnterprise, params: dict[str, str],
    parameter: str,
) -> None:
    response = _query(live_system, owner.api_key, **params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["parameter"] == parameter
