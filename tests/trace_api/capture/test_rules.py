"""Capture rules end to end: rollback vs proceed, duplicates, signatures, suspension, jobs."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from anchoring.core.event_hash import event_hash_id
from testing.system import LiveSystem, RegisteredEnterprise
from tests.trace_api.capture.documents import CONTEXT, document, shipping_event
from tests.trace_api.capture.kit import hash_ids, quoted, record_domain, signed


def _serials(count: int) -> list[int]:
    base = uuid.uuid4().int % 10**9 * 1000
    return [base + n for n in range(count)]


def _post(live: LiveSystem, enterprise: RegisteredEnterprise, doc: dict[str, Any],
          **headers: str) -> httpx.Response:
    return httpx.post(f"{live.api_url}/v1/capture", content=json.dumps(doc).encode(),
                      headers={**live.auth(enterprise.api_key),
                               "Content-Type": "application/json", **headers}, timeout=60)


def _record(live: LiveSystem, enterprise: RegisteredEnterprise, hash_id: str) -> httpx.Response:
    return httpx.get(f"{live.api_url}/v1/events/{quoted(hash_id)}",
                     headers=live.auth(enterprise.api_key), timeout=30)


def _three_with_invalid_middle() -> dict[str, Any]:
    events = [shipping_event(serial) for serial in _serials(3)]
    events[1]["action"] = "SHOUT"
    return document(events)


def _signed_with_invalid_middle(
    live_system: LiveSystem, farm: RegisteredEnterprise
) -> tuple[dict, list[str]]:
    """Three events, the middle one schema-invalid; the two valid ones signed by `farm`.
    Returns the document and the Event Hash IDs of the valid events."""
    doc = _three_with_invalid_middle()
    valid = [event_hash_id(doc["epcisBody"]["eventList"][i], context=CONTEXT) for i in (0, 2)]
    signatures = signed(_only(doc, [0, 2]), farm, record_domain(live_system))["tl:signatures"]
    return {**doc, "tl:signatures": signatures}, valid


def test_rollback_refuses_the_whole_document_for_one_invalid_event(
    live_system: LiveSystem, farm: RegisteredEnterprise
) -> None:
    doc, valid = _signed_with_invalid_middle(live_system, farm)
    response = _post(live_system, farm, doc, **{"GS1-Capture-Error-Behaviour": "rollback"})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["eventIndex"], e["pointer"]) for e in errors] == [(1, "/epcisBody/eventList/1/action")]
    assert [_record(live_system, farm, hash_id).status_code for hash_id in valid] == [404, 404]


def test_proceed_records_the_valid_events_and_reports_the_invalid_one(
    live_system: LiveSystem, farm: RegisteredEnterprise
) -> None:
    doc, valid = _signed_with_invalid_middle(live_system, farm)
    response = _post(live_system, farm, doc, **{"GS1-Capture-Error-Behaviour": "proceed"})
    assert response.status_code == 202, response.text
    job = response.json()
    assert [(e["index"], e["status"], e["eventHashId"]) for e in job["events"]] == [
        (0, "accepted", valid[0]), (1, "rejected", None), (2, "accepted", valid[1])]
    assert job["events"][1]["pointer"] == "/epcisBody/eventList/1/action"
    assert (job["success"], job["captureErrorBehaviour"], job["accepted"], job["rejected"]) == (
        False, "proceed", 2, 1)
    assert [e["eventIndex"] for e in job["errors"]] == [1]
    leaves = [e["leafIndex"] for e in job["events"] if e["status"] == "accepted"]
    assert leaves[1] == leaves[0] + 1
    for hash_id, leaf in zip(valid, leaves, strict=True):
        record = _record(live_system, farm, hash_id).json()
        assert (record["leafIndex"], record["captureId"]) == (leaf, job["captureID"])
    again = httpx.get(f"{live_system.api_url}{response.headers['location']}",
                      headers=live_system.auth(farm.api_key), timeout=30)
    assert again.status_code == 200
    assert again.json()["events"] == job["events"]


def test_an_unknown_error_behaviour_is_a_400(
    live_system: LiveSystem, farm: RegisteredEnterprise
) -> None:
    doc = signed(document([shipping_event(_serials(1)[0])]), farm, record_domain(live_system))
    response = _post(live_system, farm, doc, **{"GS1-Capture-Error-Behaviour": "all"})
    assert response.status_code == 400
    assert response.json()["type"] == "https://traceledger.dev/problems/invalid-capture-behaviour"


def test_the_same_event_is_recorded_once_per_enterprise(
    live_system: LiveSystem, farm: RegisteredEnterprise, processor: RegisteredEnterprise
) -> None:
    serial = _serials(1)[0]
    events = [shipping_event(serial), shipping_event(serial + 1), shipping_event(serial)]
    doc = signed(document(events), farm, record_domain(live_system))
    first = _post(live_system, farm, doc).json()["events"]
    assert [e["status"] for e in first] == ["accepted", "accepted", "duplicate"]
    assert first[2]["leafIndex"] == first[0]["leafIndex"]
    assert first[2]["eventHashId"] == first[0]["eventHashId"]
    second = _post(live_system, farm, doc).json()
    assert [(e["status"], e["leafIndex"]) for e in second["events"]] == [
        ("duplicate", first[0]["leafIndex"]), ("duplicate", first[1]["leafIndex"]),
        ("duplicate", first[0]["leafIndex"])]
    assert (second["success"], second["accepted"], second["duplicates"]) == (True, 0, 3)
    # Another enterprise recording the same event gets its own record.
    other = _post(live_system, processor, document(events[:1])).json()["events"]
    assert other[0]["status"] == "accepted"
    assert other[0]["eventHashId"] == first[0]["eventHashId"]
    assert other[0]["leafIndex"] != first[0]["leafIndex"]


def test_a_document_without_signatures_is_refused_for_self_custody(
    live_system: LiveSystem, farm: RegisteredEnterprise
) -> None:
    doc = document([shipping_event(serial) for serial in _serials(2)])
    response = _post(live_system, farm, doc)
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"] == "https://traceledger.dev/problems/invalid-signature"
    assert [(e["eventIndex"], e["pointer"]) for e in problem["errors"]] == [
        (0, "/tl:signatures"), (1, "/tl:signatures")]
    assert problem["errors"][0]["message"] == f"no signature for {hash_ids(doc)[0]} in tl:signatures"


@pytest.mark.parametrize("wrong", ["key", "chain id", "contract"])
def test_a_wrong_signature_is_refused(
    live_system: LiveSystem, farm: RegisteredEnterprise, wrong: str
) -> None:
    doc = document([shipping_event(serial) for serial in _serials(2)])
    domain = record_domain(live_system)
    key = None
    if wrong == "key":
        key = bytes.fromhex("42" * 32)
    elif wrong == "chain id":
        domain = record_domain(live_system, chain_id=live_system.chain_id + 1)
    else:
        from anchoring.core.record_signature import RecordDomain
        domain = RecordDomain(live_system.chain_id, "0x" + "99" * 20)
    bad = signed(document(doc["epcisBody"]["eventList"][1:]), farm, domain, key=key)
    good = signed(document(doc["epcisBody"]["eventList"][:1]), farm, record_domain(live_system))
    doc["tl:signatures"] = {**good["tl:signatures"], **bad["tl:signatures"]}
    bad_id = hash_ids(doc)[1]
    response = _post(live_system, farm, doc)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["eventIndex"], e["pointer"]) for e in errors] == [
        (1, "/tl:signatures/" + bad_id.replace("~", "~0").replace("/", "~1"))]
    assert f"not the enterprise's signing address {farm.signing_address}" in errors[0]["message"]
    assert _record(live_system, farm, hash_ids(doc)[0]).status_code == 404
    proceed = _post(live_system, farm, doc, **{"GS1-Capture-Error-Behaviour": "proceed"}).json()
    assert [e["status"] for e in proceed["events"]] == ["accepted", "rejected"]


def test_a_suspended_enterprise_cannot_capture(live_system: LiveSystem) -> None:
    shop = live_system.enterprise(name="Suspended Shop", custody="self")
    doc = signed(document([shipping_event(_serials(1)[0])]), shop, record_domain(live_system))
    suspended = httpx.post(f"{live_system.api_url}/v1/enterprises/{shop.id}/suspension",
                           json={"reason": "licence withdrawn"},
                           headers=live_system.auth(live_system.regulator_token()), timeout=60)
    assert suspended.status_code == 200, suspended.text
    response = _post(live_system, shop, doc)
    assert response.status_code == 403
    assert response.json()["type"] == "https://traceledger.dev/problems/enterprise-suspended"
    assert _record(live_system, shop, hash_ids(doc)[0]).status_code == 404


def test_capture_jobs_are_visible_to_their_enterprise_and_staff_only(
    live_system: LiveSystem, farm: RegisteredEnterprise, processor: RegisteredEnterprise
) -> None:
    doc = signed(document([shipping_event(_serials(1)[0])]), farm, record_domain(live_system))
    location = _post(live_system, farm, doc).headers["location"]
    url = f"{live_system.api_url}{location}"
    assert httpx.get(url, headers=live_system.auth(processor.api_key)).status_code == 404
    assert httpx.get(url).status_code == 401
    staff = httpx.get(url, headers=live_system.auth(live_system.regulator_token()))
    assert staff.status_code == 200
    assert staff.json()["enterpriseId"] == farm.id
    assert httpx.get(f"{live_system.api_url}/v1/capture/nope",
                     headers=live_system.auth(farm.api_key)).status_code == 404


def test_only_enterprises_capture(live_system: LiveSystem) -> None:
    doc = document([shipping_event(_serials(1)[0])])
    url = f"{live_system.api_url}/v1/capture"
    assert httpx.post(url, json=doc).status_code == 401
    assert httpx.post(url, json=doc, headers=live_system.admin_headers).status_code == 403


def _only(doc: dict[str, Any], indexes: list[int]) -> dict[str, Any]:
    events = doc["epcisBody"]["eventList"]
    return {**doc, "epcisBody": {"eventList": [events[i] for i in indexes]}}


def test_a_large_signed_document_is_captured_through_the_worker_pool(
    live_system: LiveSystem, farm: RegisteredEnterprise
) -> None:
    # Above INLINE_MAX_EVENTS, so the API process's signature pool does the work.
    events = [shipping_event(serial) for serial in _serials(300)]
    events[150]["action"] = "SHOUT"
    doc = signed(document(events[:150] + events[151:]), farm, record_domain(live_system))
    doc["epcisBody"]["eventList"].insert(150, events[150])
    response = _post(live_system, farm, doc, **{"GS1-Capture-Error-Behaviour": "proceed"})
    assert response.status_code == 202, response.text
    job = response.json()
    assert [e["index"] for e in job["events"]] == list(range(300))
    assert [e["index"] for e in job["events"] if e["status"] != "accepted"] == [150]
    assert job["events"][150]["pointer"] == "/epcisBody/eventList/150/action"
    leaves = [e["leafIndex"] for e in job["events"] if e["status"] == "accepted"]
    assert leaves == list(range(leaves[0], leaves[0] + 299))
