"""Proof bundles, anchors and the read-only chain proxy against a real running system.

One `traceledger up --dev` per backend (SQLite, PostgreSQL) for the whole module; records
are written as capture writes them, then taken to the chain by the system's own
sequencer, anchorer and indexer. Every expected value is read from the chain or
recomputed from first principles, never from the code under test.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import httpx
import pytest
from eth_abi import encode

from anchoring.anchor_contract import connect, read_heads, trace_anchor
from anchoring.core import (
    NoteVerifier,
    decode_entry,
    event_hash_id,
    open_checkpoint,
    verify_inclusion,
)
from anchoring.core.keccak import keccak256
from anchoring.keys import read_verifier_key
from tests.trace_api.proofs.support import World, object_event, rpc
from trace_api.anchors import anchors_for
from trace_api.proofs.service import build_bundle

EVENTS = [object_event(serial, minute=serial) for serial in range(1001, 1006)]


@pytest.fixture(scope="module")
def anchored(world: World) -> list[int]:
    """Leaf indexes of EVENTS, recorded and anchored."""
    return world.record_anchored(EVENTS)


def _chain_heads(world: World) -> list[Any]:
    return read_heads(trace_anchor(connect(world.system.rpc_url), world.trace_anchor))


def test_anchor_of_a_leaf_is_the_first_head_covering_it(world: World, anchored: list[int]) -> None:
    heads = _chain_heads(world)
    anchors = anchors_for(world.ctx, [*anchored, 10**9])
    assert anchors[10**9] is None  # beyond every anchored head: pending
    for leaf in anchored:
        expected = next(head for head in heads if head.tree_size > leaf)
        anchor = anchors[leaf]
        assert anchor is not None
        assert (anchor.head_index, anchor.tree_size, anchor.root_hash, anchor.block_number) == (
            expected.head_index, expected.tree_size, "0x" + expected.root_hash.hex(),
            expected.block_number,
        )
        block = rpc(world.system.rpc_url, "eth_getBlockByNumber", [hex(anchor.block_number), False])
        assert anchor.block_time == int(block["timestamp"], 16) == expected.block_time
        assert anchor.block_hash == block["hash"]
        # The dev system's one witness, once it has witnessed the head (a second or so).
        assert {a.lower() for a in anchor.witnessed_by} <= {world.system.dev_keys["witness"]["address"].lower()}
        receipt = rpc(world.system.rpc_url, "eth_getTransactionReceipt", [anchor.transaction_hash])
        assert int(receipt["blockNumber"], 16) == anchor.block_number
        assert receipt["to"].lower() == world.trace_anchor.lower()


def test_bundle_holds_a_checkable_proof_of_the_anchored_head(world: World, anchored: list[int]) -> None:
    heads = _chain_heads(world)
    log_key = read_verifier_key(world.system.data_dir / "secrets" / "log-key.json")
    for event, leaf in zip(EVENTS, anchored, strict=True):
        bundle = build_bundle(world.ctx, leaf, include_event=True).to_json()
        head = next(head for head in heads if head.tree_size > leaf)
        entry_bytes = base64.b64decode(bundle["entry"])
        entry = decode_entry(entry_bytes)
        leaf_hash = hashlib.sha256(b"\x00" + entry_bytes).digest()  # RFC 9162 §2.1.1
        assert bundle["format"] == "traceledger.proof/v1"
        assert bundle["eventHashId"] == event_hash_id(event)
        assert bundle["status"] == "anchored"
        assert bundle["leafIndex"] == leaf
        assert bundle["treeSize"] == head.tree_size
        assert bundle["leafHash"] == "0x" + leaf_hash.hex()
        assert bundle["rootHash"] == "0x" + head.root_hash.hex()
        assert bundle["entryFields"] == {
            "eventHash": "0x" + entry.event_hash.hex(),
            "submitter": world.submitter,
            "signature": "0x" + entry.signature.hex(),
            "receivedAt": bundle["entryFields"]["receivedAt"],
            "salt": "0x" + entry.salt.hex(),
        }
        assert bundle["entryFields"]["receivedAt"].endswith(
            f".{entry.received_at_ms % 1000:03d}Z"
        )
        assert "0x" + entry.event_hash.hex() == "0x" + event_hash_id(event).split(";")[1][:64]
        proof = [bytes.fromhex(node[2:]) for node in bundle["inclusionProof"]]
        verify_inclusion(leaf_hash, leaf, head.tree_size, proof, head.root_hash)
        checkpoint = open_checkpoint(bundle["checkpoint"], NoteVerifier.from_verifier_key(log_key))
        assert (checkpoint.tree_size, checkpoint.root_hash) == (head.tree_size, head.root_hash)
        assert bundle["log"] == {"origin": "localhost/traceledger-log", "verifierKey": log_key}
        assert bundle["witnesses"] == [{"name": "localhost/traceledger-witness",
                                        "verifierKey": world.system.witness_key}]
        assert bundle["anchor"]["chainId"] == world.chain_id
        assert bundle["anchor"]["contract"] == world.trace_anchor
        assert bundle["anchor"]["headIndex"] == head.head_index
        assert bundle["anchor"]["blockNumber"] == head.block_number
        assert bundle["anchor"]["blockTime"] == head.block_time
        assert bundle["event"] == event
        assert "event" not in build_bundle(world.ctx, leaf, include_event=False).to_json()


def test_bundle_of_a_fresh_record_is_pending(world: World) -> None:
    # Blocks come once a second, so a bundle built right after the write cannot be anchored.
    (leaf,) = world.record([object_event(2001)])
    before = max(size for size, _, _ in world.ctx.log_store.checkpoints())
    bundle = build_bundle(world.ctx, leaf, include_event=False).to_json()
    published = {size for size, _, _ in world.ctx.log_store.checkpoints()}
    assert bundle["status"] == "pending"
    assert bundle["anchor"] is None
    # The latest checkpoint when it was built (the sequencer may publish more meanwhile).
    assert bundle["treeSize"] in published
    assert before <= bundle["treeSize"] <= max(published)
    if leaf < bundle["treeSize"]:  # already integrated: a proof into that checkpoint
        assert len(bundle["inclusionProof"]) > 0
    else:
        assert bundle["inclusionProof"] is None and bundle["rootHash"] is None


# ---------------------------------------------------------------------- HTTP


def _proof_url(world: World, event: dict[str, Any]) -> str:
    digest = event_hash_id(event).split(";")[1][:64]
    return f"{world.system.api_url}/v1/events/{digest}/proof"


def test_anonymous_callers_get_the_public_bundle(world: World, anchored: list[int]) -> None:
    response = httpx.get(_proof_url(world, EVENTS[0]), timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert "event" not in body
    assert body == build_bundle(world.ctx, anchored[0], include_event=False).to_json()


def test_full_percent_encoded_id_and_admin_sees_the_event(world: World, anchored: list[int]) -> None:
    from urllib.parse import quote

    hash_id = event_hash_id(EVENTS[1])
    response = httpx.get(
        f"{world.system.api_url}/v1/events/{quote(hash_id, safe='')}/proof",
        headers={"Authorization": f"Bearer {world.system.admin_key}"}, timeout=10,
    )
    assert response.status_code == 200
    assert response.json()["event"] == EVENTS[1]
    assert response.json()["leafIndex"] == anchored[1]


def test_proof_route_reads_an_event_hash_id_as_the_other_event_routes_do(
    world: World, anchored: list[int]
) -> None:
    """Drift fixed (issue 14): `/proof` had its own Event Hash ID parser and refused an
    upper-case digest in the full form and `ni:/sha-256;` (slashes merged by a proxy), both
    of which `/v1/events/{id}` accepts (`records.event_hash_id_path.canonical_event_hash_id`)."""
    from urllib.parse import quote

    digest = event_hash_id(EVENTS[0]).split(";")[1][:64]
    for spelling in (f"ni:///sha-256;{digest.upper()}?ver=CBV2.0", f"ni:/sha-256;{digest}?ver=CBV2.0",
                     f"ni:///sha-256;{digest}", digest.upper()):
        response = httpx.get(f"{world.system.api_url}/v1/events/{quote(spelling, safe='')}/proof",
                             timeout=10)
        assert response.status_code == 200, spelling
        assert response.json()["eventHashId"] == event_hash_id(EVENTS[0])
        assert response.json()["leafIndex"] == anchored[0]


def test_leaf_index_must_record_that_event(world: World, anchored: list[int]) -> None:
    url = _proof_url(world, EVENTS[0])
    assert httpx.get(url, params={"leafIndex": anchored[0]}, timeout=10).json()["leafIndex"] == anchored[0]
    wrong = httpx.get(url, params={"leafIndex": anchored[1]}, timeout=10)
    assert wrong.status_code == 404
    assert wrong.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("bad_id", ["nothex", "ni:///sha-256;abc?ver=CBV2.0", "A" * 63])
def test_malformed_event_hash_id_is_400(world: World, bad_id: str) -> None:
    from urllib.parse import quote

    response = httpx.get(f"{world.system.api_url}/v1/events/{quote(bad_id, safe='')}/proof",
                         timeout=10)
    assert response.status_code == 400
    assert response.json()["type"] == "https://traceledger.dev/problems/invalid-event-hash-id"


def test_unknown_event_is_404(world: World) -> None:
    response = httpx.get(f"{world.system.api_url}/v1/events/{'ab' * 32}/proof", timeout=10)
    assert response.status_code == 404
    assert response.json()["title"] == "No such record"


# ---------------------------------------------------------------------- chain proxy


def _proxy(world: World, payload: Any, **kwargs: Any) -> httpx.Response:
    return httpx.post(f"{world.system.api_url}/v1/chain/rpc", json=payload, timeout=10, **kwargs)


def test_proxy_forwards_reads(world: World, anchored: list[int]) -> None:
    answer = _proxy(world, {"jsonrpc": "2.0", "id": 7, "method": "eth_chainId", "params": []})
    assert answer.status_code == 200
    assert answer.json() == {"jsonrpc": "2.0", "id": 7, "result": hex(world.chain_id)}
    head = _chain_heads(world)[0]
    data = keccak256(b"rootAtSize(uint64)")[:4] + encode(["uint64"], [head.tree_size])
    call = _proxy(world, {"jsonrpc": "2.0", "id": "a", "method": "eth_call",
                          "params": [{"to": world.trace_anchor, "data": "0x" + data.hex()},
                                     "latest"]})
    assert call.json()["result"] == "0x" + head.root_hash.hex()


def test_proxy_refuses_writes_per_request_in_a_batch(world: World) -> None:
    answer = _proxy(world, [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_sendRawTransaction", "params": ["0x00"]},
        {"jsonrpc": "2.0", "id": 3, "method": "eth_accounts", "params": []},
    ])
    assert answer.status_code == 200
    first, second, third = answer.json()
    assert first["id"] == 1 and int(first["result"], 16) > 0
    assert second == {"jsonrpc": "2.0", "id": 2,
                      "error": {"code": -32601, "message": "method not allowed"}}
    assert third["error"]["code"] == -32601


def test_proxy_bounds(world: World) -> None:
    call = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    too_many = _proxy(world, [call] * 21)
    assert too_many.json()["error"] == {"code": -32600,
                                        "message": "batch too large (limit 20 requests)"}
    huge = _proxy(world, {**call, "params": ["x" * 70_000]})
    assert huge.status_code == 413
    assert huge.headers["content-type"] == "application/problem+json"
    garbage = httpx.post(f"{world.system.api_url}/v1/chain/rpc", content=b"{not json",
                         timeout=10)
    assert garbage.json()["error"]["code"] == -32700
    logs = _proxy(world, {"jsonrpc": "2.0", "id": 2, "method": "eth_getLogs",
                          "params": [{"fromBlock": "0x0", "toBlock": hex(200_000)}]})
    assert logs.json()["error"]["code"] == -32602
    notification = _proxy(world, {"jsonrpc": "2.0", "method": "eth_chainId", "params": []})
    assert notification.status_code == 204


def test_bundle_json_is_what_the_route_serves(world: World, anchored: list[int]) -> None:
    served = httpx.get(_proof_url(world, EVENTS[2]),
                       headers={"Authorization": f"Bearer {world.system.admin_key}"},
                       timeout=10).json()
    assert json.loads(json.dumps(build_bundle(world.ctx, anchored[2], include_event=True).to_json())) == served

