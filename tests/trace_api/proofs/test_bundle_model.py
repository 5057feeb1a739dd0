"""`ProofBundle`: the bundle document round-trips byte for byte, and `parse_bundle` reads
anything without raising, naming each member it could not read (bounded sizes)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trace_api.proofs.bundle import (
    BUNDLE_FORMAT,
    MAX_CHECKPOINT_CHARS,
    MAX_PROOF_NODES,
    MAX_WITNESSES,
    parse_bundle,
)

HEX32 = "0x" + "ab" * 32


def document(**changes: Any) -> dict[str, Any]:
    """A bundle document in the shape `build_bundle(...).to_json()` writes."""
    bundle: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "eventHashId": "ni:///sha-256;" + "cd" * 32 + "?ver=CBV2.0",
        "status": "anchored",
        "entry": base64.b64encode(bytes(range(158))).decode(),
        "entryFields": {"eventHash": HEX32, "submitter": "0x" + "12" * 20, "signature": "0x" + "34" * 65,
                        "receivedAt": "2026-11-26T12:00:00.000Z", "salt": HEX32},
        "leafIndex": 3,
        "treeSize": 8,
        "leafHash": HEX32,
        "rootHash": "0x" + "ef" * 32,
        "inclusionProof": [HEX32, "0x" + "01" * 32, "0x" + "02" * 32],
        "checkpoint": "localhost/traceledger-log\n8\nAAAA\n\n\u2014 localhost/traceledger-log abc\n",
        "log": {"origin": "localhost/traceledger-log", "verifierKey": "localhost/traceledger-log+01+AAAA"},
        "witnesses": [{"name": "w1", "verifierKey": "w1+02+BBBB"}],
        "anchor": {"chainId": 1337, "contract": "0x" + "ab" * 20, "headIndex": 0, "treeSize": 8,
                   "rootHash": "0x" + "ef" * 32, "transactionHash": HEX32, "blockNumber": 12,
                   "blockHash": HEX32, "blockTime": 1_700_000_000, "witnessedBy": ["0x" + "99" * 20]},
    }
    bundle.update(changes)
    return bundle


def test_the_document_round_trips_byte_for_byte() -> None:
    for changes in ({}, {"event": {"type": "ObjectEvent"}},
                    {"status": "pending", "anchor": None, "inclusionProof": None, "rootHash": None},
                    {"checkpoint": None, "witnesses": []}):
        original = document(**changes)
        parsed = parse_bundle(original)
        assert parsed.defects == {}
        assert json.dumps(parsed.to_json()) == json.dumps(original)


@pytest.mark.parametrize(("member", "value", "defect"), [
    ("entry", None, "bundle member 'entry' is missing or malformed"),
    ("entry", "not base64!", "Only base64 data is allowed"),
    ("entry", "A" * 2_000, "entry is longer than"),
    ("leafIndex", True, "bundle member 'leafIndex' is missing or malformed"),
    ("treeSize", "8", "bundle member 'treeSize' is missing or malformed"),
    ("leafHash", "0x12", "leafHash must be 32 bytes, got 1"),
    ("rootHash", "ef" * 32, "rootHash is not 0x-hex"),
    ("inclusionProof", "0x00", "inclusionProof is not a list"),
    ("inclusionProof", [HEX32] * (MAX_PROOF_NODES + 1), f"more than {MAX_PROOF_NODES} nodes"),
    ("inclusionProof", [HEX32, "0xzz"], "inclusionProof[1] is not 0x-hex"),
    ("checkpoint", "x" * (MAX_CHECKPOINT_CHARS + 1), "checkpoint is longer than"),
    ("checkpoint", 7, "bundle member 'checkpoint' is missing or malformed"),
    ("witnesses", [{"verifierKey": "k"}] * (MAX_WITNESSES + 1), f"more than {MAX_WITNESSES}"),
])
def test_an_unreadable_member_is_a_named_defect(member: str, value: Any, defect: str) -> None:
    parsed = parse_bundle(document(**{member: value}))
    assert list(parsed.defects) == [member]
    assert defect in parsed.defects[member]
    attribute = {"leafIndex": "leaf_index", "treeSize": "tree_size", "leafHash": "leaf_hash",
                 "rootHash": "root_hash", "inclusionProof": "inclusion_proof"}.get(member, member)
    assert getattr(parsed, attribute) in (None, ())


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                    max_leaves=20)


@given(st.one_of(JSON, st.fixed_dictionaries({}, optional={name: JSON for name in document()})))
def test_parse_bundle_never_raises(value: Any) -> None:
    parsed = parse_bundle(value)
    assert parsed.entry is None or isinstance(parsed.entry, bytes)
    assert parsed.inclusion_proof is None or all(len(node) == 32 for node in parsed.inclusion_proof)
