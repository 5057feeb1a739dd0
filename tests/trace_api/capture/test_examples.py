"""The GS1 EPCIS 2.0 example documents are captured, and refused once made schema-invalid."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from anchoring.core.event_hash import event_hash_id
from testing.system import LiveSystem, RegisteredEnterprise
from tests.trace_api.capture.documents import CREATED_UNDER_4012345, NOBODY_SPEAKS_FOR
from tests.trace_api.capture.kit import (
    dev_enterprise,
    hash_ids,
    quoted,
    record_domain,
    signed,
)
from tests.trace_api.epcis.oracle import EPCIS_DATA, example_files, oracle_accepts


def _capture_documents() -> list[Path]:
    return [path for path in example_files("JSON/**/*.jsonld")
            if json.loads(path.read_bytes()).get("type") == "EPCISDocument"]


EXAMPLES = _capture_documents()


def _post(live: LiveSystem, enterprise: RegisteredEnterprise, doc: dict[str, Any],
          **headers: str) -> httpx.Response:
    return httpx.post(f"{live.api_url}/v1/capture", content=json.dumps(doc).encode(),
                      headers={**live.auth(enterprise.api_key),
                               "Content-Type": "application/ld+json", **headers}, timeout=60)


@pytest.fixture(scope="module")
def owner_of_4012345(live_system: LiveSystem) -> RegisteredEnterprise:
    return dev_enterprise(live_system, "enterprise2")


def _capturer(path: Path, farm: RegisteredEnterprise,
              owner_of_4012345: RegisteredEnterprise) -> RegisteredEnterprise:
    return owner_of_4012345 if path.name in CREATED_UNDER_4012345 else farm


def test_every_gs1_example_document_is_captured_signed_and_readable(
    live_system: LiveSystem, farm: RegisteredEnterprise, owner_of_4012345: RegisteredEnterprise
) -> None:
    assert len(EXAMPLES) >= 35, "the shared GS1 examples are missing"
    assert {path.name for path in EXAMPLES} >= CREATED_UNDER_4012345 | set(NOBODY_SPEAKS_FOR)
    domain = record_domain(live_system)
    seen: dict[tuple[str, str], int] = {}
    for path in EXAMPLES:
        if path.name in NOBODY_SPEAKS_FOR:
            continue
        enterprise = _capturer(path, farm, owner_of_4012345)
        doc = json.loads(path.read_bytes())
        expected_ids = hash_ids(doc)
        response = _post(live_system, enterprise, signed(doc, enterprise, domain))
        assert response.status_code == 202, (path.name, response.text)
        job = response.json()
        assert response.headers["location"] == f"/v1/capture/{job['captureID']}"
        assert response.headers["gs1-epcis-capture-limit"] == "10000"
        assert [event["eventHashId"] for event in job["events"]] == expected_ids
        for event in job["events"]:
            key = (enterprise.id, event["eventHashId"])
            # Identical events recur across example files: the second is a duplicate
            # pointing at the first record.
            if key in seen:
                assert (event["status"], event["leafIndex"]) == ("duplicate", seen[key])
            else:
                # The dev enterprise is shared by the session: another test may have
                # recorded the same example first (tests/trace_api/test_issue7_done.py).
                first_sight = {"accepted"} if enterprise is farm else {"accepted", "duplicate"}
                assert event["status"] in first_sight, (path.name, event)
                seen[key] = event["leafIndex"]
            assert event["recordStatus"] in ("pending", "anchored")
        assert (job["success"], job["running"], job["errors"]) == (True, False, [])
    assert {enterprise_id for enterprise_id, _ in seen} == {farm.id, owner_of_4012345.id}
    for (enterprise_id, hash_id), leaf_index in seen.items():
        enterprise = farm if enterprise_id == farm.id else owner_of_4012345
        record = httpx.get(f"{live_system.api_url}/v1/events/{quoted(hash_id)}",
                           headers=live_system.auth(enterprise.api_key), timeout=30).json()
        assert (record["eventHashId"], record["leafIndex"]) == (hash_id, leaf_index)
        assert record["submitter"] == enterprise.signing_address
        assert record["enterpriseId"] == enterprise.id
        # The stored body is standalone JSON-LD: it re-hashes to the same ID alone.
        assert event_hash_id(record["event"]) == hash_id


@pytest.mark.parametrize("name", sorted(NOBODY_SPEAKS_FOR))
def test_examples_no_one_enterprise_speaks_for_are_refused_as_not_your_record(
    live_system: LiveSystem, farm: RegisteredEnterprise, owner_of_4012345: RegisteredEnterprise,
    name: str
) -> None:
    doc = json.loads(next(path for path in EXAMPLES if path.name == name).read_bytes())
    for enterprise in (farm, owner_of_4012345):
        response = _post(live_system, enterprise, signed(doc, enterprise, record_domain(live_system)))
        assert response.status_code == 403, (name, response.text)
        problem = response.json()
        assert problem["type"] == "https://traceledger.dev/problems/not-your-record"
        assert [error["eventIndex"] for error in problem["errors"]] == [0]
    index, pointer = NOBODY_SPEAKS_FOR[name]
    farm_problem = _post(live_system, farm, signed(doc, farm, record_domain(live_system))).json()
    assert [(e["eventIndex"], e["pointer"]) for e in farm_problem["errors"]] == [(index, pointer)]


def test_custodial_enterprise_captures_examples_unsigned(
    live_system: LiveSystem, processor: RegisteredEnterprise
) -> None:
    for path in EXAMPLES[:5]:
        doc = json.loads(path.read_bytes())
        response = _post(live_system, processor, doc)
        assert response.status_code == 202, response.text
        statuses = {event["status"] for event in response.json()["events"]}
        assert statuses <= {"accepted", "duplicate"} and "accepted" in statuses
        for hash_id in hash_ids(doc):
            record = httpx.get(f"{live_system.api_url}/v1/events/{quoted(hash_id)}",
                               headers=live_system.auth(processor.api_key), timeout=30).json()
            assert record["submitter"] == processor.signing_address


# (mutation of event 1, expected pointer)
MUTATIONS: list[tuple[str, Any, str]] = [
    ("drop eventTime", lambda e: e.pop("eventTime"), "/epcisBody/eventList/1/eventTime"),
    ("bad action", lambda e: e.__setitem__("action", "SHOUT"), "/epcisBody/eventList/1/action"),
    ("bad eventTime", lambda e: e.__setitem__("eventTime", "yesterday"),
     "/epcisBody/eventList/1/eventTime"),
    ("non-namespaced member", lambda e: e.__setitem__("colour", "red"),
     "/epcisBody/eventList/1/colour"),
    ("epcList not a list", lambda e: e.__setitem__("epcList", "urn:epc:id:sgtin:0614141.107346.1"),
     "/epcisBody/eventList/1/epcList"),
]


@pytest.mark.parametrize(("name", "mutate", "pointer"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_schema_invalid_mutations_are_refused_naming_index_and_pointer(
    live_system: LiveSystem, farm: RegisteredEnterprise, name: str, mutate: Any, pointer: str
) -> None:
    doc = json.loads((EPCIS_DATA / "JSON/Example_9.6.1-ObjectEvent.jsonld").read_bytes())
    # A serial never captured before, so "nothing stored" is observable for event 0.
    doc["epcisBody"]["eventList"][0]["epcList"] = [f"urn:epc:id:sgtin:0614141.107346.{uuid.uuid4().int % 10**12}"]
    valid_id = hash_ids(doc)[0]
    mutate(doc["epcisBody"]["eventList"][1])
    assert not oracle_accepts(doc), "the official schema must refuse the mutation too"
    response = _post(live_system, farm, signed_valid_part(doc, farm, live_system))
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "https://traceledger.dev/problems/invalid-epcis"
    assert [(error["eventIndex"], error["pointer"]) for error in problem["errors"]] == [(1, pointer)]
    stored = httpx.get(f"{live_system.api_url}/v1/events/{quoted(valid_id)}",
                       headers=live_system.auth(farm.api_key), timeout=30)
    assert stored.status_code == 404


def signed_valid_part(doc: dict[str, Any], farm: RegisteredEnterprise,
                      live: LiveSystem) -> dict[str, Any]:
    """`doc` with a signature for event 0 (event 1 is invalid and cannot be hashed)."""
    first = {**doc, "epcisBody": {"eventList": doc["epcisBody"]["eventList"][:1]}}
    return {**doc, "tl:signatures": signed(first, farm, record_domain(live))["tl:signatures"]}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_each_example_with_its_last_event_broken_is_refused_whole(
    live_system: LiveSystem, farm: RegisteredEnterprise, owner_of_4012345: RegisteredEnterprise,
    path: Path
) -> None:
    enterprise = _capturer(path, farm, owner_of_4012345)
    doc = signed(json.loads(path.read_bytes()), enterprise, record_domain(live_system))
    events = doc["epcisBody"]["eventList"]
    last = len(events) - 1
    del events[last]["eventTime"]
    assert not oracle_accepts({k: v for k, v in doc.items() if k != "tl:signatures"})
    response = _post(live_system, enterprise, doc)
    assert response.status_code == 400, response.text
    assert [(e["eventIndex"], e["pointer"]) for e in response.json()["errors"]] == [
        (last, f"/epcisBody/eventList/{last}/eventTime")]
