"""EPCIS 2.0 REST binding limits and media types, on an in-process app with tiny limits
(3 events, 4 KiB) over the live system's databases and chain."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from testing.system import LiveSystem, RegisteredEnterprise
from tests.trace_api.capture.documents import document, shipping_event
from tests.trace_api.capture.kit import record_domain, signed

LIMITS = {"gs1-epcis-capture-limit": "3", "gs1-epcis-capture-file-size-limit": "4096"}


@pytest.fixture
def client(small_limits_client: TestClient) -> Iterator[TestClient]:
    yield small_limits_client


def _headers(live: LiveSystem, enterprise: RegisteredEnterprise,
             media: str = "application/json") -> dict[str, str]:
    return {**live.auth(enterprise.api_key), "Content-Type": media}


@pytest.mark.parametrize("method", ["OPTIONS", "HEAD"])
def test_discovery_advertises_limits_and_behaviours(client: TestClient, method: str) -> None:
    response = client.request(method, "/v1/capture")
    assert response.status_code == 204
    assert {name: response.headers[name] for name in LIMITS} == LIMITS
    assert response.headers["gs1-capture-error-behaviour"] == "all"
    assert response.headers["gs1-epcis-version"] == "2.0.0"


def test_more_events_than_the_capture_limit_is_413(
    client: TestClient, live_system: LiveSystem, farm: RegisteredEnterprise
) -> None:
    doc = document([shipping_event(serial) for serial in range(4)])
    response = client.post("/v1/capture", content=json.dumps(doc, separators=(",", ":")),
                           headers=_headers(live_system, farm))
    assert response.status_code == 413
    assert response.json()["type"] == "https://traceledger.dev/problems/capture-limit"
    assert (response.json()["eventCount"], response.json()["captureLimit"]) == (4, 3)
    assert {name: response.headers[name] for name in LIMITS} == LIMITS


def test_a_body_over_the_file_size_limit_is_413_before_parsing(
    client: TestClient, live_system: LiveSystem, farm: RegisteredEnterprise
) -> None:
    oversize = b"{" + b" " * 5000 + b"not even json"
    declared = client.post("/v1/capture", content=oversize, headers=_headers(live_system, farm))
    assert declared.status_code == 413
    assert declared.json()["type"] == "https://traceledger.dev/problems/capture-too-large"
    assert declared.json()["fileSizeLimit"] == 4096
    assert {name: declared.headers[name] for name in LIMITS} == LIMITS

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while reading
        for _ in range(10):
            yield b" " * 1000

    streamed = client.post("/v1/capture", content=chunks(), headers=_headers(live_system, farm))
    assert streamed.status_code == 413
    assert "content-length" not in {k.lower() for k in streamed.request.headers}
    # The body-limit middleware answers the capture's own problem, limits included.
    assert streamed.json()["type"] == "https://traceledger.dev/problems/capture-too-large"
    assert {name: streamed.headers[name] for name in LIMITS} == LIMITS


@pytest.mark.parametrize("media", ["text/plain", "application/xml", "multipart/form-data"])
def test_other_media_types_are_415(
    client: TestClient, live_system: LiveSystem, farm: RegisteredEnterprise, media: str
) -> None:
    doc = signed(document([shipping_event(1)]), farm, record_domain(live_system))
    response = client.post("/v1/capture", content=json.dumps(doc),
                           headers=_headers(live_system, farm, media))
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("body", [b"", b"[]", b"{", b'{"type": "EPCISDocument"}', b"null"])
def test_malformed_bodies_are_400_problems(
    client: TestClient, live_system: LiveSystem, farm: RegisteredEnterprise, body: bytes
) -> None:
    response = client.post("/v1/capture", content=body,
                           headers=_headers(live_system, farm, "application/ld+json"))
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"] == "https://traceledger.dev/problems/invalid-epcis"
    assert problem["errors"] and all("pointer" in error for error in problem["errors"])


def test_signatures_member_must_map_ids_to_hex(
    client: TestClient, live_system: LiveSystem, farm: RegisteredEnterprise
) -> None:
    doc = document([shipping_event(1)])
    doc["tl:signatures"] = {"ni:///sha-256;00?ver=CBV2.0": "0x1234"}
    response = client.post("/v1/capture", content=json.dumps(doc),
                           headers=_headers(live_system, farm))
    assert response.status_code == 400
    assert [e["pointer"] for e in response.json()["errors"]] == [
        "/tl:signatures/ni:~1~1~1sha-256;00?ver=CBV2.0"]
