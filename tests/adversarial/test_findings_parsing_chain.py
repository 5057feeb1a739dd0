"""Regression tests for issue 13's findings on parsing, body sizes and the chain, each
end to end against the running system and named after its finding."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
from eth_account import Account

from tests.adversarial import catalogue
from tests.adversarial.answers import api_answer_faults, rpc_answer_faults, rpc_payload_faults
from tests.adversarial.rpc_client import WsProbe, post
from tests.adversarial.system import PROBE_TIMEOUT_S, HostileSystem
from tests.adversarial.wire import WireResponse, exchange

HEAVY_CALL_ANSWER_S = 15.0
"""How long a refused or cut-off BLAKE2F call may take to answer. The node's own wall-clock
limit for eth_call is its choice; "seconds to minutes" was the finding."""
STALL_WATCH_START_S = 0.5
"""Let the heavy call reach the node before checking that everything else still runs."""
AN_OUTSIDER = "0x00000000000000000000000000000000deadbeef"


def test_unauthenticated_deeply_nested_body_does_not_crash_api(system: HostileSystem) -> None:
    for path in ("/v1/verify", "/v1/products"):
        for name, body in (("array", catalogue.deep_array()), ("object", catalogue.deep_object()),
                           ("member", catalogue.wrapped("event", catalogue.deep_array()))):
            response = exchange(system.api_port, "POST", path, body=body,
                                headers={"Content-Type": "application/json"},
                                timeout_s=PROBE_TIMEOUT_S)
            assert response.status in (400, 401), (path, name, response.describe())
            assert api_answer_faults(response, method="POST") == [], (path, name)
            system.verify_alive(f"a {name} nested 100,000 deep to {path}", sealing=False)
    system.verify_alive("the deeply nested bodies")


def test_deeply_nested_body_does_not_crash_node(system: HostileSystem) -> None:
    with WsProbe(system.rpc_port) as ws:
        for name, body in (("array", catalogue.deep_array()),
                           ("params", catalogue.rpc_request("eth_call", b"[" + catalogue.deep_array() + b"]"))):
            response = post(system.rpc_port, body)
            assert rpc_answer_faults(response) == [], (name, response.describe())
            assert b'"error"' in response.body or response.status != 200, response.describe()
            answer = ws.send(body)
            assert answer.faults() == [], (name, answer)
            assert answer.close_code is not None or "error" in answer.reply, answer
            system.verify_alive(f"a body nested 100,000 deep ({name})", sealing=False)
    system.verify_alive("the deeply nested node bodies")


def _blake2f_call(request_id: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "eth_call", "params": [
        {"to": catalogue.BLAKE2F_ADDRESS, "data": catalogue.blake2f_input(),
         "gas": hex(1_000_000_000)}, "latest"]}


def _in_background(target: Any) -> tuple[threading.Thread, list[Any]]:
    results: list[Any] = []
    thread = threading.Thread(target=lambda: results.append(target()), daemon=True)
    thread.start()
    return thread, results


def test_blake2f_call_through_proxy_does_not_stall_chain(system: HostileSystem) -> None:
    """The call through `/v1/chain/rpc` and straight to the node: while each is in
    flight the node answers and seals; each gets a prompt, well-formed answer."""
    body = json.dumps(_blake2f_call()).encode()
    targets = {
        "proxy": lambda: exchange(system.api_port, "POST", "/v1/chain/rpc", body=body,
                                  headers={"Content-Type": "application/json"},
                                  timeout_s=HEAVY_CALL_ANSWER_S * 4),
        "node": lambda: post(system.rpc_port, body),
    }
    for via, send in targets.items():
        thread, results = _in_background(send)
        thread.join(STALL_WATCH_START_S)
        system.verify_alive(f"a BLAKE2F eth_call with 2^32-1 rounds via the {via}, in flight")
        thread.join(HEAVY_CALL_ANSWER_S)
        assert not thread.is_alive(), f"the BLAKE2F call via the {via} still runs after " \
                                      f"{HEAVY_CALL_ANSWER_S} s"
        response: WireResponse = results[0]
        assert rpc_answer_faults(response) == [], (via, response.describe())
        if via == "proxy":
            # Not a contract of the deployment: the proxy refuses it without asking the node.
            assert b'"error"' in response.body or response.status in (400, 403), \
                response.describe()
        system.verify_alive(f"a BLAKE2F eth_call via the {via}")


def test_heavy_member_transaction_does_not_stall_chain(system: HostileSystem) -> None:
    """A member's free transaction of a billion BLAKE2F rounds (gas price 0, the block gas
    limit): refused at admission or bounded, and the chain keeps sealing."""
    member = Account.from_key(system.live.dev_keys["enterprise1"]["privateKey"])
    chain_id = system.live.chain_id

    def send(transaction: dict[str, Any]) -> Any:
        nonce = int(system.rpc("eth_getTransactionCount", [member.address, "pending"]), 16)
        signed = member.sign_transaction({**transaction, "nonce": nonce, "chainId": chain_id,
                                          "gasPrice": 0})
        return httpx.post(system.live.rpc_url, timeout=PROBE_TIMEOUT_S, json={
            "jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction",
            "params": ["0x" + bytes(signed.raw_transaction).hex()]}).json()

    # Positive control: enterprise1 is a member, so its cheap transfer is admitted.
    admitted = send({"to": member.address, "value": 0, "gas": 21_000})
    assert "result" in admitted, admitted
    heavy = send({"to": catalogue.BLAKE2F_ADDRESS, "value": 0, "gas": 1_000_000_000,
                  "data": catalogue.blake2f_input()})
    assert rpc_payload_faults(heavy) == [], heavy
    for period in range(3):  # the block that would hold it, and the next ones
        system.verify_alive(f"a member's BLAKE2F transaction of 1e9 gas (check {period + 1})")


def test_clique_propose_refused_on_public_rpc_even_as_text_plain(system: HostileSystem) -> None:
    """Voting out the only signer (a halt) or voting in an outsider, as a web page on the
    host could: JSON, text/plain, foreign Origin, WebSocket. None is accepted; the signer
    set is unchanged and the chain keeps sealing."""
    signers_before = system.rpc("clique_getSigners")
    only_signer = signers_before[0]
    votes = [("clique_propose", [only_signer, False]), ("clique_propose", [AN_OUTSIDER, True]),
             ("clique_discard", [AN_OUTSIDER])]
    with WsProbe(system.rpc_port) as ws:
        for method, params in votes:
            body = json.dumps({"jsonrpc": "2.0", "id": 7, "method": method,
                               "params": params}).encode()
            answer = post(system.rpc_port, body).json()
            assert answer.get("error", {}).get("code") == -32601, (method, answer)
            for headers in ({"Content-Type": "text/plain"},
                            {"Content-Type": "text/plain;charset=UTF-8",
                             "Origin": "http://evil.example"}):
                refused = post(system.rpc_port, body, headers)
                assert refused.status is not None, refused.describe()
                assert b'"result"' not in refused.body, (method, headers, refused.describe())
            over_ws = ws.send(body)
            assert over_ws.close_code is not None or \
                over_ws.reply.get("error", {}).get("code") == -32601, (method, over_ws)
    for check in range(3):  # votes would be cast in the next blocks
        system.verify_alive(f"signer votes on the public RPC (check {check + 1})")
    assert system.rpc("clique_getSigners") == signers_before


def test_chunked_body_cannot_bypass_size_limit(system: HostileSystem) -> None:
    """Streamed without Content-Length, past each limit: 413 from the API and the node."""
    enterprise1 = {"Authorization": f"Bearer {system.dev_enterprise('enterprise1')['apiKey']}"}
    cases = [
        ("/v1/verify", {}, catalogue.CHUNKED_OVERSIZE),
        ("/v1/chain/rpc", {}, catalogue.CHUNKED_OVERSIZE),
        ("/v1/products", enterprise1, catalogue.CHUNKED_OVERSIZE),
        ("/v1/capture", enterprise1, catalogue.CAPTURE_BODY_LIMIT + catalogue.OVERSIZE_MARGIN),
    ]
    for path, headers, size in cases:
        response = exchange(system.api_port, "POST", path,
                            headers={**headers, "Content-Type": "application/json"},
                            chunks=catalogue.oversize_stream(size), timeout_s=PROBE_TIMEOUT_S)
        assert response.status == 413, (path, response.describe())
        assert api_answer_faults(response, method="POST") == [], path
        system.verify_alive(f"{size} bytes streamed to {path}", sealing=False)
    node = exchange(system.rpc_port, "POST", "/", headers={"Content-Type": "application/json"},
                    chunks=catalogue.oversize_stream(catalogue.CHUNKED_OVERSIZE),
                    timeout_s=PROBE_TIMEOUT_S)
    assert node.status == 413, node.describe()
    system.verify_alive("chunked oversize bodies")
