"""The cryptographic checks behind `integrity_failure`, on one stored record.

Steps (each named in the finding when it fails):
1. `event_hash`: the CBV 2.0 Event Hash ID recomputed from the stored body equals the
   record's (CBV 2.0 §8.9);
2. `entry`: the stored log entry decodes and commits to that hash;
3. `signature`: the entry's EIP-712 signature recovers to its submitter (domain: chain
   id and TraceAnchor of this deployment);
4. `inclusion`: when anchored, the RFC 9162 inclusion proof from the log leads from
   SHA-256(0x00 || entry) to the anchored root the mirror recorded.
The audit reads the anchored root from the mirror (it scans many records); a verdict on
a single record asks the chain itself (`/v1/verify`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

from anchoring.core import (
    CoreError,
    RecordDomain,
    TraceRecord,
    decode_entry,
    entry_leaf_hash,
    event_hash_id,
    verify_inclusion,
    verify_record_signature,
)
from anchoring.core.merkle import inclusion_proof_ranges
from anchoring.store import LogStore
from anchoring.tiles import TileHashes
from trace_api.audit.epcis_view import AuditEvent
from trace_api.audit.inputs import AnchorHead, IntegrityCheck

ProofSource = Callable[[int, int], Sequence[bytes]]
"""(leaf_index, tree_size) -> RFC 9162 inclusion proof."""

TREES_CACHED = 8
"""Tree sizes whose tile hashes and subtree hashes are kept: records are audited in log
order, so consecutive records share their anchoring head."""


class CachedInclusionProofs:
    """`ProofSource` over the log's tiles that remembers subtree hashes per tree size.

    Inclusion proofs of leaves under one head share most of their subtrees; recomputing
    them per leaf (as `LogStore.inclusion_proof` does) costs hundreds of SHA-256 calls a
    leaf, remembering them a few.
    """

    def __init__(self, log_store: LogStore) -> None:
        self._log_store = log_store
        self._trees: OrderedDict[int, tuple[TileHashes, dict[tuple[int, int], bytes]]] = OrderedDict()

    def __call__(self, leaf_index: int, tree_size: int) -> list[bytes]:
        entry = self._trees.get(tree_size)
        if entry is None:
            entry = (self._log_store.tile_hashes(tree_size), {})
            self._trees[tree_size] = entry
            while len(self._trees) > TREES_CACHED:
                self._trees.popitem(last=False)
        else:
            self._trees.move_to_end(tree_size)
        hashes, memo = entry
        proof = []
        for start, end in inclusion_proof_ranges(leaf_index, tree_size):
            node = memo.get((start, end))
            if node is None:
                node = memo[(start, end)] = hashes.subtree_hash(start, end)
            proof.append(node)
        return proof


def make_integrity_check(domain: RecordDomain, inclusion_proof: ProofSource) -> IntegrityCheck:
    """An `IntegrityCheck` for records of the deployment `domain` (module docstring)."""

    def check(event: AuditEvent, head: AnchorHead | None) -> list[str]:
        failures: list[str] = []
        try:
            recomputed = event_hash_id(event.body)
        except CoreError as exc:
            return [f"event_hash: body cannot be hashed ({exc})"]
        if recomputed != event.event_hash_id:
            failures.append(f"event_hash: body hashes to {recomputed}")
        if event.entry is None:
            return [*failures, "entry: no log entry stored"]
        try:
            entry = decode_entry(event.entry)
        except CoreError as exc:
            return [*failures, f"entry: {exc}"]
        if "ni:///sha-256;" + entry.event_hash.hex() + "?ver=CBV2.0" != event.event_hash_id:
            failures.append("entry: commits to another event hash")
        try:
            verify_record_signature(TraceRecord(entry.event_hash, event.submitter), domain,
                                    entry.signature, event.submitter)
        except (CoreError, ValueError) as exc:
            failures.append(f"signature: {exc}")
        if head is not None:
            try:
                proof = inclusion_proof(event.leaf_index, head.tree_size)
                verify_inclusion(entry_leaf_hash(entry), event.leaf_index, head.tree_size, proof,
                                 bytes.fromhex(head.root_hash.removeprefix("0x")))
            except (CoreError, ValueError, LookupError) as exc:
                failures.append(f"inclusion: {type(exc).__name__}: {exc}")
        return failures

    return check
