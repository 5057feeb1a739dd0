"""Verification verdicts against a real running system: verified records, every tamper
case failing at its own step, pending records, the HTTP route and `traceledger verify`.

One `traceledger up --dev` per backend for the module (see tests/trace_api/proofs/support).
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from anchoring.anchor_contract import connect, read_heads, trace_anchor
from anchoring.core import (
    Checkpoint,
    CompactRange,
    NoteSigner,
    RecordDomain,
    TraceRecord,
    decode_entry,
    encode_entry,
    event_hash_id,
    inclusion_proof,
    leaf_hash,
    sign_checkpoint,
    sign_record,
)
from anchoring.core.entry import LogEntry
from anchoring.keys import load_log_signer, read_passphrase
from tests.trace_api.proofs.support import World, object_event
from trace_api.proofs.service import build_bundle
from trace_api.verification.api_verifier import api_record_verifier
from trace_api.verification.chain_reader import ChainReader, ChainReadError
from trace_api.verification.cli import verify_command
from trace_api.verification.service import STEP_NAMES, TraceRecordVerifier, verify

EVENTS = [object_event(serial, minute=7) for serial in range(3001, 3004)]


@pytest.fixture(scope="module")
def anchored(world: World) -> list[int]:
    """Leaf indexes of EVENTS, recorded and anchored."""
    return world.record_anchored(EVENTS)


@pytest.fixture(scope="module")
def bundles(world: World, anchored: list[int]) -> list[dict[str, Any]]:
    return [build_bundle(world.ctx, leaf, include_event=False).to_json() for leaf in anchored]


def _statuses(verdict: Any) -> list[tuple[str, str]]:
    return [(step.name, step.status) for step in verdict.steps]


ALL_OK = [(name, "ok") for name in STEP_NAMES]


def test_recorded_events_verify_with_and_without_a_bundle(
    world: World, anchored: list[int], bundles: list[dict[str, Any]]
) -> None:
    heads = read_heads(trace_anchor(connect(world.system.rpc_url), world.trace_anchor))
    for event, leaf, bundle in zip(EVENTS, anchored, bundles, strict=True):
        for given in (bundle, None):
            verdict = verify(world.ctx.shared(api_record_verifier), event, given)
            assert verdict.verdict == "verified", verdict.to_json()
            assert _statuses(verdict) == ALL_OK
            assert [step.number for step in verdict.steps] == list(range(1, 9))
            assert verdict.event_hash_id == event_hash_id(event)
            assert verdict.leaf_index == leaf
            head = next(head for head in heads if head.tree_size > leaf)
            assert verdict.tree_size == head.tree_size
            assert verdict.anchor is not None
            assert (verdict.anchor["headIndex"], verdict.anchor["blockNumber"],
                    verdict.anchor["blockTime"], verdict.anchor["rootHash"]) == (
                head.head_index, head.block_number, head.block_time, "0x" + head.root_hash.hex())
            member = verdict.steps[3].detail
            assert f"hasRole({world.submitter}, Enterprise)" in member
            assert member.endswith(f"is true; enterprise {world.enterprise_id}")


def test_a_third_party_verifies_with_only_a_node_url(
    world: World, anchored: list[int], bundles: list[dict[str, Any]]
) -> None:
    for rpc_url in (world.system.rpc_url, f"{world.system.api_url}/v1/chain/rpc"):
        verifier = TraceRecordVerifier.offline(rpc_url, world.trace_anchor)
        try:
            assert verifier.chain_id == world.chain_id
            verdict = verify(verifier, EVENTS[0], bundles[0])
        finally:
            verifier.close()
        assert verdict.verdict == "verified", verdict.to_json()
        assert "log key named by the bundle" in verdict.steps[5].detail


# ---------------------------------------------------------------------- tampering


def _reencoded(bundle: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The bundle with its entry re-encoded with `changes`, entryFields kept consistent."""
    entry = decode_entry(base64.b64decode(bundle["entry"]))
    fields = {"event_hash": entry.event_hash, "submitter": entry.submitter,
              "signature": entry.signature, "received_at_ms": entry.received_at_ms,
              "salt": entry.salt, **changes}
    encoded = encode_entry(LogEntry(**fields))
    forged = copy.deepcopy(bundle)
    forged["entry"] = base64.b64encode(encoded).decode()
    forged["entryFields"]["signature"] = "0x" + fields["signature"].hex()
    forged["leafHash"] = "0x" + leaf_hash(encoded).hex()
    return forged


def test_changed_event_field_fails_at_step_2(world: World, bundles: list[dict[str, Any]]) -> None:
    changed = copy.deepcopy(EVENTS[0])
    changed["disposition"] = "recalled"
    verdict = verify(world.ctx.shared(api_record_verifier), changed, bundles[0])
    assert verdict.verdict == "failed"
    assert verdict.failed_step is not None and verdict.failed_step.number == 2
    assert _statuses(verdict)[:2] == [("event-hash", "ok"), ("entry-matches", "failed")]
    assert _statuses(verdict)[2:] == ALL_OK[2:]  # the bundle itself is intact


def test_swapped_signature_fails_at_step_3(world: World, bundles: list[dict[str, Any]]) -> None:
    other = decode_entry(base64.b64decode(bundles[1]["entry"]))  # same signer, other event
    forged = _reencoded(bundles[0], signature=other.signature)
    verdict = verify(world.ctx.shared(api_record_verifier), EVENTS[0], forged)
    assert verdict.verdict == "failed"
    assert verdict.failed_step is not None and verdict.failed_step.name == "signature"
    assert _statuses(verdict)[:3] == [("event-hash", "ok"), ("entry-matches", "ok"),
                                      ("signature", "failed")]


def test_wrong_proof_node_fails_at_step_5(world: World, bundles: list[dict[str, Any]]) -> None:
    forged = copy.deepcopy(bundles[0])
    assert forged["inclusionProof"], "a tree of several leaves has a non-empty proof"
    node = bytearray(bytes.fromhex(forged["inclusionProof"][0][2:]))
    node[0] ^= 1
    forged["inclusionProof"][0] = "0x" + node.hex()
    verdict = verify(world.ctx.shared(api_record_verifier), EVENTS[0], forged)
    assert verdict.failed_step is not None and verdict.failed_step.number == 5
    assert _statuses(verdict)[:5] == [*ALL_OK[:4], ("inclusion", "failed")]


def test_forged_checkpoint_fails_at_step_6(world: World, bundles: list[dict[str, Any]]) -> None:
    bundle = bundles[0]
    impostor = NoteSigner.from_seed("localhost/traceledger-log", secrets.token_bytes(32))
    root = bytes.fromhex(bundle["rootHash"][2:])
    forged = copy.deepcopy(bundle)
    forged["checkpoint"] = sign_checkpoint(
        Checkpoint("localhost/traceledger-log", bundle["treeSize"], root), [impostor]
    )
    forged["log"]["verifierKey"] = impostor.verifier().verifier_key
    verdict = verify(world.ctx.shared(api_record_verifier), EVENTS[0], forged)  # the API trusts its own log key
    assert verdict.failed_step is not None and verdict.failed_step.number == 6
    assert _statuses(verdict)[:6] == [*ALL_OK[:5], ("checkpoint", "failed")]


def test_root_not_on_chain_fails_at_step_7(world: World, bundles: list[dict[str, Any]]) -> None:
    """A tree the real log key signed but the chain never anchored: the entry at index 0,
    random leaves after it, the size of a really anchored head."""
    bundle = bundles[0]
    entry = base64.b64decode(bundle["entry"])
    size = bundle["treeSize"]
    leaves = [leaf_hash(entry)] + [secrets.token_bytes(32) for _ in range(size - 1)]
    root = CompactRange.from_leaf_hashes(leaves).root()
    data_dir = world.system.data_dir
    signer = load_log_signer(data_dir / "secrets" / "log-key.json",
                             read_passphrase(data_dir / "secrets" / "passphrase"))
    forged = copy.deepcopy(bundle)
    forged.update(
        leafIndex=0, rootHash="0x" + root.hex(),
        inclusionProof=["0x" + node.hex() for node in inclusion_proof(0, size, leaves)],
        checkpoint=sign_checkpoint(Checkpoint("localhost/traceledger-log", size, root), [signer]),
    )
    verdict = verify(world.ctx.shared(api_record_verifier), EVENTS[0], forged)
    assert verdict.failed_step is not None and verdict.failed_step.number == 7, verdict.to_json()
    assert _statuses(verdict)[:7] == [*ALL_OK[:6], ("anchored-on-chain", "failed")]
    assert f"rootAtSize({size})" in verdict.steps[6].detail


def test_unregistered_submitter_fails_at_step_4(world: World) -> None:
    from eth_account import Account

    outsider = Account.create()
    event = object_event(3101)
    world.record_anchored([event], private_key=bytes(outsider.key), submitter=outsider.address)
    verdict = verify(world.ctx.shared(api_record_verifier), event, None)
    assert verdict.failed_step is not None and verdict.failed_step.number == 4, verdict.to_json()
    assert _statuses(verdict) == [*ALL_OK[:3], ("submitter-active", "failed"), *ALL_OK[4:]]
    assert verdict.steps[3].detail.endswith("is false")


def test_a_fresh_record_is_pending(world: World) -> None:
    event = object_event(3201)
    (leaf,) = world.record([event])
    bundle = build_bundle(world.ctx, leaf, include_event=False).to_json()  # blocks come every second
    assert bundle["status"] == "pending"
    verdict = verify(world.ctx.shared(api_record_verifier), event, bundle)
    assert verdict.verdict == "pending", verdict.to_json()
    assert verdict.failed_step is None
    assert verdict.steps[6].status == "pending"
    assert _statuses(verdict)[:4] == ALL_OK[:4]


def test_wrong_domain_signature_fails_at_step_3(world: World) -> None:
    """Signed for another chain id: the EIP-712 domain separates ledgers."""
    event = object_event(3301)
    other_domain = RecordDomain(world.chain_id + 1, world.trace_anchor)

    def sign_elsewhere(event_hash: bytes) -> bytes:
        return sign_record(TraceRecord(event_hash, world.submitter), other_domain, world.private_key)

    (leaf,) = world.record([event], signature_for=sign_elsewhere)
    verdict = verify(world.ctx.shared(api_record_verifier), event,
                     build_bundle(world.ctx, leaf, include_event=False))
    assert verdict.failed_step is not None and verdict.failed_step.number == 3


def _audit_and_trace_states(world: World, leaf: int) -> tuple[list[str], Any]:
    """What the integrity audit and the trace's event states say of the record at `leaf`
    (both run the verification core's steps against the mirror's anchored root)."""
    from trace_api.audit.integrity_check import make_integrity_check
    from trace_api.audit.sources import EventFilter, anchor_heads, iter_events
    from trace_api.proofs.cache import inclusion_proofs
    from trace_api.provenance.event_states import event_states
    from trace_api.provenance.reader import EventFacts

    ctx = world.ctx
    (record,) = iter_events(ctx.engine, EventFilter(leaf_indexes=[leaf]))
    check = make_integrity_check(RecordDomain(world.chain_id, world.trace_anchor),
                                 ctx.shared(inclusion_proofs))
    failed = check(record, anchor_heads(ctx.mirror_engine, [leaf])[leaf])
    # The support records no graph rows; event states read only the leaf and its hash ID.
    facts = EventFacts(leaf, record.event_hash_id, record.enterprise_id, "ObjectEvent", None, None,
                       None, 0, None, None, ())
    return failed, event_states(ctx, [facts])[leaf]


def test_the_audit_and_trace_states_agree_with_verify(world: World, anchored: list[int]) -> None:
    """One core, three callers: a good record passes all three, a record signed for another
    chain fails the signature step in all three."""
    verifier = world.ctx.shared(api_record_verifier)
    for event, leaf in zip(EVENTS, anchored, strict=True):
        assert verify(verifier, event).verdict == "verified"
        failed, state = _audit_and_trace_states(world, leaf)
        assert failed == []
        assert (state.signature, state.inclusion, state.anchored) == ("valid", "verified", True)
    event = object_event(3302)
    other_domain = RecordDomain(world.chain_id + 1, world.trace_anchor)
    (leaf,) = world.record([event], signature_for=lambda event_hash: sign_record(
        TraceRecord(event_hash, world.submitter), other_domain, world.private_key))
    verdict = verify(verifier, event)
    assert verdict.failed_step is not None and verdict.failed_step.name == "signature"
    failed, state = _audit_and_trace_states(world, leaf)
    assert [step.split(":", 1)[0] for step in failed] == ["signature"]
    assert state.signature == "invalid"


# ---------------------------------------------------------------------- HTTP and CLI


def test_post_verify(world: World, bundles: list[dict[str, Any]]) -> None:
    url = f"{world.system.api_url}/v1/verify"
    plain = httpx.post(url, json={"event": EVENTS[1]}, timeout=30)
    assert plain.status_code == 200
    body = plain.json()
    assert body["verdict"] == "verified" and body["failedStep"] is None
    assert [step["status"] for step in body["steps"]] == ["ok"] * 8
    forged = copy.deepcopy(bundles[1])
    forged["inclusionProof"][0] = "0x" + "00" * 32
    failed = httpx.post(url, json={"event": EVENTS[1], "bundle": forged}, timeout=30).json()
    assert failed["verdict"] == "failed"
    assert failed["failedStep"] == {"number": 5, "name": "inclusion"}
    unknown = httpx.post(url, json={"event": object_event(9999)}, timeout=30).json()
    assert unknown["verdict"] == "failed"
    assert unknown["failedStep"] == {"number": 2, "name": "entry-matches"}
    assert unknown["steps"][1]["detail"] == "no record of this Event Hash ID"


def test_post_verify_bad_input(world: World) -> None:
    url = f"{world.system.api_url}/v1/verify"
    not_object = httpx.post(url, json={"event": [1, 2]}, timeout=30)
    assert not_object.status_code == 400
    assert not_object.headers["content-type"] == "application/problem+json"
    huge = httpx.post(url, content=b'{"event": {"x": "' + b"y" * (1024 * 1024) + b'"}}',
                      headers={"content-type": "application/json"}, timeout=30)
    assert huge.status_code == 413
    malformed = httpx.post(url, json={"event": {"type": "ObjectEvent"}}, timeout=30).json()
    assert malformed["verdict"] == "failed"
    assert malformed["failedStep"]["number"] in (1, 2)


def test_cli_verifies_files(world: World, bundles: list[dict[str, Any]], tmp_path: Path) -> None:
    runner = CliRunner()
    pair = tmp_path / "pair.json"
    pair.write_text(json.dumps({"event": EVENTS[2], "bundle": bundles[2]}))
    result = runner.invoke(_app(), [str(pair), "--url", world.system.api_url])
    assert result.exit_code == 0, result.output
    assert "1 of 1 event(s) verified" in result.output

    document = tmp_path / "document.json"
    document.write_text(json.dumps({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0",
        "creationDate": "2026-11-20T09:00:00Z",
        "epcisBody": {"eventList": [{k: v for k, v in e.items() if k != "@context"} for e in EVENTS]},
    }))
    result = runner.invoke(_app(), [str(document), "--url", world.system.api_url])
    assert result.exit_code == 0, result.output
    assert "3 of 3 event(s) verified" in result.output

    offline = runner.invoke(_app(), [str(pair), "--rpc", world.system.rpc_url,
                                     "--trace-anchor", world.trace_anchor])
    assert offline.exit_code == 0, offline.output

    tampered = tmp_path / "tampered.json"
    changed = copy.deepcopy(EVENTS[2])
    changed["bizStep"] = "receiving"
    tampered.write_text(json.dumps({"event": changed, "bundle": bundles[2]}))
    result = runner.invoke(_app(), [str(tampered), "--url", world.system.api_url])
    assert result.exit_code == 1
    assert "failed at step 2 (entry-matches)" in result.output

    broken = tmp_path / "broken.json"
    broken.write_text("[]")
    assert runner.invoke(_app(), [str(broken), "--url", world.system.api_url]).exit_code == 2


def _app() -> Any:
    import typer

    app = typer.Typer()
    app.command()(verify_command)
    return app


def test_no_verdict_without_the_chain(world: World, bundles: list[dict[str, Any]]) -> None:
    """A node that does not answer yields no verdict at all, never a pending or failed one."""
    from testing.processes import free_port

    dead = TraceRecordVerifier(chain=ChainReader(f"http://127.0.0.1:{free_port()}"),
                    chain_id=world.chain_id, trace_anchor=world.trace_anchor)
    try:
        with pytest.raises(ChainReadError):
            verify(dead, EVENTS[0], bundles[0])
    finally:
        dead.close()


def test_block_at_time_matches_a_naive_scan(world: World, anchored: list[int]) -> None:
    """The block search (with no hint, a right hint, a wrong hint) against reading every
    block: the last block whose time is <= t, for times on, between and around blocks."""
    from tests.trace_api.proofs.support import rpc

    head = int(rpc(world.system.rpc_url, "eth_blockNumber", []), 16)
    times = [int(rpc(world.system.rpc_url, "eth_getBlockByNumber", [hex(n), False])["timestamp"], 16)
             for n in range(head + 1)]

    def naive(moment: int) -> tuple[int, int] | None:
        candidates = [n for n in range(head + 1) if times[n] <= moment]
        return (candidates[-1], times[candidates[-1]]) if candidates else None

    # Blocks keep coming while the test runs; any new one is later than times[head], so
    # answers for moments up to that time are fixed.
    moments = sorted({t + delta for t in times[-40:] for delta in (-1, 0, 1)
                      if t + delta <= times[head]} | {times[0] - 1})
    for hint in (None, lambda moment: (naive(moment) or (None,))[0], lambda moment: 0):
        reader = ChainReader(world.system.rpc_url)
        try:
            for moment in moments:
                assert reader.block_at_time(moment, hint=hint) == naive(moment), moment
                assert reader.block_at_time(moment, hint=hint) == naive(moment), moment  # cached
        finally:
            reader.close()
