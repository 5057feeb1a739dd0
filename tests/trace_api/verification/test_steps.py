"""The verification core's steps on plain values, without a chain: the inclusion and
anchored steps against a naive Merkle reference and a mirror of roots, and the bounds of
what a verification keeps between calls."""

from __future__ import annotations

import hashlib
import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anchoring.core import WitnessCosigner, generate_signer_key
from tests.anchoring.core.naive_merkle import naive_leaf_hash, naive_mth_of_leaf_hashes, naive_path
from trace_api.verification import service
from trace_api.verification.chain_reader import ChainReader
from trace_api.verification.service import TraceRecordVerifier, verify
from trace_api.verification.steps import (
    MirrorRoots,
    StepFailed,
    StepPending,
    root_from_entry,
    verify_anchored,
)


@given(st.integers(min_value=1, max_value=40).flatmap(
    lambda size: st.tuples(st.just(size), st.integers(min_value=0, max_value=size - 1))))
def test_inclusion_and_anchored_steps_agree_with_a_naive_tree(size_and_leaf: tuple[int, int]) -> None:
    size, leaf = size_and_leaf
    entries = [hashlib.sha256(bytes([n])).digest() for n in range(size)]
    leaves = [naive_leaf_hash(entry) for entry in entries]
    root = naive_mth_of_leaf_hashes(leaves)
    proof = naive_path(leaf, leaves)
    assert root_from_entry(entries[leaf], leaf, size, proof) == root
    verify_anchored(root, size, MirrorRoots({size: root}))
    with pytest.raises(StepFailed, match=f"rootAtSize\\({size}\\)"):
        verify_anchored(root, size, MirrorRoots({size: bytes(32)}))
    with pytest.raises(StepPending):
        verify_anchored(root, size, MirrorRoots({size + 1: root}))
    if size > 1:
        with pytest.raises(StepFailed):
            root_from_entry(entries[leaf], leaf, size, proof[:-1])


def test_keys_named_by_bundles_are_kept_within_a_bound() -> None:
    """A bundle names its own witness keys; the shared verifier parses them through a
    bounded cache, so callers cannot grow it (it was a dict per verifier)."""
    _, log_key = generate_signer_key("localhost/traceledger-log", bytes(32))
    verifier = TraceRecordVerifier(chain=ChainReader("http://127.0.0.1:9"), chain_id=1337,
                                   trace_anchor="0x" + "ab" * 20, log_verifier_key=log_key)
    service.witness_verifier.cache_clear()
    try:
        for _ in range(service.KEYS_CACHED // 64 + 2):
            witnesses = [WitnessCosigner.from_seed(f"w{n}", secrets.token_bytes(32), timestamp=0)
                         for n in range(64)]
            bundle = {"format": "traceledger.proof/v1", "checkpoint": "origin\n1\nAAAA\n\n",
                      "witnesses": [{"verifierKey": w.verifier().verifier_key} for w in witnesses]}
            verdict = verify(verifier, {"type": "ObjectEvent"}, bundle)  # never reaches the chain
            assert verdict.verdict == "failed"
        info = service.witness_verifier.cache_info()
        assert info.misses > service.KEYS_CACHED  # every key was parsed ...
        assert info.currsize <= service.KEYS_CACHED  # ... and at most the bound kept
    finally:
        verifier.close()
