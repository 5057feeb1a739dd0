"""`eth_call` through `/v1/chain/rpc` (issue 13): only the deployment's contracts, only the
view functions a consumer's verification reads, with the gas capped.

Answers from the real node come from the live system; what the proxy forwards is seen by a
recording stand-in node on loopback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_utils.abi import function_signature_to_4byte_selector
from fastapi.testclient import TestClient

from testing.loopback_http import PeerRequest, serve_json
from testing.system import LiveSystem
from trace_api import chain_proxy
from trace_api.app import create_app
from trace_api.chain_proxy import (
    ALLOWED_SELECTORS,
    CALL_GAS_CAP,
    INVALID_PARAMS,
    MAX_CALL_DATA_BYTES,
    METHOD_NOT_ALLOWED,
)

SCAN_PAGE = Path(__file__).resolve().parents[2] / "scanner_app"


def selector(signature: str) -> str:
    return "0x" + function_signature_to_4byte_selector(signature).hex()


def call(to: str, data: str, *extra: Any, request_id: int = 1, **fields: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "eth_call",
            "params": [{"to": to, "data": data, **fields}, "latest", *extra]}


def _post(live: LiveSystem, payload: Any) -> Any:
    response = httpx.post(f"{live.api_url}/v1/chain/rpc", json=payload, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_every_call_the_scan_page_makes_is_allowed() -> None:
    """Every function the page reads (scanner_app/chain_reads.js FUNCTIONS, whose selectors
    it computes from these signatures) is one the proxy lets through."""
    source = (SCAN_PAGE / "chain_reads.js").read_text(encoding="utf-8")
    table = re.search(r"const FUNCTIONS = \[(.*?)\];", source, re.DOTALL)
    assert table is not None
    signatures = re.findall(r'"([A-Za-z]+\([a-z0-9,]*\))"', table.group(1))
    assert len(signatures) >= 3
    allowed = {signature for table in ALLOWED_SELECTORS.values() for signature in table.values()}
    for signature in signatures:
        assert signature in allowed, signature
        assert any(table.get(selector(signature)) == signature for table in ALLOWED_SELECTORS.values())
    # Every other page script that calls contracts uses those selectors.
    for script in SCAN_PAGE.glob("*.js"):
        text = script.read_text(encoding="utf-8")
        if script.name != "chain_reads.js" and "eth_call" in text:
            assert "SELECTORS[" in text, script.name


def test_allowed_calls_reach_the_node(live_system: LiveSystem) -> None:
    anchor = live_system.contract_address("TraceAnchor")
    answer = _post(live_system, call(anchor, selector("headCount()")))
    assert re.fullmatch(r"0x[0-9a-f]{64}", answer["result"])
    registry = live_system.contract_address("MemberRegistry")
    member = live_system.dev_keys["enterprise1"]["address"]
    data = selector("isMember(address)") + member[2:].lower().rjust(64, "0")
    assert int(_post(live_system, call(registry, data))["result"], 16) == 1


def test_proxy_refuses_call_to_foreign_contract(live_system: LiveSystem) -> None:
    stranger = "0x" + "42" * 20
    answer = _post(live_system, call(stranger, selector("headCount()")))
    assert answer["error"]["code"] == INVALID_PARAMS
    assert "deployment's contracts" in answer["error"]["message"]
    # Precompiles are contracts of no deployment (BLAKE2F is 0x09).
    blake2f = _post(live_system, call("0x" + "00" * 19 + "09", "0x" + "ff" * 213))
    assert blake2f["error"]["code"] == INVALID_PARAMS
    no_target = _post(live_system, {"jsonrpc": "2.0", "id": 3, "method": "eth_call",
                                    "params": [{"data": selector("headCount()")}, "latest"]})
    assert no_target["error"]["code"] == INVALID_PARAMS


def test_proxy_refuses_unlisted_selector(live_system: LiveSystem) -> None:
    anchor = live_system.contract_address("TraceAnchor")
    registry = live_system.contract_address("MemberRegistry")
    for to, signature in ((anchor, "anchor(uint64,bytes32,bytes32[])"),
                          (anchor, "verifyInclusion(bytes32,uint64,uint64,bytes32[])"),
                          (registry, "proposal(uint256)"),
                          (anchor, "rootAtSize(uint256)")):  # a look-alike signature
        answer = _post(live_system, call(to, selector(signature) + "00" * 32))
        assert answer["error"]["code"] == METHOD_NOT_ALLOWED, signature
        assert "not allowed" in answer["error"]["message"]
    # A function allowed on one contract is not allowed on another.
    answer = _post(live_system, call(registry, selector("headCount()")))
    assert answer["error"]["code"] == METHOD_NOT_ALLOWED


def test_malformed_calls_are_invalid_params(live_system: LiveSystem) -> None:
    anchor = live_system.contract_address("TraceAnchor")
    head_count = selector("headCount()")
    override = {anchor: {"code": "0x00"}}
    for payload in (
        call(anchor, head_count, override),                       # state override
        call(anchor, head_count, value="0x1"),                    # unknown member
        call(anchor, "0x12"),                                     # no selector
        call(anchor, head_count + "zz"),                          # not hex
        call(anchor, head_count + "00" * MAX_CALL_DATA_BYTES),    # too long
        call(anchor, head_count, gas="lots"),
        call(anchor, head_count, input=selector("headAt(uint256)")),  # data != input
        {"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": "x"},
    ):
        answer = _post(live_system, payload)
        assert answer["error"]["code"] == INVALID_PARAMS, payload


def test_refusals_in_a_batch_leave_the_other_requests_answered(live_system: LiveSystem) -> None:
    anchor = live_system.contract_address("TraceAnchor")
    answers = _post(live_system, [call(anchor, selector("headCount()"), request_id=1),
                                  call("0x" + "42" * 20, selector("headCount()"), request_id=2),
                                  call(anchor, selector("witnessCount()"), request_id=3)])
    assert [answer["id"] for answer in answers] == [1, 2, 3]
    assert "result" in answers[0]
    assert [answers[1]["error"]["code"], answers[2]["error"]["code"]] == [INVALID_PARAMS,
                                                                          METHOD_NOT_ALLOWED]


def test_proxy_takes_only_json_and_shallow_bodies(live_system: LiveSystem) -> None:
    url = f"{live_system.api_url}/v1/chain/rpc"
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
    text = httpx.post(url, content=body, headers={"content-type": "text/plain"}, timeout=30)
    assert text.status_code == 415
    assert text.headers["content-type"] == "application/problem+json"
    probe = httpx.post(url, content=b"[" * 100_000 + b"]" * 100_000,
                       headers={"content-type": "application/json"}, timeout=30)
    assert probe.status_code == 413  # over the proxy's 64 KiB before its depth matters
    assert probe.json()["limit"] == 64 * 1024
    nested = httpx.post(url, content=b"[" * 1_000 + b"]" * 1_000,
                        headers={"content-type": "application/json"}, timeout=30)
    assert nested.status_code == 400
    assert nested.json()["type"] == "https://traceledger.dev/problems/json-too-deep"


@pytest.fixture
def recording_node() -> Iterator[tuple[str, list[Any]]]:
    """A stand-in node on loopback answering every request with result 0x and recording it."""
    received: list[Any] = []

    def answer(request: PeerRequest) -> tuple[int, bytes]:
        payload = json.loads(request.body)
        received.append(payload)
        items = payload if isinstance(payload, list) else [payload]
        answers = [{"jsonrpc": "2.0", "id": item.get("id"), "result": "0x"} for item in items]
        return 200, json.dumps(answers if isinstance(payload, list) else answers[0]).encode()

    with serve_json(answer) as url:
        yield url, received


def test_gas_cap_is_forced_into_every_forwarded_call(
    live_system: LiveSystem, recording_node: tuple[str, list[Any]]
) -> None:
    node_url, received = recording_node
    anchor = live_system.contract_address("TraceAnchor").lower()
    data = selector("headAt(uint256)") + "00" * 32
    with TestClient(create_app(live_system.settings(rpc_url=node_url))) as client:
        for request_id, extra in enumerate(({}, {"gas": hex(10**12)}, {"gas": "0x5208"},
                                            {"from": "0x" + "11" * 20, "input": data})):
            answer = client.post("/v1/chain/rpc", json=call(anchor, data, request_id=request_id,
                                                            **extra))
            assert answer.json() == {"jsonrpc": "2.0", "id": request_id, "result": "0x"}
    forwarded = [request["params"][0] for request in received]
    assert [item["gas"] for item in forwarded] == [hex(CALL_GAS_CAP), hex(CALL_GAS_CAP),
                                                  "0x5208", hex(CALL_GAS_CAP)]
    assert all(set(item) <= {"to", "data", "gas", "from"} for item in forwarded)
    assert forwarded[3]["from"] == "0x" + "11" * 20 and forwarded[3]["data"] == data


def test_an_oversized_node_answer_is_not_relayed(
    live_system: LiveSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proxy reads a node's answer only up to MAX_RESPONSE_BYTES (it used to read any
    size whole); beyond that it is a 502, as a node that does not answer."""
    monkeypatch.setattr(chain_proxy, "MAX_RESPONSE_BYTES", 1024)

    def answer(request: PeerRequest) -> tuple[int, bytes]:
        item = json.loads(request.body)
        return 200, json.dumps({"jsonrpc": "2.0", "id": item["id"],
                                "result": "0x" + "00" * 4096}).encode()

    with serve_json(answer) as node_url, \
            TestClient(create_app(live_system.settings(rpc_url=node_url))) as client:
        response = client.post("/v1/chain/rpc", json={"jsonrpc": "2.0", "id": 1,
                                                      "method": "eth_chainId", "params": []})
    assert response.status_code == 502
    assert response.json()["type"].endswith("/node-unavailable")
