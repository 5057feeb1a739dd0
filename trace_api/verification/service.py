"""Step-by-step verification of one trace record: `verify(verifier, event, bundle)`.

Given an EPCIS event and its `traceledger.proof/v1` bundle (fetched by the event's
recomputed hash when not given), the verdict is re-derived from the event, the bundle's
bytes and the chain alone (DESIGN.md, "Trust"). Nothing here reads the SQL mirror for a
verdict; the mirror may only *guess* a block number, which the chain then confirms.

The steps are the verification core's (`steps.py`, numbered and named as the API, the
CLI and the scan page show them); this module runs them in order on one bundle and
records each outcome. Statuses: `ok`, `failed`, `pending` (nothing wrong, not anchored
yet) and `skipped` (could not be checked because an earlier input was missing or
broken). Verdict: `failed` (naming the first failed step) if any step failed, else
`pending` if any step is pending or skipped, else `verified`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from anchoring.core import CoreError, LogEntry, NoteVerifier, RecordDomain, WitnessVerifier
from anchoring.core.eip712 import format_address
from trace_api.proofs.bundle import BUNDLE_FORMAT, ProofBundle, parse_bundle
from trace_api.verification.chain_reader import CallReverted, ChainReader, ChainReadError
from trace_api.verification.steps import (
    STEP_NAMES,
    STEP_TITLES,
    BlockHint,
    ChainRoots,
    StepFailed,
    StepPending,
    compute_event_hash_id,
    read_entry,
    root_from_entry,
    verified_cosigners,
    verify_anchored,
    verify_checkpoint,
    verify_entry_fields,
    verify_entry_matches,
    verify_entry_signature,
    verify_leaf_hash,
    verify_submitter_active,
    verify_witnessed_on_chain,
)

__all__ = ["STEP_NAMES", "ChainReadError", "Step", "TraceRecordVerifier", "Verdict", "verify"]

OK, FAILED, PENDING, SKIPPED = "ok", "failed", "pending", "skipped"


@dataclass(frozen=True)
class Step:
    """One numbered check with its outcome and a human-readable detail."""

    number: int
    name: str
    status: str
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "name": self.name, "title": STEP_TITLES[self.name],
                "status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class Verdict:
    """`verified` | `pending` | `failed`, the steps that led to it, and what was checked."""

    verdict: str
    steps: tuple[Step, ...]
    event_hash_id: str | None
    leaf_index: int | None
    tree_size: int | None
    failed_step: Step | None = None
    anchor: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        failed = self.failed_step
        return {
            "verdict": self.verdict,
            "eventHashId": self.event_hash_id,
            "leafIndex": self.leaf_index,
            "treeSize": self.tree_size,
            "failedStep": None if failed is None else {"number": failed.number, "name": failed.name},
            "steps": [step.to_json() for step in self.steps],
            "anchor": self.anchor,
        }


KEYS_CACHED = 256
"""Parsed note and witness verifier keys kept. Bundles name their own keys, so a caller
could otherwise grow the cache of the API's shared verifier without bound."""

log_verifier = functools.lru_cache(maxsize=KEYS_CACHED)(NoteVerifier.from_verifier_key)
witness_verifier = functools.lru_cache(maxsize=KEYS_CACHED)(WitnessVerifier.from_verifier_key)


BundleSource = Callable[[str, "int | None"], "ProofBundle | None"]
"""Fetches the bundle of an Event Hash ID, optionally of one leaf (None: no such record)."""


@dataclass
class TraceRecordVerifier:
    """What a trace record's verification trusts: the chain (through `chain`), the
    ledger's chain id and TraceAnchor address, and the log's key. Build one per process
    and reuse it: the chain reader caches immutable answers.

    `log_verifier_key` None means "take the key the bundle names" (say so in step 6);
    `witness_keys` are cosignature verifier keys the caller trusts (a bundle's own list
    adds to them: a valid cosignature by a key the bundle names proves that key signed).
    """

    chain: ChainReader
    chain_id: int
    trace_anchor: str
    log_verifier_key: str | None = None
    witness_keys: tuple[str, ...] = ()
    bundle_source: BundleSource | None = None
    block_hint: BlockHint | None = None
    domain: RecordDomain = field(init=False, repr=False)
    """The EIP-712 domain records of this ledger are signed in."""

    def __post_init__(self) -> None:
        self.trace_anchor = format_address(bytes.fromhex(self.trace_anchor[2:]))
        self.domain = RecordDomain(self.chain_id, self.trace_anchor)

    @classmethod
    def offline(
        cls, rpc_url: str, trace_anchor: str, *, chain_id: int | None = None,
        log_verifier_key: str | None = None, witness_keys: tuple[str, ...] = (),
        bundle_source: BundleSource | None = None,
    ) -> TraceRecordVerifier:
        """A verifier for a third party: any JSON-RPC URL and the TraceAnchor address it
        trusts; the chain id is asked from the node when not given."""
        chain = ChainReader(rpc_url)
        return cls(chain=chain, chain_id=chain_id if chain_id is not None else chain.chain_id(),
                   trace_anchor=trace_anchor, log_verifier_key=log_verifier_key,
                   witness_keys=witness_keys, bundle_source=bundle_source)

    def close(self) -> None:
        self.chain.close()


class _Run:
    """One verification in progress: the inputs decoded so far and the steps recorded."""

    def __init__(self, verifier: TraceRecordVerifier, bundle: ProofBundle, steps: list[Step],
                 hash_id: str | None) -> None:
        self.verifier = verifier
        self.bundle = bundle
        self.steps = steps
        self.hash_id = hash_id
        self.entry: LogEntry | None = None
        self.entry_bytes: bytes | None = None
        self.root: bytes | None = None
        self.head_index: int | None = None
        self.anchor: dict[str, Any] | None = None

    @property
    def log_key(self) -> str | None:
        """The log key to trust: the verifier's, else the one the bundle names."""
        if self.verifier.log_verifier_key:
            return self.verifier.log_verifier_key
        return self.bundle.log.verifier_key if self.bundle.log is not None else None


def verify(
    verifier: TraceRecordVerifier,
    event: Mapping[str, Any],
    bundle: ProofBundle | Mapping[str, Any] | None = None,
    *,
    context: object = None,
    leaf_index: int | None = None,
) -> Verdict:
    """Verify `event` against `bundle` (or the bundle of its recomputed hash) and the chain.

    `bundle` is a `ProofBundle` or bundle JSON (read with `parse_bundle`). `context` is
    the JSON-LD `@context` of the document the event came in, when the event has none of
    its own. Never raises for bad input: every problem with the event or the bundle is a
    failed step. Raises `ChainReadError` when the chain cannot be asked: no verdict
    without it.
    """
    steps: list[Step] = []
    try:
        hash_id: str | None = compute_event_hash_id(event, context)
        steps.append(Step(1, "event-hash", OK, str(hash_id)))
    except StepFailed as exc:
        hash_id = None
        steps.append(Step(1, "event-hash", FAILED, str(exc)))
    if bundle is None and hash_id is not None and verifier.bundle_source is not None:
        bundle = verifier.bundle_source(hash_id, leaf_index)
    if bundle is None:
        detail = ("no record of this Event Hash ID" if hash_id is not None
                  else "no bundle given and the event's hash could not be computed")
        steps.append(Step(2, "entry-matches", FAILED, detail))
        steps += [Step(number, name, SKIPPED, "not checked: no proof bundle")
                  for number, name in enumerate(STEP_NAMES[2:], start=3)]
        return _verdict(steps, hash_id, None, None, None)
    parsed = bundle if isinstance(bundle, ProofBundle) else parse_bundle(bundle)
    run = _Run(verifier, parsed, steps, hash_id)
    for number, step in enumerate(_BUNDLE_STEPS, start=2):
        try:
            status, detail = step(run)
        except StepFailed as exc:
            status, detail = FAILED, str(exc)
        steps.append(Step(number, STEP_NAMES[number - 1], status, detail))
    return _verdict(steps, hash_id, parsed.leaf_index, parsed.tree_size, run.anchor)


def _verdict(steps: list[Step], hash_id: str | None, leaf: int | None, size: int | None,
             anchor: dict[str, Any] | None) -> Verdict:
    failed = next((step for step in steps if step.status == FAILED), None)
    if failed is not None:
        outcome = "failed"
    elif any(step.status in (PENDING, SKIPPED) for step in steps):
        outcome = "pending"
    else:
        outcome = "verified"
    return Verdict(outcome, tuple(steps), hash_id, leaf, size, failed, anchor)


# ---------------------------------------------------------------------- steps on a bundle
# Each returns (status, detail) of its step; `StepFailed` fails it with its message.

Outcome = tuple[str, str]


def _step_entry(run: _Run) -> Outcome:
    bundle = run.bundle
    try:
        if bundle.format != BUNDLE_FORMAT:
            raise StepFailed(f"bundle format is {bundle.format!r}, expected {BUNDLE_FORMAT!r}")
        if bundle.entry is None:
            raise StepFailed(bundle.defects.get("entry", "bundle member 'entry' is missing or malformed"))
        entry = read_entry(bundle.entry)
    except StepFailed as exc:
        raise StepFailed(f"bundle entry unreadable: {exc}") from exc
    run.entry, run.entry_bytes = entry, bundle.entry
    if run.hash_id is None:
        raise StepFailed("the event's hash is unknown (step 1 failed)")
    verify_entry_matches(entry, run.hash_id)
    if bundle.event_hash_id != run.hash_id:
        raise StepFailed(f"bundle is for {bundle.event_hash_id!r}, the event is {run.hash_id}")
    if bundle.entry_fields is not None:
        verify_entry_fields(entry, bundle.entry_fields.shown())
    return OK, f"entry commits to 0x{entry.event_hash.hex()}"


def _step_signature(run: _Run) -> Outcome:
    if run.entry is None:
        return SKIPPED, "not checked: no readable entry"
    submitter = verify_entry_signature(run.entry, run.verifier.domain)
    return OK, (f"signed by {submitter} (chain {run.verifier.chain_id}, TraceAnchor "
                f"{run.verifier.trace_anchor})")


def _step_member(run: _Run) -> Outcome:
    if run.entry is None:
        return SKIPPED, "not checked: no readable entry"
    verifier = run.verifier
    return OK, verify_submitter_active(verifier.chain, verifier.trace_anchor,
                                       format_address(run.entry.submitter),
                                       run.entry.received_at_ms, verifier.block_hint)


def _step_inclusion(run: _Run) -> Outcome:
    bundle = run.bundle
    if run.entry_bytes is None:
        return SKIPPED, "not checked: no readable entry"
    for member in ("leafHash", "leafIndex", "treeSize"):
        if member in bundle.defects:
            raise StepFailed(bundle.defects[member])
    if bundle.leaf_hash is not None:
        verify_leaf_hash(run.entry_bytes, bundle.leaf_hash)
    leaf_index, tree_size = bundle.leaf_index, bundle.tree_size
    assert leaf_index is not None  # a missing leafIndex is a defect
    if "inclusionProof" in bundle.defects:
        raise StepFailed(bundle.defects["inclusionProof"])
    if bundle.inclusion_proof is None or tree_size is None:
        return PENDING, f"leaf {leaf_index} is not yet in a published tree"
    if bundle.root_hash is None:
        raise StepFailed(bundle.defects.get("rootHash", "rootHash is not 0x-hex"))
    computed = root_from_entry(run.entry_bytes, leaf_index, tree_size, bundle.inclusion_proof)
    if computed != bundle.root_hash:
        raise StepFailed(f"proof leads to 0x{computed.hex()}, the bundle says "
                         f"0x{bundle.root_hash.hex()}")
    run.root = computed
    return OK, f"leaf {leaf_index} in tree of {tree_size} leaves, root 0x{computed.hex()}"


def _step_checkpoint(run: _Run) -> Outcome:
    bundle = run.bundle
    if bundle.checkpoint is None and "checkpoint" not in bundle.defects:
        return PENDING, "no checkpoint published for this leaf yet"
    key = run.log_key
    if bundle.checkpoint is None or key is None:
        raise StepFailed("checkpoint or log verifier key missing or malformed")
    source = "trusted log key" if run.verifier.log_verifier_key else "log key named by the bundle"
    try:
        log_key = log_verifier(key)
    except (CoreError, ValueError) as exc:
        raise StepFailed(f"checkpoint not signed by the {source}: {exc}") from exc
    checkpoint = verify_checkpoint(bundle.checkpoint, log_key, bundle.tree_size, key_source=source)
    if run.root is None:
        return (PENDING if run.steps[-1].status == PENDING else SKIPPED,
                "signature valid; root not compared (no verified inclusion proof)")
    if checkpoint.root_hash != run.root:
        raise StepFailed(f"checkpoint root 0x{checkpoint.root_hash.hex()} differs from the proof's root")
    return OK, f"signed by the {source} ({key.split('+', 1)[0]}), size {checkpoint.tree_size}"


def _step_anchor(run: _Run) -> Outcome:
    bundle = run.bundle
    tree_size = bundle.tree_size
    if run.root is None or tree_size is None:
        return PENDING if bundle.status == "pending" else SKIPPED, "no verified root to look up"
    verifier = run.verifier
    claimed = bundle.anchor
    try:
        verify_anchored(run.root, tree_size, ChainRoots(verifier.chain, verifier.trace_anchor))
        head = verifier.chain.anchored_head(verifier.trace_anchor, tree_size)
    except CallReverted as exc:
        raise StepFailed(f"TraceAnchor could not be asked: {exc}") from exc
    except StepPending as exc:
        if bundle.status == "anchored" or claimed is not None:
            raise StepFailed(f"the bundle claims an anchor, but TraceAnchor has no head of size "
                             f"{tree_size}") from exc
        return PENDING, str(exc)
    assert head is not None  # a root is anchored for this size, so its head is
    run.head_index = head.head_index
    if claimed is not None:
        mismatches = [
            name for name, said, value in (
                ("chainId", claimed.chain_id, verifier.chain_id),
                ("headIndex", claimed.head_index, head.head_index),
                ("blockNumber", claimed.block_number, head.block_number),
                ("blockTime", claimed.block_time, head.block_time),
            )
            if said is not None and said != value
        ]
        if claimed.contract is not None and claimed.contract.lower() != verifier.trace_anchor.lower():
            mismatches.append("contract")
        if mismatches:
            raise StepFailed(f"bundle anchor disagrees with the chain on {', '.join(mismatches)}")
    run.anchor = {
        "chainId": verifier.chain_id, "contract": verifier.trace_anchor,
        "headIndex": head.head_index, "treeSize": tree_size, "rootHash": "0x" + run.root.hex(),
        "blockNumber": head.block_number, "blockTime": head.block_time,
        "transactionHash": claimed.transaction_hash if claimed else None,
    }
    return OK, (f"TraceAnchor.rootAtSize({tree_size}) matches; head {head.head_index}, "
                f"block {head.block_number}, time {head.block_time}")


def _step_witnesses(run: _Run) -> Outcome:
    verifier, bundle = run.verifier, run.bundle
    keys = [*verifier.witness_keys, *(witness.verifier_key for witness in bundle.witnesses)]
    cosigned: list[str] = []
    if keys and bundle.checkpoint is not None:
        try:
            witnesses = [witness_verifier(key) for key in dict.fromkeys(keys)]
            log_key = log_verifier(str(run.log_key))
        except (CoreError, ValueError) as exc:
            raise StepFailed(f"a witness cosignature is invalid: {exc}") from exc
        cosigned = verified_cosigners(bundle.checkpoint, log_key, witnesses)
    on_chain = list(bundle.anchor.witnessed_by) if bundle.anchor is not None else []
    confirmed: list[str] = []
    if on_chain:
        if run.head_index is None:
            return (SKIPPED if bundle.status == "anchored" else PENDING,
                    "on-chain witnesses not checked: the head is not verified on chain")
        confirmed = verify_witnessed_on_chain(verifier.chain, verifier.trace_anchor,
                                              run.head_index, on_chain)
    parts = [f"{len(cosigned)} cosignature(s) verified" + (f" ({', '.join(cosigned)})" if cosigned else ""),
             f"{len(confirmed)} on-chain witness(es) confirmed" + (f" ({', '.join(confirmed)})" if confirmed else "")]
    return OK if run.head_index is not None or cosigned else PENDING, "; ".join(parts)


_BUNDLE_STEPS: tuple[Callable[[_Run], Outcome], ...] = (
    _step_entry, _step_signature, _step_member, _step_inclusion, _step_checkpoint, _step_anchor,
    _step_witnesses,
)
"""Steps 2-8 on a bundle, in `STEP_NAMES` order."""
